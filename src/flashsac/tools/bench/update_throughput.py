"""Milliseconds per FlashSAC update, FLOPs per update, and how close that comes to the machine's GEMM roofline.

For each (task shape, model width, batch size, precision, compile on/off) the benchmark builds an agent (the
paper's networks, with the critic's hidden width swept and the actor at half of it), feeds it one fixed random
batch and times ``agent.update``. Replay sampling and host-to-device copies are not timed: this measures the
learner alone. Results go to ``benchmarks/results/update_throughput.json`` and ``.png`` (achieved GFLOP/s per
case against the GEMM roofline lines)::

    flashsac bench update                    # everything, on the CPU
    flashsac bench update --device cuda      # the same on the GPU (compile on and off)
    flashsac bench update --quick            # smoke test: smallest case, few reps

Timing: the actor is updated every ``actor_update_period`` (= 2) updates, so one update alone is either
"critic" or "critic + actor". Every timed window therefore covers an even number of updates starting on an
actor step, and the per-sample times are taken over PAIRS of updates. The first pair is timed on its own
(it contains ``torch.compile``'s compilation when compile is on), then ``--warmup`` updates, then ``--iters``.

FLOPs: ``torch.utils.flop_counter.FlopCounterMode`` counts the GEMMs autograd really runs over one pair of
eager fp32 updates (halved), and :func:`~flashsac.tools.bench.update_workload.analytic_update_flops` gives the
textbook count from the layer sizes. Achieved GFLOP/s uses the counted FLOPs; the roofline is the best
square-GEMM rate measured here.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.buffers.batch import Batch
from flashsac.config.schema import AgentConfig
from flashsac.tools.bench.common import (
    RESULTS_DIR,
    Roofline,
    cpu_flags,
    machine_info,
    measure_gemm_roofline,
    png_path,
    resolve_device,
    synchronize,
    write_json,
)
from flashsac.tools.bench.update_report import final_summary, plot, print_table, summary_line
from flashsac.tools.bench.update_workload import (
    BENCHMARK,
    PAPER_WIDTH,
    PRECISIONS,
    TASK_SHAPES,
    TaskShape,
    flop_check,
    make_agent,
    make_batch,
)

DESCRIPTION = "ms and achieved GFLOP/s per update over batch sizes, model widths, fp32/bf16, vs the GEMM roofline"
DEFAULT_OUT = RESULTS_DIR / f"{BENCHMARK}.json"  # relative to the working directory


# CPU feature flags that give a low-precision GEMM its own (higher) peak; without them oneDNN is not faster
# than fp32, so the fp32 roofline is the right yardstick for autocast rows.
NATIVE_CPU_FLAGS = {"bf16": {"avx512_bf16", "amx_bf16"}, "fp16": {"avx512_fp16", "amx_fp16"}}

FULL_DEFAULTS = {
    "batch_sizes": [512, 2048],
    "widths": [128, 256, 512],
    "configs": ["humanoid-walk", "humanoid29"],
    "compile": None,  # by device: off on a CPU (slower than eager there with 2+ threads), off and on on a GPU
    "precision": ["fp32", "bf16"],
    "warmup": 10,
    "iters": 40,
    "gemm_sizes": [1024, 2048, 4096],
    "gemm_reps": 3,
    "gemm_trials": 3,
}
QUICK_DEFAULTS = {
    "batch_sizes": [512],
    "widths": [PAPER_WIDTH],
    "configs": ["humanoid-walk"],
    "compile": ["off"],
    "precision": ["fp32"],
    "warmup": 2,
    "iters": 4,
    "gemm_sizes": [512, 1024],
    "gemm_reps": 2,
    "gemm_trials": 2,
}


# ---------------------------------------------------------------------------------------------------- options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line; options left unset take the full defaults, or the quick ones under ``--quick``."""
    parser = argparse.ArgumentParser(prog="flashsac bench update", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (cuda when present)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", help="default: 512 (CPU regime) 2048 (GPU regime)")
    parser.add_argument(
        "--widths", type=int, nargs="+", help="critic hidden widths, actor half of each (default: 128 256 512)"
    )
    parser.add_argument("--configs", nargs="+", choices=sorted(TASK_SHAPES), help="task shapes to measure")
    parser.add_argument(
        "--compile", nargs="+", choices=["off", "on"], help="torch.compile of the losses (default: off; GPU: off on)"
    )
    parser.add_argument("--precision", nargs="+", choices=sorted(PRECISIONS), help="fp32 or autocast bf16/fp16")
    parser.add_argument("--compile-mode", default="auto", help="AgentConfig.compile_mode (auto: per device)")
    parser.add_argument("--warmup", type=int, help="updates after the first pair, before timing (made even)")
    parser.add_argument("--iters", type=int, help="timed updates (made even, at least 2)")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's own choice)")
    parser.add_argument("--gemm-sizes", type=int, nargs="+", help="square GEMM sizes for the roofline")
    parser.add_argument("--gemm-reps", type=int, help="matmuls per timed roofline trial")
    parser.add_argument("--gemm-trials", type=int, help="timed roofline trials per size (the best counts)")
    parser.add_argument(
        "--cold-compile", action="store_true", help="bypass inductor's on-disk caches: compile_s of a first-ever run"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON result file")
    parser.add_argument("--quick", action="store_true", help="smallest set, few repetitions: a smoke test")
    args = parser.parse_args(argv)
    defaults = QUICK_DEFAULTS if args.quick else FULL_DEFAULTS
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.compile is None:
        args.compile = ["off", "on"] if resolve_device(args.device).type == "cuda" else ["off"]
    for width in args.widths:
        if width < 2 or width % 2:
            parser.error(f"--widths {width}: a width must be an even number >= 2 (the actor gets half of it)")
    args.warmup = _even(max(args.warmup, 0), "--warmup")
    args.iters = _even(max(args.iters, 2), "--iters")
    return args


def _even(count: int, flag: str) -> int:
    """Round ``count`` up to even: an odd window would over-weight the actor step (period 2)."""
    if count % 2:
        print(f"note: {flag} {count} rounded up to {count + 1} so that actor and critic steps keep their 1:2 ratio")
        return count + 1
    return count


# ---------------------------------------------------------------------------------------------------- agent


def _mark(device: torch.device) -> float | torch.cuda.Event:
    """A point in time: a recorded CUDA event (no host sync) on GPU, the host clock on CPU."""
    if device.type == "cuda":
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event
    return time.perf_counter()


def _elapsed_ms(start: float | torch.cuda.Event, end: float | torch.cuda.Event) -> float:
    """Milliseconds between two marks (CUDA events must be complete: synchronise first)."""
    if isinstance(start, float) and isinstance(end, float):
        return (end - start) * 1e3
    assert isinstance(start, torch.cuda.Event) and isinstance(end, torch.cuda.Event)
    return start.elapsed_time(end)


def _run_updates(agent: FlashSACAgent, batch: Batch, count: int, device: torch.device) -> float:
    """Run ``count`` updates and return the wall seconds until the device has finished them."""
    synchronize(device)
    start = time.perf_counter()
    for _ in range(count):
        agent.update(batch)
    synchronize(device)
    return time.perf_counter() - start


def time_updates(agent: FlashSACAgent, batch: Batch, device: torch.device, warmup: int, iters: int) -> dict[str, Any]:
    """Time ``iters`` updates (even) after the first pair and ``warmup`` more; sample per pair of updates."""
    first_pair_s = _run_updates(agent, batch, 2, device)
    _run_updates(agent, batch, warmup, device)
    marks = []
    gc.collect()
    gc.disable()  # a collection inside the window would be charged to whichever update it interrupted
    try:
        synchronize(device)
        start = time.perf_counter()
        marks.append(_mark(device))
        for _ in range(iters // 2):
            agent.update(batch)
            agent.update(batch)
            marks.append(_mark(device))
        synchronize(device)
        total_s = time.perf_counter() - start
    finally:
        gc.enable()
    pair_ms = [_elapsed_ms(a, b) for a, b in zip(marks, marks[1:], strict=False)]
    mean_ms = total_s * 1e3 / iters
    return {
        "first_pair_s": first_pair_s,
        "ms_per_update_mean": mean_ms,
        "ms_per_update_median": statistics.median(pair_ms) / 2,
        "ms_per_update_min": min(pair_ms) / 2,
        "pair_ms": [round(ms, 3) for ms in pair_ms],
    }


def _dynamo_stats() -> dict[str, int]:
    """Graphs compiled and graph breaks so far: a jump between two calls reveals recompiles or breaks."""
    from torch._dynamo.utils import counters

    return {
        "unique_graphs": int(counters["stats"]["unique_graphs"]),
        "graph_breaks": int(sum(counters["graph_break"].values())),
    }


# ---------------------------------------------------------------------------------------------------- cases


def roofline_for(precision: str, rooflines: dict[str, Roofline]) -> Roofline:
    """The roofline a row is judged against: its own dtype's where the hardware has that GEMM, else fp32's."""
    own = rooflines.get(precision)
    return own if own is not None and own.native else rooflines["fp32"]


def measure_rooflines(args: argparse.Namespace, device: torch.device) -> dict[str, Roofline]:
    """fp32 GEMM roofline, plus one per requested low precision (marked emulated where the CPU lacks its units).

    An emulated bf16 GEMM is still drawn in the figure: it shows what that dtype can reach on this machine at
    best, while the rows are judged against the fp32 line, the machine's real peak.
    """
    dtypes = ["fp32"] + [p for p in ("bf16", "fp16") if p in args.precision]
    rooflines = {}
    for dtype in dtypes:
        native = dtype == "fp32" or device.type == "cuda" or bool(NATIVE_CPU_FLAGS[dtype] & cpu_flags())
        rooflines[dtype] = measure_gemm_roofline(
            device, dtype, args.gemm_sizes, args.gemm_reps, args.gemm_trials, native=native
        )
        kind = "" if native else ", emulated: no native units"
        print(
            f"{BENCHMARK} roofline {dtype}: {rooflines[dtype].gflops:.1f} GFLOP/s (square GEMM {args.gemm_sizes}{kind})"
        )
    return rooflines


def run_case(
    args: argparse.Namespace,
    device: torch.device,
    shape: TaskShape,
    batch_size: int,
    compile_on: bool,
    precision: str,
    flops: dict[str, Any],
    roofline: Roofline,
    width: int = PAPER_WIDTH,
) -> dict[str, Any]:
    """Measure one (shape, width, batch, compile, precision) case; a failure is recorded, not raised."""
    record: dict[str, Any] = {
        "config": shape.name,
        "obs_dim": shape.obs_dim,
        "critic_obs_dim": shape.critic_obs_dim,
        "action_dim": shape.action_dim,
        "critic_hidden_dim": width,
        "actor_hidden_dim": width // 2,
        "batch_size": batch_size,
        "compile": "on" if compile_on else "off",
        "precision": precision,
        "warmup": args.warmup,
        "iters": args.iters,
        "gflop_per_update_counted": flops["counted"]["gflop"],
        "gflop_per_update_analytic": flops["analytic"]["gflop"],
        "roofline_dtype": roofline.dtype,
        "roofline_gflops": roofline.gflops,
    }
    # Repeat the FLOP check in the row that it concerns, so a reviewer of the records sees it next to the timing.
    record |= {
        key: flops[key]
        for key in ("reference_gflop", "counted_over_reference", "analytic_over_reference")
        if key in flops
    }
    if compile_on:
        torch._dynamo.reset()  # a fresh cache per agent: the recompile limit would otherwise fall back to eager
    before = _dynamo_stats()
    try:
        agent = make_agent(shape, device, compile_on, precision, args.compile_mode, width)
        batch = make_batch(shape, batch_size, device)
        record |= time_updates(agent, batch, device, args.warmup, args.iters)
    except Exception as err:  # e.g. no C++ compiler for inductor: record the failure and go on
        record |= {"status": "error", "error": f"{type(err).__name__}: {' '.join(str(err).split())}"[:4000]}
        return record
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()
    if compile_on:
        # The first pair compiled both loss functions; what it took beyond two ordinary updates is compilation.
        record["compile_s"] = max(record["first_pair_s"] - 2 * record["ms_per_update_mean"] / 1e3, 0.0)
        after = _dynamo_stats()
        record |= {f"dynamo_{key}": after[key] - before[key] for key in after}
    achieved = flops["counted"]["gflop"] / (record["ms_per_update_mean"] / 1e3)
    record |= {"status": "ok", "achieved_gflops": achieved, "fraction_of_roofline": achieved / roofline.gflops}
    return record


def main(argv: list[str] | None = None) -> int:
    """Run every requested case, print the summaries and a table, and write the JSON result and the figure."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.cold_compile:
        import torch._inductor.config as inductor_config

        # Inductor reuses kernels compiled by any earlier run on this machine, which hides most compile time.
        inductor_config.force_disable_caches = True
    device = resolve_device(args.device)
    result: dict[str, Any] = {
        "benchmark": BENCHMARK,
        "machine_info": machine_info(device),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "agent_config": {k: v for k, v in vars(AgentConfig()).items() if not k.startswith("_")},
        "task_shapes": {name: vars(TASK_SHAPES[name]) for name in args.configs},
    }
    rooflines = measure_rooflines(args, device)
    result["rooflines"] = {dtype: roofline.to_json() for dtype, roofline in rooflines.items()}
    result["flops"], result["records"] = {}, []
    for name in args.configs:
        shape = TASK_SHAPES[name]
        for width in args.widths:
            for batch_size in args.batch_sizes:
                flops = flop_check(shape, batch_size, device, width)
                result["flops"][f"{name}/width={width}/B={batch_size}"] = flops
                for precision in args.precision:
                    for compile_flag in args.compile:
                        roofline = roofline_for(precision, rooflines)
                        record = run_case(
                            args, device, shape, batch_size, compile_flag == "on", precision, flops, roofline, width
                        )
                        result["records"].append(record)
                        print(summary_line(record), flush=True)
                        write_json(args.out, result)  # after every case: a long run that dies keeps what it measured
    write_json(args.out, result)
    print_table(result["records"])
    failed = sum(r["status"] != "ok" for r in result["records"])
    if failed < len(result["records"]):
        plot(result, png_path(args.out))
    print(
        f"{BENCHMARK}: wrote {args.out} and {png_path(args.out)}"
        + (f" ({failed} case(s) failed, see 'error' there)" if failed else "")
    )
    print(final_summary(result["records"]))
    # Some cases may fail by design (no compiler for torch.compile); only a run with nothing measured fails.
    return 0 if failed < len(result["records"]) else 1


if __name__ == "__main__":
    sys.exit(main())

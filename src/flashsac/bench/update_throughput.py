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
eager fp32 updates (halved), and :func:`analytic_update_flops` gives the textbook count from the layer sizes.
Achieved GFLOP/s uses the counted FLOPs; the roofline is the best square-GEMM rate measured here.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.bench.common import (
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
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec
from flashsac.types import Batch

BENCHMARK = "update_throughput"
DESCRIPTION = "ms and achieved GFLOP/s per update over batch sizes, model widths, fp32/bf16, vs the GEMM roofline"
DEFAULT_OUT = RESULTS_DIR / f"{BENCHMARK}.json"  # relative to the working directory

# The paper's critic width; the actor is half as wide (AgentConfig defaults: 256 and 128).
PAPER_WIDTH = 256

# The hand count of one faithful update for DMC humanoid-walk at the CPU batch size and paper width, GFLOP.
REFERENCE_GFLOP = {("humanoid-walk", 512, PAPER_WIDTH): 21.35}

# Hidden-width multiplier inside an inverted residual block (flashsac.nn.layers.InvertedResidualBlock).
BLOCK_EXPANSION = 4


@dataclass(frozen=True)
class TaskShape:
    """Observation and action sizes of one task: all the update cost depends on besides the config.

    Attributes:
        name: Key used on the command line and in the results.
        obs_dim: Actor observation size.
        action_dim: Number of actions.
        critic_obs_dim: Privileged critic observation size, or ``None`` (the critic sees ``obs``).
        note: Where the sizes come from.
    """

    name: str
    obs_dim: int
    action_dim: int
    critic_obs_dim: int | None = None
    note: str = ""


TASK_SHAPES = {
    shape.name: shape
    for shape in (
        TaskShape("humanoid-walk", 67, 21, note="DMC humanoid-walk: 67-dim flattened observation, 21 actuators"),
        TaskShape(
            "humanoid29",
            96,
            29,
            note=(
                "29-DoF humanoid (Unitree G1 class) velocity tracking with deployable proprioception: base angular "
                "velocity 3 + projected gravity 3 + velocity command 3 + joint positions 29 + joint velocities 29 "
                "+ previous action 29 = 96"
            ),
        ),
        TaskShape(
            "humanoid29-asym",
            96,
            29,
            critic_obs_dim=99,
            note="humanoid29 with an asymmetric critic that also sees the base linear velocity: 96 + 3 = 99",
        ),
    )
}

# precision name -> (AgentConfig.use_amp, AgentConfig.amp_dtype)
PRECISIONS = {"fp32": (False, "bfloat16"), "bf16": (True, "bfloat16"), "fp16": (True, "float16")}

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


def agent_config(width: int = PAPER_WIDTH, **changes: Any) -> AgentConfig:
    """The paper's agent (AgentConfig defaults) with critic hidden width ``width`` and the actor at half of it."""
    return AgentConfig(critic_hidden_dim=width, actor_hidden_dim=width // 2, **changes)


def make_agent(
    shape: TaskShape,
    device: torch.device,
    compile_on: bool,
    precision: str,
    compile_mode: str = "auto",
    width: int = PAPER_WIDTH,
) -> FlashSACAgent:
    """A FlashSAC agent for ``shape`` (paper networks at critic width ``width``), with actions in [-1, 1]."""
    use_amp, amp_dtype = PRECISIONS[precision]
    spec = EnvSpec(
        task=shape.name,
        num_envs=1,
        obs_dim=shape.obs_dim,
        action_dim=shape.action_dim,
        action_low=-torch.ones(shape.action_dim),
        action_high=torch.ones(shape.action_dim),
        max_episode_steps=1000,
        device=device,
        critic_obs_dim=shape.critic_obs_dim,
    )
    cfg = agent_config(width, use_compile=compile_on, compile_mode=compile_mode, use_amp=use_amp, amp_dtype=amp_dtype)
    return FlashSACAgent(spec, cfg, device, total_updates=1_000_000, seed=0)


def make_batch(shape: TaskShape, batch_size: int, device: torch.device, seed: int = 0) -> Batch:
    """One random replay batch on ``device``; its values do not change the cost of an update."""
    generator = torch.Generator().manual_seed(seed)

    def normal(*size: int) -> torch.Tensor:
        return torch.randn(*size, generator=generator).to(device)

    critic_obs = next_critic_obs = None
    if shape.critic_obs_dim is not None:
        critic_obs, next_critic_obs = normal(batch_size, shape.critic_obs_dim), normal(batch_size, shape.critic_obs_dim)
    return Batch(
        obs=normal(batch_size, shape.obs_dim),
        action=(torch.rand(batch_size, shape.action_dim, generator=generator) * 2 - 1).to(device),
        reward=normal(batch_size),
        next_obs=normal(batch_size, shape.obs_dim),
        terminated=(torch.rand(batch_size, generator=generator) < 0.01).float().to(device),
        discount=torch.full((batch_size,), 0.99, device=device),
        critic_obs=critic_obs,
        next_critic_obs=next_critic_obs,
    )


# ---------------------------------------------------------------------------------------------------- FLOPs


def trunk_gemm_flops(in_dim: int, hidden_dim: int, num_blocks: int) -> int:
    """Forward GEMM FLOPs of one trunk per input row: embedder ``in -> h``, then per block ``h -> 4h -> h``."""
    return 2 * (in_dim * hidden_dim + num_blocks * 2 * hidden_dim * BLOCK_EXPANSION * hidden_dim)


def analytic_update_flops(shape: TaskShape, cfg: AgentConfig, batch_size: int) -> dict[str, float]:
    """GEMM FLOPs of one update (averaged over the actor period), from the layer sizes alone.

    Per row, a forward pass costs ``f_actor = trunk(obs, h_a) + 2 h_a 2|A|`` and
    ``f_critic = 2 x (trunk(obs_c + |A|, h_c) + 2 h_c K)`` (two fused members), where
    ``trunk(d, h) = 2 (d h + n_blocks 2 h 4h)``. A backward pass that needs weight and input gradients costs
    twice its forward; one that needs only input gradients costs one forward. With batch B:

    * critic update (every step): actor forward on s' (B rows), target critic forward on the joint batch (2B),
      online critic forward + backward (3 x 2B): ``B f_actor + 2B f_critic + 6B f_critic``;
    * actor update (every ``p``-th step): actor forward + backward on concat(s, s') (3 x 2B), critic forward
      + input-gradient backward on B rows: ``6B f_actor + 2B f_critic``;
    * per update: critic update + actor update / p.

    Every first layer needs its input gradient too: its input is a batch-norm output, which depends on the
    norm's affine parameters. So the rule is exact: ``FlopCounterMode`` gave the same 21,350,055,936 FLOP for
    humanoid-walk at B = 512 (the issue's 21.35 GFLOP), and a gap flags a change in what an update computes.
    """
    critic_obs_dim = shape.critic_obs_dim if shape.critic_obs_dim is not None else shape.obs_dim
    critic_in = critic_obs_dim + shape.action_dim
    f_actor = trunk_gemm_flops(shape.obs_dim, cfg.actor_hidden_dim, cfg.actor_num_blocks)
    f_actor += 2 * cfg.actor_hidden_dim * 2 * shape.action_dim
    f_critic = trunk_gemm_flops(critic_in, cfg.critic_hidden_dim, cfg.critic_num_blocks)
    f_critic = 2 * (f_critic + 2 * cfg.critic_hidden_dim * cfg.critic_num_bins)
    b, period = batch_size, cfg.actor_update_period
    critic_update = b * f_actor + 2 * b * f_critic + 3 * 2 * b * f_critic
    actor_update = 3 * 2 * b * f_actor + 2 * b * f_critic
    per_update = critic_update + actor_update / period
    return {
        "gflop": per_update / 1e9,
        "critic_update_gflop": critic_update / 1e9,
        "actor_update_gflop": actor_update / 1e9,
        "actor_forward_mflop_per_row": f_actor / 1e6,
        "critic_forward_mflop_per_row": f_critic / 1e6,
    }


def counted_update_flops(
    shape: TaskShape, batch_size: int, device: torch.device, width: int = PAPER_WIDTH
) -> dict[str, Any]:
    """FLOPs per update that autograd really executes: one eager fp32 pair under ``FlopCounterMode``, halved.

    A fresh agent is used so that the timed agents' step counters and statistics are untouched.
    """
    agent = make_agent(shape, device, compile_on=False, precision="fp32", width=width)
    batch = make_batch(shape, batch_size, device)
    counter = FlopCounterMode(display=False)
    with counter:
        agent.update(batch)  # actor + critic step
        agent.update(batch)  # critic step
    per_op = {str(op): count / 2 for op, count in counter.get_flop_counts().get("Global", {}).items()}
    return {"gflop": counter.get_total_flops() / 2 / 1e9, "per_op_gflop": {k: v / 1e9 for k, v in per_op.items()}}


# ---------------------------------------------------------------------------------------------------- timing


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


def summary_line(record: dict[str, Any]) -> str:
    """The one-line summary of a case, e.g. ``... 123.4 ms/update, 21.3 GFLOP, 173 GFLOP/s = 84% of ...``."""
    head = (
        f"{BENCHMARK} {record['config']} width={record['critic_hidden_dim']} B={record['batch_size']} "
        f"{record['precision']} compile={record['compile']}"
    )
    if record["status"] != "ok":
        return f"{head}: FAILED ({record['error'][:200]})"
    line = (
        f"{head}: {record['ms_per_update_mean']:.1f} ms/update, {record['gflop_per_update_counted']:.1f} GFLOP, "
        f"{record['achieved_gflops']:.3g} GFLOP/s = {record['fraction_of_roofline']:.0%} of "
        f"{record['roofline_gflops']:.0f} GFLOP/s {record['roofline_dtype']} GEMM roofline"
    )
    extra = f"median {record['ms_per_update_median']:.1f} ms"
    if record["compile"] == "on":
        extra += f", compile {record['compile_s']:.0f} s"
    return f"{line} ({extra})"


def print_table(records: list[dict[str, Any]]) -> None:
    """All cases side by side (rich table)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{BENCHMARK}: ms per FlashSAC update")
    columns = [
        "config",
        "width",
        "B",
        "prec",
        "compile",
        "mean ms",
        "median ms",
        "1st pair s",
        "GFLOP",
        "GFLOP/s",
        "roof",
    ]
    for column in columns:
        table.add_column(column, justify="left" if column in ("config", "prec", "compile") else "right")
    for r in records:
        cells = [r["config"], str(r["critic_hidden_dim"]), str(r["batch_size"]), r["precision"], r["compile"]]
        if r["status"] == "ok":
            cells += [
                f"{r['ms_per_update_mean']:.1f}",
                f"{r['ms_per_update_median']:.1f}",
                f"{r['first_pair_s']:.1f}",
                f"{r['gflop_per_update_counted']:.2f}",
                f"{r['achieved_gflops']:.3g}",
                f"{r['fraction_of_roofline']:.0%} of {r['roofline_gflops']:.0f} {r['roofline_dtype']}",
            ]
        else:
            cells += ["failed", "", "", f"{r['gflop_per_update_counted']:.2f}", "", ""]
        table.add_row(*cells)
    console = Console()
    console.width = max(console.width, 132)  # a pipe defaults to 80 columns, which truncates the cells
    console.print(table)


def flop_check(shape: TaskShape, batch_size: int, device: torch.device, width: int = PAPER_WIDTH) -> dict[str, Any]:
    """Counted and analytic FLOPs per update, with the ratio to the issue's reference where one exists."""
    analytic = analytic_update_flops(shape, agent_config(width), batch_size)
    counted = counted_update_flops(shape, batch_size, device, width)
    check: dict[str, Any] = {"counted": counted, "analytic": analytic}
    reference = REFERENCE_GFLOP.get((shape.name, batch_size, width))
    if reference is not None:
        check["reference_gflop"] = reference
        check["counted_over_reference"] = counted["gflop"] / reference
        check["analytic_over_reference"] = analytic["gflop"] / reference
    print(
        f"{BENCHMARK} flops {shape.name} width={width} B={batch_size}: counted {counted['gflop']:.3f} GFLOP/update,"
        f" analytic {analytic['gflop']:.3f}" + (f", reference {reference:.2f}" if reference is not None else "")
    )
    return check


def plot(result: dict[str, Any], path: Path) -> None:
    """Achieved GFLOP/s of every case against GFLOP per update, with the GEMM roofline of each dtype as a line.

    Colour: critic width; marker: precision; hollow: compiled. The x-axis (work per update) grows with batch and
    width, so the figure shows how close bigger updates get to the line.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [r for r in result["records"] if r["status"] == "ok"]
    widths = sorted({r["critic_hidden_dim"] for r in records})
    colors = {w: f"C{i % 10}" for i, w in enumerate(widths)}
    markers = {"fp32": "o", "bf16": "s", "fp16": "^"}
    fig, ax = plt.subplots(figsize=(10, 5))
    for r in records:
        color = colors[r["critic_hidden_dim"]]
        hollow = r["compile"] == "on"
        ax.scatter(
            r["gflop_per_update_counted"],
            r["achieved_gflops"],
            marker=markers.get(r["precision"], "x"),
            s=45,
            facecolors="none" if hollow else color,
            edgecolors=color,
        )
    styles = {"fp32": "-", "bf16": "--", "fp16": ":"}
    for dtype, roofline in result["rooflines"].items():
        kind = "" if roofline["native"] else " (emulated)"
        label = f"{dtype} GEMM roofline {roofline['gflops']:.0f} GFLOP/s{kind}"
        ax.axhline(roofline["gflops"], color="gray", linestyle=styles.get(dtype, "-."), label=label)
    for w in widths:
        ax.scatter([], [], color=colors[w], marker="o", label=f"critic width {w} (actor {w // 2})")
    for precision in sorted({r["precision"] for r in records}):
        ax.scatter([], [], color="black", marker=markers.get(precision, "x"), label=precision)
    if any(r["compile"] == "on" for r in records):
        ax.scatter([], [], facecolors="none", edgecolors="black", marker="o", label="compiled (hollow)")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("GFLOP per update (counted; grows with batch size and width)")
    ax.set_ylabel("achieved GFLOP/s")
    machine = result["machine_info"]
    threads = machine["torch_threads"]
    ax.set_title(
        f"{BENCHMARK}: {machine['device_name']}, {threads} thread{'s' if threads != 1 else ''}, {machine['date'][:10]}",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside: the points sit low
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def final_summary(records: list[dict[str, Any]]) -> str:
    """One line for the whole run: the best case per precision and its fraction of the roofline."""
    parts = []
    for precision in dict.fromkeys(r["precision"] for r in records):
        ok = [r for r in records if r["precision"] == precision and r["status"] == "ok"]
        if ok:
            best = max(ok, key=lambda r: r["achieved_gflops"])
            parts.append(
                f"{precision} best {best['achieved_gflops']:.3g} GFLOP/s = {best['fraction_of_roofline']:.0%} of "
                f"{best['roofline_dtype']} roofline ({best['config']} width={best['critic_hidden_dim']} "
                f"B={best['batch_size']} compile={best['compile']})"
            )
    return f"{BENCHMARK}: " + ("; ".join(parts) or "nothing measured")


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

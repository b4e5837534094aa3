"""``flashsac bench gpu-smoke``: train each GPU simulator for a few minutes at 1024 envs; report env-steps/s, updates/s.

For a GPU machine. Each family runs ``flashsac train env=<family>`` (its default regime, the paper's GPU regime:
batch 2048, 2 updates per vector step, AMP, buffer on the GPU) in its own process, is stopped with SIGINT after
``--minutes``, and its logged ``perf/*`` rates are read back: the warm-up rate (random actions, no updates) and
the learning rate (after ``buffer.min_size``), each the mean over the records of that phase. A family whose
simulator is not installed is reported as skipped with its install command, so one script serves any machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from flashsac.envs.registry import MissingSimulatorError, family
from flashsac.tools.bench.common import RESULTS_DIR, machine_info, png_path, pyplot, save_figure, write_json
from flashsac.tools.bench.train_runs import run_train

__all__ = ["DESCRIPTION", "GPU_FAMILIES", "main", "phase_rates"]

DESCRIPTION = "train each GPU simulator a few minutes at 1024 envs; env-steps/s and updates/s (for GPU machines)"
GPU_FAMILIES = ("genesis", "playground", "mjlab", "maniskill", "isaaclab")


def phase_rates(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean env-steps/s of the warm-up records (no updates yet) and mean env-steps/s and updates/s after it."""
    rated = [r for r in records if r.get("perf/env_steps_per_s") is not None]
    warm = [r["perf/env_steps_per_s"] for r in rated if not r.get("perf/updates_per_s")]
    learning = [r for r in rated if r.get("perf/updates_per_s")]

    def mean(values: list[float]) -> float | None:
        return statistics.fmean(values) if values else None

    return {
        "warmup_env_steps_per_s": mean(warm),
        "env_steps_per_s": mean([r["perf/env_steps_per_s"] for r in learning]),
        "updates_per_s": mean([r["perf/updates_per_s"] for r in learning]),
        "env_steps_reached": float(max((int(r["env_steps"]) for r in records), default=0)),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashsac bench gpu-smoke", description=DESCRIPTION)
    parser.add_argument("--families", nargs="+", default=list(GPU_FAMILIES), choices=list(GPU_FAMILIES))
    parser.add_argument("--minutes", type=float, default=3.0, help="wall-clock training time per family")
    parser.add_argument("--num-envs", type=int, default=1024)
    parser.add_argument("--device", default="cuda", help="simulator and learner device (cuda, cuda:N)")
    parser.add_argument("--log-every", type=int, default=102_400, help="env steps between rate records")
    parser.add_argument("--threads", type=int, default=4, help="CPU threads per run")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs") / "bench_gpu_smoke")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "gpu_smoke.json")
    parser.add_argument("overrides", nargs="*", help="extra key=value overrides for every run")
    return parser


def _plot(path: Path, results: dict[str, dict[str, Any]]) -> None:
    plt = pyplot()

    ran = {name: r for name, r in results.items() if r.get("env_steps_per_s")}
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2))
    for ax, key, label in zip(axes, ("env_steps_per_s", "updates_per_s"), ("env-steps/s", "updates/s"), strict=True):
        ax.bar(list(ran), [ran[name][key] or 0.0 for name in ran], color="tab:blue")
        ax.set_ylabel(label)
        ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle("flashsac GPU smoke: 1024 envs, learning phase", fontsize=10)
    save_figure(fig, path, dpi=100)


def main(argv: list[str]) -> int:
    """Run ``flashsac bench gpu-smoke``; returns 1 when a run that could start failed."""
    args = _parser().parse_args(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results: dict[str, dict[str, Any]] = {}
    failed = False
    for name in args.families:
        try:
            family(name).require()
        except MissingSimulatorError as err:
            results[name] = {"status": "skipped", "reason": str(err)}
            print(f"gpu-smoke: {name:<10} skipped: {err}", flush=True)
            continue
        overrides = [
            f"env={name}",
            f"env.num_envs={args.num_envs}",
            f"env.device={args.device}",
            f"device={args.device}",
            f"train.log_every_env_steps={args.log_every}",
            "train.eval_every_env_steps=1000000000",
            "train.num_env_steps=1000000000",
            *args.overrides,
        ]
        run = run_train(overrides, args.runs_dir / stamp / name, args.threads, stop_after_s=60 * args.minutes)
        ok = run.stopped or run.returncode == 0
        failed |= not ok
        rates = phase_rates(run.scalars())
        results[name] = {
            "status": "ran" if ok else "failed",
            **rates,
            "wall_s": round(run.wall_s, 1),
            "returncode": run.returncode,
            "log_tail": "" if ok else run.log_tail,
        }
        shown = ", ".join(f"{k} {v:,.0f}" for k, v in rates.items() if v is not None)
        print(f"gpu-smoke: {name:<10} {'ok' if ok else 'FAILED'}: {shown}", flush=True)
    device = torch.device(args.device) if torch.cuda.is_available() else torch.device("cpu")
    write_json(
        args.out,
        {
            "benchmark": "gpu-smoke",
            "machine_info": machine_info(device),
            "settings": vars(args) | {"out": str(args.out), "runs_dir": str(args.runs_dir)},
            "results": results,
        },
    )
    _plot(png_path(args.out), results)
    return 1 if failed else 0

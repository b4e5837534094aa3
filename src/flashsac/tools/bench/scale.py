"""``flashsac bench scale``: data-parallel throughput at several world sizes and the scaling efficiency.

Each world size N trains the same per-rank workload (``env.num_envs`` envs and ``train.batch_size`` samples per
rank, ``--env-steps-per-rank`` env steps each) launched by torchrun, one ``--threads`` per rank, and its logged
``perf/*`` rates are read back from rank 0: env-steps/s counts all ranks' envs, updates/s counts optimizer steps
(each one on N x batch samples). The scaling efficiency of N ranks is ``rate(N) / (N * rate(1))``: 1.0 is
perfect; below it are the collectives and, on a CPU, cores that the ranks share. ``--backend nccl`` runs the
learner and the envs on each rank's GPU (a GPU machine with N GPUs).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import torch

from flashsac.tools.bench.common import RESULTS_DIR, machine_info, png_path, write_json
from flashsac.tools.bench.gpu_smoke import phase_rates
from flashsac.tools.bench.train_runs import run_train

__all__ = ["DESCRIPTION", "efficiency", "main"]

DESCRIPTION = "data-parallel env-steps/s and updates/s at world size 1 and 2 (torchrun) and the scaling efficiency"


def efficiency(rate: float | None, base: float | None, world_size: int) -> float | None:
    """``rate / (world_size * base)``: the fraction of linear scaling reached (``None`` without both rates)."""
    if not rate or not base:
        return None
    return rate / (world_size * base)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashsac bench scale", description=DESCRIPTION)
    parser.add_argument("--world-sizes", type=int, nargs="+", default=[1, 2], help="ranks per run (1 first)")
    parser.add_argument("--backend", choices=("gloo", "nccl"), default="gloo", help="nccl: learner and envs on GPUs")
    parser.add_argument("--env", default="torch", help="env family (the preset follows it unless overridden)")
    parser.add_argument("--task", default="pendulum-swingup")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--num-envs", type=int, default=8, help="envs per rank")
    parser.add_argument("--batch-size", type=int, default=256, help="samples per rank per update")
    parser.add_argument("--env-steps-per-rank", type=int, default=6000, help="env steps each rank collects")
    parser.add_argument("--min-size", type=int, default=800, help="buffer.min_size (warm-up transitions per rank)")
    parser.add_argument("--log-every", type=int, default=800, help="env steps per rank between rate records")
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads per rank")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs") / "bench_scale")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "scale.json")
    parser.add_argument("overrides", nargs="*", help="extra key=value overrides for every run")
    return parser


def _overrides(args: argparse.Namespace, world_size: int) -> list[str]:
    device = "cuda" if args.backend == "nccl" else "cpu"
    return [
        f"env={args.env}",
        f"env.task={args.task}",
        f"preset={args.preset}",
        f"env.num_envs={args.num_envs}",
        f"env.device={device}",
        f"device={device}",
        f"buffer.device={device}",
        f"buffer.min_size={args.min_size}",
        f"train.batch_size={args.batch_size}",
        # Global counters: N ranks collect N times the env steps per vector step.
        f"train.num_env_steps={args.env_steps_per_rank * world_size}",
        f"train.log_every_env_steps={args.log_every * world_size}",
        "train.eval_every_env_steps=1000000000",
        "train.num_eval_episodes=1",
        "env.num_eval_envs=1",
        "train.checkpoint_every_env_steps=0",
        *args.overrides,
    ]


def _plot(path: Path, results: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["world_size"] for r in results]
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2))
    for ax, key, label in zip(axes, ("env_steps_per_s", "updates_per_s"), ("env-steps/s", "updates/s"), strict=True):
        base = results[0][key] or 0.0
        ax.plot(sizes, [r[key] or 0.0 for r in results], "o-", label="measured")
        ax.plot(
            sizes,
            [base * n for n in sizes] if key == "env_steps_per_s" else [base] * len(sizes),
            "--",
            color="grey",
            label="linear" if key == "env_steps_per_s" else "same per step",
        )
        ax.set_xlabel("ranks")
        ax.set_ylabel(label)
        ax.set_xticks(sizes)
        ax.legend(fontsize=8)
    fig.suptitle("flashsac data-parallel scaling (per-rank envs and batch fixed)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str]) -> int:
    """Run ``flashsac bench scale``; returns 1 when a run failed."""
    args = _parser().parse_args(argv)
    if args.world_sizes[0] != 1:
        raise SystemExit("--world-sizes must start with 1: the efficiency is measured against one rank.")
    if args.backend == "nccl" and torch.cuda.device_count() < max(args.world_sizes):
        raise SystemExit(
            f"--backend nccl with {max(args.world_sizes)} ranks needs as many GPUs; this machine has "
            f"{torch.cuda.device_count()}. Use --backend gloo or fewer --world-sizes."
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results: list[dict[str, Any]] = []
    failed = False
    for world_size in args.world_sizes:
        run_dir = args.runs_dir / stamp / f"world{world_size}"
        run = run_train(_overrides(args, world_size), run_dir, args.threads, nproc=world_size)
        failed |= run.returncode != 0
        rates = phase_rates(run.scalars())
        base = results[0] if results else rates
        row = {
            "world_size": world_size,
            "status": "ran" if run.returncode == 0 else "failed",
            "env_steps_per_s": rates["env_steps_per_s"],
            "updates_per_s": rates["updates_per_s"],
            "samples_per_s": (rates["updates_per_s"] or 0.0) * args.batch_size * world_size,
            "warmup_env_steps_per_s": rates["warmup_env_steps_per_s"],
            "env_step_efficiency": efficiency(rates["env_steps_per_s"], base["env_steps_per_s"], world_size),
            "sample_efficiency": efficiency(
                (rates["updates_per_s"] or 0.0) * world_size, base["updates_per_s"], world_size
            ),
            "wall_s": round(run.wall_s, 1),
            "returncode": run.returncode,
            "log_tail": "" if run.returncode == 0 else run.log_tail,
        }
        results.append(row)
        shown = ", ".join(
            f"{key} {row[key]:,.2f}" if key.endswith("efficiency") else f"{key} {row[key]:,.0f}"
            for key in ("env_steps_per_s", "updates_per_s", "env_step_efficiency")
            if row[key] is not None
        )
        print(f"scale: {world_size} rank(s) {'ok' if run.returncode == 0 else 'FAILED'}: {shown}", flush=True)
        if run.returncode != 0:
            print(run.log_tail, flush=True)
    device = torch.device("cuda") if args.backend == "nccl" else torch.device("cpu")
    write_json(
        args.out,
        {
            "benchmark": "scale",
            "machine_info": machine_info(device),
            "settings": vars(args) | {"out": str(args.out), "runs_dir": str(args.runs_dir)},
            "results": results,
        },
    )
    _plot(png_path(args.out), results)
    return 1 if failed else 0

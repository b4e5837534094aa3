"""One factor at a time: which setting of a CPU preset decides whether flashsac learns a task at a small budget.

Each variant is the base preset (``--preset``, ``small`` by default) with one group of overrides (:data:`VARIANTS`):
network width and depth, batch size, warm-up length, initial std and entropy target, reward scaling, n-step and
update ratio. Every (task, variant, seed) is one ``flashsac train`` in a fresh interpreter with one torch thread;
``--jobs`` of them run side by side (give each job its own core: two 1-thread jobs on 2 cores, never more).

Reported per task and variant: the final evaluation return (deterministic policy, ``--episodes`` episodes) of every
seed, their mean and IQM, and the mean of the in-loop evaluations after the first (a learning-speed summary that
is less noisy than the final point), with the training wall-clock. Results default to
``benchmarks/results/preset_ablation.json``; the markdown table printed at the end is what benchmarks/README.md
shows.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from flashsac.tools.analysis.stats import iqm
from flashsac.tools.bench.common import RESULTS_DIR, machine_info, write_json
from flashsac.tools.bench.train_runs import read_scalars, run_train, series

__all__ = ["DESCRIPTION", "VARIANTS", "main", "markdown_table"]

BENCHMARK = "preset_ablation"
DESCRIPTION = "one-factor ablation of a CPU preset on small-budget tasks: final return per variant, seeds, IQM"
DEFAULT_OUT = RESULTS_DIR / f"{BENCHMARK}.json"

VARIANTS: dict[str, list[str]] = {
    "base": [],
    "width/2": ["agent.actor_hidden_dim=32", "agent.critic_hidden_dim=64"],
    "width*2": ["agent.actor_hidden_dim=128", "agent.critic_hidden_dim=256"],
    "depth 2": ["agent.actor_num_blocks=2", "agent.critic_num_blocks=2"],
    "batch 128": ["train.batch_size=128"],
    "batch 512": ["train.batch_size=512"],
    "warm-up 500": ["buffer.min_size=500"],
    "warm-up 5000": ["buffer.min_size=5000"],
    "init std 0.3": ["agent.init_std=0.3"],
    "entropy target 0.5": ["agent.temp_target_sigma=0.5"],
    "entropy target 0.05": ["agent.temp_target_sigma=0.05"],
    "temperature 0.1": ["agent.temp_initial_value=0.1"],
    "temperature 0.001": ["agent.temp_initial_value=0.001"],
    "no noise repetition": ["agent.noise_zeta_max=1"],
    "std cap 0.2": ["agent.log_std_max=-1.6"],
    "width/2 + tau 0.05": ["agent.actor_hidden_dim=32", "agent.critic_hidden_dim=64", "agent.tau=0.05"],
    "width/2 + temperature 0.001": [
        "agent.actor_hidden_dim=32",
        "agent.critic_hidden_dim=64",
        "agent.temp_initial_value=0.001",
    ],
    "tau 0.005": ["agent.tau=0.005"],
    "tau 0.05": ["agent.tau=0.05"],
    "no reward scaling": ["agent.normalize_reward=false"],
    "raw rewards, support +-100": ["agent.normalize_reward=false", "agent.normalized_g_max=100"],
    "n-step 3": ["agent.n_step=3"],
    "updates 2": ["train.updates_per_vector_step=2"],
    "updates 0.5": ["train.updates_per_vector_step=0.5"],
    "critic loss cross_entropy": ["agent.critic_loss=cross_entropy"],
    "critic loss value_mse": ["agent.critic_loss=value_mse"],
    "critic init 0.2": ["agent.critic_init_value_std=0.2"],
    "critic init 0.2 + tau 0.05": ["agent.critic_init_value_std=0.2", "agent.tau=0.05"],
    "batch 512 + value_mse": ["train.batch_size=512", "agent.critic_loss=value_mse"],
}
"""Variant name -> the ``flashsac train`` overrides it adds to the base preset (one factor each)."""


@dataclass(frozen=True)
class AblationRun:
    """One training run of the ablation."""

    task: str
    variant: str
    seed: int
    budget: int


def _run(spec: AblationRun, args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    family, _, task = spec.task.partition("/")
    variant = re.sub(r"[^A-Za-z0-9._+-]", "", spec.variant.replace(" ", "_").replace("/", "d").replace("*", "x"))
    name = f"{spec.task.replace('/', '-')}_{variant}"  # a folder name Hydra reads back as one plain string
    run_dir = work_dir / f"{name}_s{spec.seed}"
    overrides = [
        f"env={family}",
        f"env.task={task}",
        f"preset={args.preset}",
        f"train.num_env_steps={spec.budget}",
        f"seed={spec.seed}",
        "device=cpu",
        "logging.tensorboard=false",
        f"train.eval_every_env_steps={max(spec.budget // args.evals, 1)}",
        f"train.log_every_env_steps={max(spec.budget // args.evals, 1)}",
        *VARIANTS[spec.variant],
    ]
    if args.episodes is not None:
        overrides.append(f"train.num_eval_episodes={args.episodes}")
    record: dict[str, Any] = asdict(spec) | {"overrides": VARIANTS[spec.variant]}
    summary = run_dir / "summary.json"
    if summary.exists():  # finished by an earlier, interrupted call with the same --work-dir: reuse it
        returncode, tail = 0, ""
        record |= {"wall_s": json.loads(summary.read_text(encoding="utf-8"))["wall_time_s"], "reused": True}
    elif args.no_train:
        return record | {"wall_s": 0.0, "error": "not run (--no-train and no finished run in --work-dir)"}
    else:
        # An unfinished run left by an interrupted call: start clean, or its logs would be appended to.
        shutil.rmtree(run_dir, ignore_errors=True)
        run = run_train(overrides, run_dir, threads=1)
        returncode, tail = run.returncode, run.log_tail
        record |= {"wall_s": run.wall_s}
    evals = series(read_scalars(run_dir), "eval/avg_return")
    if returncode != 0 or not evals or evals[-1][0] < spec.budget:
        return record | {"error": f"exit code {returncode}: {tail}"}
    later = [value for steps, value in evals if steps > 0]
    return record | {"error": None, "evals": evals, "final": evals[-1][1], "mean_later_evals": statistics.fmean(later)}


def _summaries(records: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{task: {variant: stats}}`` over the successful seeds: finals, mean, IQM, in-loop mean, wall-clock."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for record in records:
        if record["error"] is not None:
            continue
        out.setdefault(record["task"], {}).setdefault(record["variant"], {"runs": []})["runs"].append(record)
    for variants in out.values():
        for stats in variants.values():
            runs = stats.pop("runs")
            finals = [run["final"] for run in runs]
            stats |= {
                "seeds": [run["seed"] for run in runs],
                "finals": finals,
                "final_mean": statistics.fmean(finals),
                "final_iqm": iqm(finals),
                "mean_later_evals": statistics.fmean(run["mean_later_evals"] for run in runs),
                "wall_s": statistics.fmean(run["wall_s"] for run in runs),
            }
    return out


def markdown_table(summaries: dict[str, dict[str, dict[str, Any]]], budgets: dict[str, int]) -> str:
    """One row per variant, one column per task: final-return IQM (mean of the in-loop evaluations) [seeds]."""
    tasks = list(summaries)
    variants = list(dict.fromkeys(v for task in tasks for v in summaries[task]))
    header = "| variant | " + " | ".join(f"{task} ({budgets[task] // 1000}k)" for task in tasks) + " |"
    lines = [header, "|---|" + "---|" * len(tasks)]
    for variant in variants:
        cells = []
        for task in tasks:
            stats = summaries[task].get(variant)
            if stats is None:
                cells.append("-")
                continue
            finals = ", ".join(f"{value:.0f}" for value in stats["finals"])
            cells.append(f"**{stats['final_iqm']:.0f}** ({stats['mean_later_evals']:.0f}) [{finals}]")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashsac bench ablate", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["dmc/cartpole-balance_sparse"], help="family/task")
    parser.add_argument("--budget", type=int, nargs="+", default=[30_000], help="env steps (one, or one per task)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="NAME")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds of every (task, variant)")
    parser.add_argument("--preset", default="small", help="base preset the variants change")
    parser.add_argument("--evals", type=int, default=5, help="in-loop evaluations per run (after the initial one)")
    parser.add_argument(
        "--episodes", type=int, help="deterministic episodes per evaluation (default: the family's own count)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs side by side, one torch thread each")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON result file")
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="keep the run folders here (default: deleted); a finished run already there is reused, not rerun",
    )
    parser.add_argument(
        "--no-train",
        action="store_true",
        help="train nothing: report only the runs already finished in --work-dir (the others show as not run)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run every (task, variant, seed), write the JSON after each, print the markdown table; 1 if a run failed."""
    parser = _parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if len(args.budget) not in (1, len(args.tasks)):
        parser.error(f"--budget takes one value or one per task ({len(args.tasks)}), got {len(args.budget)}")
    for flag in ("jobs", "evals", "episodes"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1, got {getattr(args, flag)}")
    if bad := [task for task in args.tasks if "/" not in task]:
        parser.error(f"--tasks {bad[0]}: name it as family/task, e.g. dmc/{bad[0]}")
    budgets = dict(
        zip(args.tasks, args.budget * len(args.tasks) if len(args.budget) == 1 else args.budget, strict=True)
    )
    specs = [
        AblationRun(task, variant, seed, budgets[task])
        for task in args.tasks
        for seed in args.seeds
        for variant in args.variants
    ]
    holder: tempfile.TemporaryDirectory[str] | None = None
    if args.work_dir is None:
        holder = tempfile.TemporaryDirectory(prefix="ablate-")
        work_dir = Path(holder.name)
    else:
        work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info(torch.device("cpu")) | {"jobs": args.jobs}
    records: list[dict[str, Any]] = []
    start = time.perf_counter()

    def payload() -> dict[str, Any]:
        settings = vars(args) | {"out": str(args.out), "work_dir": str(args.work_dir), "budgets": budgets}
        summaries = _summaries(records)
        return {"benchmark": BENCHMARK, "machine": machine, "settings": settings, "variants": VARIANTS} | {
            "runs": records,
            "summaries": summaries,
            "table": markdown_table(summaries, budgets),
            "total_wall_s": time.perf_counter() - start,
        }

    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for record in pool.map(lambda spec: _run(spec, args, work_dir), specs):
                records.append(record)
                status = (
                    record["error"] or f"final {record['final']:.1f}, in-loop mean {record['mean_later_evals']:.1f}"
                )
                print(
                    f"{BENCHMARK} {record['task']} [{record['variant']}] seed {record['seed']}: {status} "
                    f"({record['wall_s']:.0f}s)",
                    flush=True,
                )
                write_json(args.out, payload())
    finally:
        if holder is not None:
            holder.cleanup()
    print(payload()["table"])
    print(f"{BENCHMARK}: wrote {args.out} ({(time.perf_counter() - start) / 60:.1f} min)")
    return 1 if any(record["error"] for record in records) else 0


if __name__ == "__main__":
    sys.exit(main())

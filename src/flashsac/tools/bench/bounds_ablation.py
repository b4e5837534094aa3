"""``flashsac bench bounds``: do robot-correct action bounds and true final observations matter? Same budget, seeds.

Trains one joint-position robot under three conditions, each seed once per condition, alternating conditions
within a seed so machine drift weighs on all alike:

* ``joint_limits``: ``env.action_bounds=joint_limits`` and the true final observation (the robot-correct set-up);
* ``declared_bounds``: the env's own huge declared box (``env.action_bounds=env``; Genesis Go2 clips at +-100);
* ``post_reset_final_obs``: joint-limit bounds, but time-outs bootstrap from the post-reset observation
  (``env.final_obs=post_reset``), as simulators that lose the final observation force.

Reports the final evaluation return per condition (mean, sample std, each seed) and the curves (PNG).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flashsac.tools.bench.common import RESULTS_DIR, machine_info, png_path, pyplot, save_figure, write_json
from flashsac.tools.bench.train_runs import run_train, series

__all__ = ["CONDITIONS", "DESCRIPTION", "main", "summarise"]

DESCRIPTION = "huge declared bounds vs joint-limit bounds, true vs post-reset final obs (Genesis Go2 by default)"

CONDITIONS: dict[str, list[str]] = {
    "joint_limits": ["env.action_bounds=joint_limits", "env.final_obs=exact"],
    "declared_bounds": ["env.action_bounds=env", "env.allow_suspicious_bounds=true", "env.final_obs=exact"],
    "post_reset_final_obs": ["env.action_bounds=joint_limits", "env.final_obs=post_reset"],
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashsac bench bounds", description=DESCRIPTION)
    parser.add_argument("--env", default="genesis", help="simulator family (default genesis)")
    parser.add_argument("--task", default="go2-walk_easy", help="a joint-position task of that family")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=int, default=500_000, help="env steps per run")
    parser.add_argument("--num-envs", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2, help="torch/BLAS threads per run")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs at once (each in its own process; on 2 cores, 2 jobs of 1 thread beat 1 job of 2 threads)",
    )
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--preset", default="small", help="the flashsac preset of every run")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs") / "bench_bounds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "bounds.json")
    parser.add_argument("overrides", nargs="*", help="extra key=value overrides for every run")
    return parser


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per condition: the final evaluation return of each seed, their mean and sample standard deviation."""
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        if run["final_return"] is None:
            continue
        entry = out.setdefault(run["condition"], {"seeds": [], "final_returns": []})
        entry["seeds"].append(run["seed"])
        entry["final_returns"].append(run["final_return"])
    for entry in out.values():
        values = entry["final_returns"]
        entry["mean"] = statistics.fmean(values)
        entry["std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return out


def _plot(path: Path, runs: list[dict[str, Any]], title: str) -> None:
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    colours = dict(zip(CONDITIONS, ("tab:green", "tab:red", "tab:orange"), strict=True))
    for condition in CONDITIONS:
        label = condition
        for run in (r for r in runs if r["condition"] == condition and r["curve"]):
            steps, values = zip(*run["curve"], strict=True)
            ax.plot(steps, values, color=colours[condition], alpha=0.8, label=label)
            label = None  # one legend entry per condition
    ax.set_xlabel("env steps")
    ax.set_ylabel("evaluation return")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    save_figure(fig, path, dpi=100)


def main(argv: list[str]) -> int:
    """Run ``flashsac bench bounds``; returns the exit code (1 when a run failed)."""
    args = _parser().parse_args(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    common = [
        f"env={args.env}",
        f"env.task={args.task}",
        f"preset={args.preset}",
        f"env.num_envs={args.num_envs}",
        f"train.num_env_steps={args.budget}",
        *args.overrides,
    ]
    plan = [
        (seed, condition)
        for seed in args.seeds
        for condition in (args.conditions if seed % 2 == 0 else args.conditions[::-1])
    ]

    def one(seed: int, condition: str) -> dict[str, Any]:
        run_dir = args.runs_dir / stamp / f"{condition}_s{seed}"
        result = run_train([*common, *CONDITIONS[condition], f"seed={seed}"], run_dir, args.threads)
        curve = series(result.scalars(), "eval/avg_return")
        final = curve[-1][1] if result.returncode == 0 and curve else None
        shown = "failed" if final is None else f"{final:.2f}"
        print(f"bounds: {condition:<21} seed {seed}: final eval return {shown} ({result.wall_s:.0f} s)", flush=True)
        return {
            "condition": condition,
            "seed": seed,
            "final_return": final,
            "curve": curve,
            "wall_s": round(result.wall_s, 1),
            "returncode": result.returncode,
            "run_dir": str(run_dir),
            "log_tail": result.log_tail if result.returncode else "",
        }

    # Runs are whole processes that only wait here, so threads suffice to keep --jobs of them going.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(lambda job: one(*job), plan))
    summary = summarise(runs)
    payload = {
        "benchmark": "bounds",
        "machine_info": machine_info(__import__("torch").device("cpu")),
        "settings": {**{k: v for k, v in vars(args).items() if k not in ("out", "runs_dir")}, "overrides": common},
        "conditions": {name: CONDITIONS[name] for name in args.conditions},
        "summary": summary,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, payload)
    _plot(png_path(args.out), runs, f"{args.env}/{args.task}: {args.budget:,} env steps, seeds {args.seeds}")
    for condition, entry in summary.items():
        n = len(entry["final_returns"])
        print(f"bounds: {condition:<21} final eval return {entry['mean']:.2f} +- {entry['std']:.2f} (n={n})")
    return 1 if any(r["returncode"] for r in runs) else 0

"""flashsac (small preset) side by side with Stable-Baselines3 SAC: same task, env-step budget, machine, threads.

For each task, ``--repeats`` pairs of runs (pair ``i`` seeded ``--seed + i``), each run in a fresh interpreter on
the CPU with ``--threads`` torch/OpenMP threads, the two frameworks alternating (flashsac, SB3, SB3, flashsac,
...) so that drift in machine speed weighs on both. flashsac runs ``flashsac train env=mujoco preset=small``
then ``flashsac eval`` on its final checkpoint; SB3 runs ``SAC("MlpPolicy")`` with every default
hyper-parameter, then ``evaluate_policy``. Both final policies are evaluated deterministically over
``--episodes`` episodes (flashsac's own final-evaluation count by default, 10).

Reported per task: training wall-clock, env-steps/s and final return (mean, spread over episodes and over
repeats) for each framework, and flashsac/SB3 ratios (wall-clock, env-steps/s, return) plus the return
difference. Training wall-clock excludes interpreter start-up, imports, network construction and evaluation
(flashsac: from the end of its initial evaluation to its last training log at the budget; SB3: ``model.learn``);
``process_wall_s``/``process_cpu_s`` give whole processes, start-up and evaluation included.

What differs by design (the JSON ``notes`` list repeats it with the values that actually ran): network sizes
(flashsac small: actor 1 block x 64, critic 1 block x 128, twin categorical critic with 101 bins; SB3: MLPs
256-256 for the actor and each of 2 scalar critics), warm-up (2,000 random steps vs 100), actor updates (every
2nd update vs every update), target rate (0.01 vs 0.005), replay capacity (200k vs 1M), learning-rate schedule
(cosine 3e-4 to 1.5e-4 vs constant 3e-4), entropy target, reward scaling and exploration noise. Both use
batch 256 and one gradient update per env step. Results default to ``benchmarks/results/sb3_compare.json`` and
a PNG beside it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError, check_env
from flashsac.runtime.seeding import EVAL_SEED_OFFSET
from flashsac.tools.bench.common import RESULTS_DIR, machine_info, png_path, write_json
from flashsac.tools.bench.sb3_report import aggregate, plot, summary_line
from flashsac.tools.bench.sb3_runs import FRAMEWORKS, RunSpec, execute, schedule
from flashsac.tools.bench.sb3_worker import SB3_FIX, family_and_task

__all__ = ["DEFAULT_BUDGETS", "DESCRIPTION", "main", "notes"]

BENCHMARK = "sb3_compare"
DESCRIPTION = "flashsac (small preset) vs Stable-Baselines3 SAC: wall-clock, env-steps/s, final return, as ratios"
DEFAULT_OUT = RESULTS_DIR / f"{BENCHMARK}.json"  # relative to the working directory
DEFAULT_BUDGETS = {
    "dmc/cartpole-balance_sparse": 30_000,
    "dmc/cartpole-swingup": 15_000,
    "dmc/walker-walk": 15_000,
    "Hopper-v5": 10_000,
    "HalfCheetah-v5": 10_000,
}
"""The default tasks (two sparse-or-dense DMC cartpoles, a DMC walker, two MuJoCo v5 tasks) and their env steps per
run: cartpole-balance_sparse needs about 30k steps before SB3 SAC balances it; the others are sized so that the
whole comparison (5 tasks x 3 pairs) fits in about two hours of a 2-core CPU."""
OTHER_BUDGETS = {"InvertedPendulum-v5": 15_000}
"""Known budgets of tasks outside the default list (``--tasks InvertedPendulum-v5`` needs no ``--budget``)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashsac bench sb3", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=list(DEFAULT_BUDGETS),
        help="gymnasium MuJoCo v5 ids, or dmc/<domain-task> (dmc/cartpole-swingup)",
    )
    parser.add_argument(
        "--budget", type=int, help=f"env steps per run for every task (default per task: {DEFAULT_BUDGETS})"
    )
    parser.add_argument("--repeats", type=int, default=3, help="pairs of runs per task (one run per framework)")
    parser.add_argument("--threads", type=int, default=1, help="torch/OpenMP threads of every run")
    parser.add_argument("--episodes", type=int, default=10, help="deterministic evaluation episodes per run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first pair; pair i uses seed + i")
    parser.add_argument(
        "--evals",
        type=int,
        default=5,
        help="in-loop evaluations of each flashsac run (its learning curve: when it reaches SB3's final return)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON result file (the PNG goes beside it)")
    parser.add_argument(
        "--frameworks",
        nargs="+",
        choices=FRAMEWORKS,
        default=list(FRAMEWORKS),
        help="which sides to run (default both); with --resume, a later call can add the other side",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the successful runs already in --out that match a scheduled run, run only the others",
    )
    parser.add_argument(
        "--work-dir", type=Path, help="keep every run's files in a new folder under this one (default: deleted)"
    )
    parser.add_argument(
        "--flashsac-override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra 'flashsac train' override, repeatable (e.g. buffer.min_size=1000)",
    )
    return parser


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, int]:
    """Validate the flags and the installed packages; return the budget of every task."""
    for flag in ("repeats", "threads", "episodes", "budget", "evals"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            parser.error(f"--{flag} must be at least 1, got {value}")
    known = DEFAULT_BUDGETS | OTHER_BUDGETS
    missing = [task for task in args.tasks if task not in known]
    if args.budget is None and missing:
        parser.error(f"no default budget for {', '.join(missing)}; pass --budget N")
    if importlib.util.find_spec("stable_baselines3") is None:
        raise MissingSimulatorError(f"flashsac bench sb3 needs stable-baselines3; fix: {SB3_FIX}")
    for task in args.tasks:
        try:
            check_env(*family_and_task(task))
        except (UnknownTaskError, ValueError) as err:
            raise UnknownTaskError(f"--tasks {task}: {err}") from err
    budgets = {task: args.budget or known[task] for task in args.tasks}
    for task, budget in budgets.items():
        if budget % args.evals:
            parser.error(f"--evals {args.evals} must divide the budget of {task} ({budget}); pick another --evals")
    return budgets


def _first_ok(records: list[dict[str, Any]], framework: str) -> dict[str, Any] | None:
    return next((r for r in records if r["framework"] == framework and r["error"] is None), None)


def _flashsac_note(details: dict[str, Any]) -> str:
    a, b, t = details["agent"], details["buffer"], details["train"]
    warmup = max(b["min_size"], t["batch_size"])  # updates also wait for one full batch
    return (
        f"flashsac preset=small: actor {a['actor_num_blocks']} block(s) x {a['actor_hidden_dim']}, critic "
        f"{a['critic_num_blocks']} block(s) x {a['critic_hidden_dim']} (2 fused members, categorical with "
        f"{a['critic_num_bins']} bins); {details['actor_numel']:,} actor / {details['critic_numel']:,} critic "
        f"state-dict elements; batch {t['batch_size']}, {t['updates_per_vector_step']:g} update per env step, "
        f"actor every {a['actor_update_period']} updates, {warmup:,} random warm-up steps, buffer "
        f"{b['capacity']:,}, tau {a['tau']:g}, lr cosine {a['lr_peak']:g} -> {a['lr_end']:g}, temperature from "
        f"{a['temp_initial_value']:g} with target std {a['temp_target_sigma']:g}, return-based reward scaling "
        f"{'on' if a['normalize_reward'] else 'off'}, repeated exploration noise (zeta mu {a['noise_zeta_mu']:g})."
    )


def _sb3_note(details: dict[str, Any]) -> str:
    h = details["hyperparameters"]
    return (
        f"SB3 SAC defaults (MlpPolicy): actor MLP {h['net_arch_actor']}, {h['n_critics']} critics MLP "
        f"{h['net_arch_critic']} (scalar Q); {h['actor_numel']:,} actor / {h['critic_numel']:,} critic "
        f"parameters; batch {h['batch_size']}, {h['gradient_steps']} update(s) every {h['train_freq']}, actor "
        f"every update, {h['learning_starts']:,} random warm-up steps, buffer {h['buffer_size']:,}, tau "
        f"{h['tau']:g}, lr constant {h['learning_rate']}, entropy coefficient {h['ent_coef']} (target entropy "
        f"{h['target_entropy']:g}), no reward scaling, independent Gaussian exploration noise; versions "
        f"{details['versions']}."
    )


def notes(records: list[dict[str, Any]], threads: int) -> list[str]:
    """What differs between the two sides and how each number was measured, with the values that actually ran."""
    lines = [
        f"Both: CPU, {threads} torch intra-op thread(s), OMP/MKL/OPENBLAS_NUM_THREADS={threads}, one env, the same "
        "gymnasium task and env-step budget, a fresh interpreter per run, runs alternated flashsac/SB3/SB3/flashsac.",
        "train_wall_s: flashsac from the end of its initial evaluation to its training log at the budget (scalars."
        "jsonl); SB3 model.learn(). Both exclude start-up, imports, network construction and evaluation. "
        "process_wall_s/process_cpu_s cover whole processes (flashsac: train + eval commands).",
        "Final return: deterministic policy, the same number of episodes, evaluation env seeded run seed + "
        f"{EVAL_SEED_OFFSET}; flashsac via 'flashsac eval' on checkpoints/final.pt, SB3 via evaluate_policy.",
    ]
    fs, sb = _first_ok(records, "flashsac"), _first_ok(records, "sb3")
    if fs is not None:
        lines.append(_flashsac_note(fs["details"]))
    if sb is not None:
        lines.append(_sb3_note(sb["details"]))
    return lines


def _payload(
    args: argparse.Namespace,
    budgets: dict[str, int],
    machine: dict[str, Any],
    records: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "benchmark": BENCHMARK,
        "machine": machine,
        "settings": {
            "tasks": args.tasks,
            "budgets": budgets,
            "repeats": args.repeats,
            "threads": args.threads,
            "episodes": args.episodes,
            "seed": args.seed,
            "flashsac_overrides": args.flashsac_override,
            "order": "per task and pair: flashsac then SB3 for even pairs, SB3 then flashsac for odd pairs",
        },
        "notes": notes(records, args.threads),
        "runs": records,
    } | extra


def _spec_of(record: dict[str, Any]) -> RunSpec:
    return RunSpec(**{name: record[name] for name in RunSpec.__dataclass_fields__ if name in record})


def _kept_runs(args: argparse.Namespace, runs: list[RunSpec]) -> dict[RunSpec, dict[str, Any]]:
    """With ``--resume``, the successful earlier runs to keep; otherwise nothing.

    Those are the records in ``--out`` whose run is scheduled again (flashsac ones only when the flashsac overrides
    are the same), keyed by their spec.
    """
    if not args.resume or not args.out.exists():
        return {}
    earlier = json.loads(args.out.read_text(encoding="utf-8"))
    same_overrides = earlier["settings"]["flashsac_overrides"] == args.flashsac_override
    wanted = set(runs)
    kept = {}
    for record in earlier["runs"]:
        spec = _spec_of(record)
        if record["error"] is None and spec in wanted and (spec.framework == "sb3" or same_overrides):
            kept[spec] = record
    return kept


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; write JSON + PNG; print one line per run and a summary line per task.

    Returns:
        0 when every run succeeded, 1 when some failed (their errors are in the JSON), 2 for bad input.
    """
    parser = _parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        budgets = _check(args, parser)
    except (MissingSimulatorError, UnknownTaskError) as err:
        print(f"flashsac bench sb3: error: {err}", file=sys.stderr)
        return 2
    runs = schedule(args.tasks, budgets, args.repeats, args.seed, args.threads, args.episodes, args.evals)
    runs = [spec for spec in runs if spec.framework in args.frameworks]
    kept = _kept_runs(args, runs)
    if args.work_dir is not None:  # a fresh folder per invocation: runs never append to an earlier run's files
        args.work_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix=time.strftime("sb3-%Y%m%d-%H%M%S-"), dir=args.work_dir))
    records: list[dict[str, Any]] = list(kept.values())
    # Described once, before the first run: the load average then tells how busy the machine was at the start.
    machine = machine_info(torch.device("cpu")) | {"run_threads": args.threads}
    start = time.perf_counter()
    try:
        for index, spec in enumerate(runs, 1):
            if spec in kept:
                continue
            record = execute(spec, work_dir, args.flashsac_override)
            records.append(record)
            status = record["error"] or (
                f"train {record['train_wall_s']:.1f}s, {record['env_steps_per_s']:.1f} steps/s, "
                f"return {record['eval_mean']:.1f}±{record['eval_std']:.1f}"
            )
            print(
                f"{BENCHMARK} [{index}/{len(runs)}] {spec.task} {spec.framework} seed {spec.seed}: {status}", flush=True
            )
            # Rewritten after every run, so an interrupted benchmark keeps the runs it finished.
            write_json(args.out, _payload(args, budgets, machine, records, complete=False))
    finally:
        if args.work_dir is None:
            shutil.rmtree(work_dir, ignore_errors=True)
    results = aggregate(records)
    total_s = time.perf_counter() - start
    final = _payload(args, budgets, machine, records, results=results, complete=True, total_wall_s=total_s)
    write_json(args.out, final)
    png = png_path(args.out)
    plot(results, records, png, f"flashsac (small) vs SB3 SAC, {args.threads} thread(s), {args.repeats} pair(s)")
    for task, entry in results.items():
        print(summary_line(task, budgets[task], entry))
    kept_note = f"; run files kept in {work_dir}" if args.work_dir is not None else ""
    print(f"{BENCHMARK}: wrote {args.out} and {png} ({total_s / 60:.1f} min){kept_note}")
    return 1 if any(record["error"] for record in records) else 0


if __name__ == "__main__":
    sys.exit(main())

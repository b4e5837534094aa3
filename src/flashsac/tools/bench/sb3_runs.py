"""One run of ``flashsac bench sb3``: launch a framework in a fresh interpreter and turn its outputs into a record.

flashsac runs through its own CLI (``flashsac train`` then ``flashsac eval`` on the final checkpoint);
Stable-Baselines3 runs through :mod:`flashsac.tools.bench.sb3_worker`. Both get the same torch thread count and the
same ``OMP/MKL/OPENBLAS_NUM_THREADS``. Every record has the same keys whatever the framework, so the report
code never needs to know which one produced it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flashsac.checkpointing.checkpoint_file import load_checkpoint
from flashsac.tools.bench.sb3_worker import family_and_task
from flashsac.tools.bench.train_runs import child_env, read_scalars

__all__ = ["FRAMEWORKS", "RunSpec", "execute", "schedule", "learning_curve", "with_rates"]

FRAMEWORKS = ("flashsac", "sb3")
_LOG_TAIL_LINES = 5


@dataclass(frozen=True)
class RunSpec:
    """What one run trains: a framework on a task for ``budget`` env steps with a seed and a thread count."""

    framework: str
    task: str
    pair: int
    seed: int
    budget: int
    threads: int
    episodes: int
    evals: int = 5
    """In-loop evaluations of a flashsac run (every ``budget / evals`` env steps): its learning curve."""


def schedule(
    tasks: list[str], budgets: dict[str, int], repeats: int, seed: int, threads: int, episodes: int, evals: int = 5
) -> list[RunSpec]:
    """The run order: per task, ``repeats`` pairs, one run of each framework per pair, pair ``i`` seeded ``seed + i``.

    The frameworks alternate run by run and the first of each pair alternates too (flashsac, SB3, SB3,
    flashsac, ...), so a linear drift in machine speed over a task's runs weighs on both frameworks equally.
    """
    runs = []
    for task in tasks:
        for pair in range(repeats):
            order = FRAMEWORKS if pair % 2 == 0 else FRAMEWORKS[::-1]
            runs += [RunSpec(name, task, pair, seed + pair, budgets[task], threads, episodes, evals) for name in order]
    return runs


def _children_cpu_s() -> float | None:
    """User + system CPU seconds of all finished child processes so far (``None`` where unsupported)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], log: Path, threads: int) -> tuple[int, float, float | None]:
    """Run ``command`` with its output in ``log``; return its exit code, wall-clock and CPU seconds."""
    cpu_before, start = _children_cpu_s(), time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        code = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=child_env(threads)).returncode
    wall, cpu_after = time.perf_counter() - start, _children_cpu_s()
    return code, wall, None if cpu_before is None or cpu_after is None else cpu_after - cpu_before


def _failure(command: list[str], code: int, log: Path) -> str:
    lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    tail = " | ".join(lines[-_LOG_TAIL_LINES:])
    return f"{' '.join(command[1:4])} ... exited with code {code} (log {log}): {tail}"


def learning_curve(run_dir: Path, budget: int) -> tuple[float, list[tuple[int, float, float]]]:
    """Seconds of flashsac training proper and its in-loop evaluations, read from ``run_dir/scalars.jsonl``.

    Training proper runs from the initial evaluation's record (env step 0) to the training record at env step
    ``budget``, less the time of every in-loop evaluation in between (an evaluation's record is written after
    it ran, right after the training record of the same env step, so the difference of the two is its cost).
    Start-up, the evaluations and the checkpoint write are outside the window.

    Returns:
        The window in seconds, and per in-loop evaluation after step 0 ``(env_steps, return, training seconds
        up to that step)``.

    Raises:
        ValueError: if the step-0 evaluation or the training record at ``budget`` is missing (other intervals, or
            the run failed).
    """
    start = None
    logged: dict[int, float] = {}
    evals: list[tuple[int, float, float]] = []
    for record in read_scalars(run_dir):
        steps, wall = int(record["env_steps"]), float(record["wall_time"])
        if "eval/avg_return" not in record:
            logged[steps] = wall
        elif steps == 0 and start is None:
            start = wall
        elif steps in logged:
            evals.append((steps, float(record["eval/avg_return"]), wall - logged[steps]))
    if start is None or budget not in logged:
        raise ValueError(
            f"{run_dir / 'scalars.jsonl'} lacks the step-0 evaluation or the training record at step {budget}."
        )
    curve, spent = [], 0.0
    for steps, value, cost in evals:
        curve.append((steps, value, logged[steps] - start - spent))
        spent += cost
    window = logged[budget] - start - sum(cost for steps, _, cost in evals if steps < budget)
    return window, curve


def _flashsac_details(checkpoint: Path) -> dict[str, Any]:
    """Configuration and network sizes, read from the final checkpoint (what actually ran)."""
    payload = load_checkpoint(checkpoint)
    config = payload["config"]
    agent = payload["agent"]

    def numel(state: dict[str, Any]) -> int:
        return sum(value.numel() for value in state.values() if hasattr(value, "numel"))

    return {
        "agent": config["agent"],
        "buffer": config["buffer"],
        "train": config["train"],
        "num_threads": config["num_threads"],
        "actor_numel": numel(agent["actor"]),
        "critic_numel": numel(agent["critic"]),
    }


def _run_flashsac(spec: RunSpec, run_dir: Path, overrides: list[str]) -> dict[str, Any]:
    python = sys.executable
    family, task = family_and_task(spec.task)
    train = [python, "-m", "flashsac.cli.main", "train", f"env={family}", f"env.task={task}", "preset=small"]
    train += [
        f"train.num_env_steps={spec.budget}",
        f"seed={spec.seed}",
        "device=cpu",
        f"num_threads={spec.threads}",
        f"logging.run_dir={run_dir}",
        "logging.tensorboard=false",
        "logging.progress=false",
        # A training log at each evaluation (their difference is the evaluation's cost, taken out of the window).
        f"train.eval_every_env_steps={spec.budget // spec.evals}",
        f"train.log_every_env_steps={spec.budget // spec.evals}",
        f"train.num_eval_episodes={spec.episodes}",
        *overrides,
    ]
    train_log, eval_log = run_dir.parent / f"{run_dir.name}.train.log", run_dir.parent / f"{run_dir.name}.eval.log"
    code, wall, cpu = _timed(train, train_log, spec.threads)
    if code != 0:
        return {"error": _failure(train, code, train_log)}
    checkpoint = run_dir / "checkpoints" / "final.pt"
    eval_json = run_dir / "eval_final.json"
    evaluate = [python, "-m", "flashsac.cli.main", "eval", str(checkpoint), "--episodes", str(spec.episodes)]
    evaluate += ["--device", "cpu", "--out", str(eval_json)]
    eval_code, eval_wall, eval_cpu = _timed(evaluate, eval_log, spec.threads)
    if eval_code != 0:
        return {"error": _failure(evaluate, eval_code, eval_log)}
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    report = json.loads(eval_json.read_text(encoding="utf-8"))
    returns = [float(value) for value in report["returns"]]
    window, curve = learning_curve(run_dir, spec.budget)
    return {
        "env_steps": summary["env_steps"],
        "updates": summary["update_steps"],
        "train_wall_s": window,
        "curve": curve,
        "process_wall_s": wall + eval_wall,
        "process_cpu_s": None if cpu is None or eval_cpu is None else cpu + eval_cpu,
        "eval_returns": returns,
        "eval_lengths": [int(value) for value in report["lengths"]],
        "details": _flashsac_details(checkpoint) | {"in_loop_final_eval": summary["final_eval"]},
    }


def _run_sb3(spec: RunSpec, out: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "flashsac.tools.bench.sb3_worker",
        "--task",
        spec.task,
        "--budget",
        str(spec.budget),
    ]
    command += ["--seed", str(spec.seed), "--threads", str(spec.threads), "--episodes", str(spec.episodes)]
    command += ["--out", str(out)]
    code, wall, cpu = _timed(command, out.with_suffix(".log"), spec.threads)
    if code != 0:
        return {"error": _failure(command, code, out.with_suffix(".log"))}
    record = json.loads(out.read_text(encoding="utf-8"))
    return {
        "env_steps": record["env_steps"],
        "updates": record["updates"],
        "train_wall_s": record["train_wall_s"],
        "process_wall_s": wall,
        "process_cpu_s": cpu,
        "eval_returns": record["eval_returns"],
        "eval_lengths": record["eval_lengths"],
        "details": {key: record[key] for key in ("hyperparameters", "versions", "torch_threads", "train_cpu_s")},
    }


def execute(spec: RunSpec, work_dir: Path, flashsac_overrides: list[str]) -> dict[str, Any]:
    """Run ``spec`` in a fresh interpreter under ``work_dir``; return its record (``error`` set if it failed).

    Record keys: the spec's fields, ``env_steps``, ``updates``, ``train_wall_s`` (training proper),
    ``env_steps_per_s`` (``env_steps / train_wall_s``), ``process_wall_s`` and ``process_cpu_s`` (whole
    processes: start-up, training, evaluation), ``eval_returns``/``eval_lengths`` (per episode),
    ``eval_mean``/``eval_std`` (over episodes), ``details`` (framework-specific settings) and ``error``.
    """
    name = f"{spec.task.replace('/', '-')}_{spec.framework}_pair{spec.pair}_s{spec.seed}"
    work_dir.mkdir(parents=True, exist_ok=True)
    if spec.framework == "flashsac":
        outcome = _run_flashsac(spec, work_dir / name, flashsac_overrides)
    else:
        outcome = _run_sb3(spec, work_dir / f"{name}.json")
    return with_rates(asdict(spec) | {"error": None} | outcome)


def with_rates(record: dict[str, Any]) -> dict[str, Any]:
    """Add ``env_steps_per_s``, ``eval_mean`` and ``eval_std`` (over episodes) to a successful run's record."""
    if record["error"] is None:
        returns = record["eval_returns"]
        record["env_steps_per_s"] = record["env_steps"] / record["train_wall_s"]
        record["eval_mean"] = statistics.fmean(returns)
        record["eval_std"] = statistics.pstdev(returns)
    return record

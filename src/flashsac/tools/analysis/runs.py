"""Read the evaluation curve of a ``flashsac train`` run directory, and group runs by task.

A run directory holds ``config.yaml`` (which task, seed and env count) and the evaluation records in
``scalars.jsonl`` (one JSON object per log call), else ``scalars.csv`` (``env_steps,key,value,wall_time``), else
``summary.json`` (returns only). Evaluation keys are ``eval/<metric>``.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flashsac.tools.analysis.errors import AnalysisInputError

__all__ = ["EVAL_METRICS", "RunCurve", "group_by_task", "read_run"]

EVAL_METRICS = ("avg_return", "avg_success_once")
"""The evaluation metrics ``flashsac plot`` compares (logged as ``eval/<metric>``)."""


@dataclass(frozen=True)
class RunCurve:
    """One run's evaluation curve for one metric: ``values[i]`` was measured at ``env_steps[i]`` (ascending)."""

    path: Path
    family: str
    task: str
    seed: int
    num_envs: int
    metric: str
    env_steps: tuple[int, ...]
    values: tuple[float, ...]
    settings: str = ""
    """The training settings a reader needs to judge a comparison (env count, updates per env step, batch,
    network sizes), as one line; empty when the config lacks them."""


def _load_config(path: Path) -> dict[str, Any]:
    import yaml  # PyYAML comes with hydra-core, a core dependency; imported here to keep the module light

    config_file = path / "config.yaml"
    if not path.is_dir():
        raise AnalysisInputError(f"run directory {path} does not exist; pass folders made by `flashsac train`.")
    if not config_file.is_file():
        raise AnalysisInputError(
            f"{path} is not a flashsac run directory (no config.yaml); pass the folder `flashsac train` printed "
            "as 'run directory:'."
        )
    try:
        data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise AnalysisInputError(f"{config_file} is not valid YAML ({type(err).__name__}).") from None
    env = data.get("env") if isinstance(data, dict) else None
    if not isinstance(env, dict) or "name" not in env or "task" not in env:
        raise AnalysisInputError(f"{config_file} has no env.name/env.task; it was not written by `flashsac train`.")
    return data


def _from_jsonl(path: Path, key: str) -> dict[int, float]:
    points: dict[int, float] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            if number == len(lines):  # a crash mid-write leaves a truncated last line; the rest is intact
                break
            raise AnalysisInputError(f"{path}:{number} is not valid JSON ({err.msg}).") from None
        if key in record:
            points[int(record["env_steps"])] = float(record[key])  # a repeated step keeps its last record
    return points


def _from_csv(path: Path, key: str) -> dict[int, float]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        if not {"env_steps", "key", "value"} <= set(rows.fieldnames or []):
            raise AnalysisInputError(f"{path} lacks the columns env_steps,key,value of a flashsac scalars.csv.")
        return {int(row["env_steps"]): float(row["value"]) for row in rows if row["key"] == key}


def _from_summary(path: Path, metric: str) -> dict[int, float]:
    if metric != "avg_return":
        return {}
    summary = json.loads(path.read_text(encoding="utf-8"))
    return dict(zip(summary.get("eval_env_steps", []), summary.get("eval_returns", []), strict=True))


def read_run(path: Path, metric: str = "avg_return") -> RunCurve:
    """The evaluation curve of ``metric`` in the run directory ``path`` (non-finite evaluations are dropped).

    Raises:
        AnalysisInputError: ``path`` is not a flashsac run directory, or holds no ``eval/<metric>`` records.
    """
    if metric not in EVAL_METRICS:
        raise AnalysisInputError(f"--metric {metric!r} is not supported; choose one of {', '.join(EVAL_METRICS)}.")
    config = _load_config(path)
    key = f"eval/{metric}"
    points: dict[int, float] = {}
    for name, reader in (("scalars.jsonl", _from_jsonl), ("scalars.csv", _from_csv)):
        if (path / name).is_file():
            points = reader(path / name, key)
            if points:
                break
    if not points and (path / "summary.json").is_file():
        points = _from_summary(path / "summary.json", metric)
    points = {step: value for step, value in points.items() if math.isfinite(value)}
    if not points:
        raise AnalysisInputError(
            f"{path} has no {key} records (looked in scalars.jsonl, scalars.csv, summary.json); did the run reach "
            "its first evaluation, with logging.jsonl or logging.csv on?"
        )
    steps = sorted(points)
    env = config["env"]
    return RunCurve(
        path=path,
        family=str(env["name"]),
        task=str(env["task"]),
        seed=int(config.get("seed", 0)),
        num_envs=int(env.get("num_envs", 1)),
        metric=metric,
        env_steps=tuple(steps),
        values=tuple(points[s] for s in steps),
        settings=_settings(config),
    )


def _settings(config: dict[str, Any]) -> str:
    """One line of the settings that decide sample efficiency, e.g. ``10 envs, 0.1 updates/env step, ...``."""
    env, agent, train = config.get("env", {}), config.get("agent", {}), config.get("train", {})
    try:
        num_envs = int(env.get("num_envs", 1))
        per_env_step = float(train["updates_per_vector_step"]) / num_envs
        return (
            f"{num_envs} envs, {per_env_step:g} updates/env step, batch {int(train['batch_size'])}, "
            f"actor {agent['actor_num_blocks']}x{agent['actor_hidden_dim']}, "
            f"critic {agent['critic_num_blocks']}x{agent['critic_hidden_dim']}"
        )
    except (KeyError, TypeError, ValueError):
        return ""


def group_by_task(runs: list[RunCurve]) -> dict[tuple[str, str], list[RunCurve]]:
    """Runs keyed by ``(family, task)``, in first-seen order; within a task sorted by seed."""
    groups: dict[tuple[str, str], list[RunCurve]] = {}
    for run in runs:
        groups.setdefault((run.family, run.task), []).append(run)
    return {key: sorted(group, key=lambda r: r.seed) for key, group in groups.items()}

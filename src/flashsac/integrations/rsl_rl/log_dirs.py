"""Where rsl_rl scripts put runs and find checkpoints: ``logs/rsl_rl/<experiment>/<time-stamp>[_<run name>]/``.

The same layout and the same resume rules as IsaacLab's and mjlab's rsl_rl scripts: ``load_run`` and
``load_checkpoint`` are regular expressions, the latest matching run directory (alphabetical, which is
chronological for time stamps) and its highest-numbered matching ``model_<it>.pt`` are chosen.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

__all__ = ["CHECKPOINT_NAME", "checkpoint_file", "latest_checkpoint", "run_log_dir"]

CHECKPOINT_NAME = "model_{iteration}.pt"
"""rsl_rl's checkpoint file name in the run's log directory."""
_NUMBER = re.compile(r"(\d+)")


def checkpoint_file(log_dir: str | Path, iteration: int) -> Path:
    """``<log_dir>/model_<iteration>.pt``."""
    return Path(log_dir) / CHECKPOINT_NAME.format(iteration=iteration)


def run_log_dir(log_root: str | Path, experiment_name: str, run_name: str = "", now: datetime | None = None) -> Path:
    """A new run's directory: ``<log_root>/<experiment_name>/<YYYY-mm-dd_HH-MM-SS>[_<run_name>]`` (absolute)."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    return (Path(log_root) / experiment_name / (f"{stamp}_{run_name}" if run_name else stamp)).resolve()


def _order(name: str) -> tuple[int, str]:
    numbers = _NUMBER.findall(name)
    return (int(numbers[-1]) if numbers else -1, name)


def latest_checkpoint(experiment_dir: str | Path, load_run: str = ".*", load_checkpoint: str = r"model_.*\.pt") -> Path:
    """The checkpoint to resume from: the last ``load_checkpoint`` match in the latest ``load_run`` match.

    Raises:
        FileNotFoundError: naming the directory and the pattern that matched nothing.
    """
    root = Path(experiment_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"no experiment directory {root}: train first, or set --experiment_name.")
    runs = sorted(p for p in root.iterdir() if p.is_dir() and re.match(load_run, p.name))
    if not runs:
        raise FileNotFoundError(f"no run directory in {root} matches --load_run={load_run!r}.")
    run = runs[-1]
    files = sorted((p.name for p in run.iterdir() if p.is_file() and re.match(load_checkpoint, p.name)), key=_order)
    if not files:
        raise FileNotFoundError(f"no checkpoint in {run} matches --checkpoint={load_checkpoint!r}.")
    return run / files[-1]

"""The checkpoint files of a run directory and the process RNG states an exact resume restores.

A run of N ranks (docs/distributed.md) writes, per checkpoint, rank 0's ``step_<env_steps>.pt`` -- the one that
names the checkpoint -- and beside it ``step_<env_steps>.rank<r>.pt`` (and ``.buffer``) for every other rank.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    "capture_rng",
    "checkpoint_path",
    "list_checkpoints",
    "prune_checkpoints",
    "rank_checkpoint_path",
    "restore_rng",
]

_STEP_FILE = re.compile(r"^step_(\d+)\.pt$")
_RANK_FILE = re.compile(r"^step_(\d+)\.rank\d+\.(pt|buffer)$")


def capture_rng() -> dict[str, Any]:
    """Python, NumPy, torch CPU and CUDA generator states as tensors and plain data."""
    version, mt_state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)  # type: ignore[misc]
    state: dict[str, Any] = {
        "python": {"version": version, "state": list(mt_state), "gauss": gauss},
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Restore :func:`capture_rng` output."""
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(
        (npy["kind"], npy["keys"].numpy().astype(np.uint32), npy["pos"], npy["has_gauss"], npy["cached"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_path(run_dir: Path, env_steps: int) -> Path:
    """Where the periodic checkpoint at ``env_steps`` lives."""
    return run_dir / "checkpoints" / f"step_{env_steps}.pt"


def rank_checkpoint_path(run_dir: Path, env_steps: int, rank: int) -> Path:
    """Where rank ``rank`` keeps its part of the checkpoint at ``env_steps`` (rank 0's is :func:`checkpoint_path`)."""
    if rank == 0:
        return checkpoint_path(run_dir, env_steps)
    return run_dir / "checkpoints" / f"step_{env_steps}.rank{rank}.pt"


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """``(env_steps, path)`` of the run's periodic checkpoints, oldest first."""
    directory = run_dir / "checkpoints"
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _STEP_FILE.match(p.name))]
    return sorted(found)


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` periodic checkpoints (and their buffer snapshots and rank files).

    Rank files older than the newest kept checkpoint that no kept checkpoint names are deleted too (those of a
    checkpoint whose rank-0 file a crash prevented).
    """
    found = list_checkpoints(run_dir)
    for _, path in found[:-keep]:
        # The checkpoint first: a crash in between then leaves an orphan snapshot, never a checkpoint
        # that names a missing snapshot.
        path.unlink(missing_ok=True)
        path.with_suffix(".buffer").unlink(missing_ok=True)
    kept = {steps for steps, _ in found[-keep:]}
    if not kept:
        return
    for path in (run_dir / "checkpoints").iterdir():
        match = _RANK_FILE.match(path.name)
        if match and int(match.group(1)) not in kept and int(match.group(1)) < max(kept):
            path.unlink(missing_ok=True)

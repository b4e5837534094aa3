"""Process-level run state: RNG states for exact resume, the checkpoint files of a run directory, and Ctrl-C."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    "InterruptRequest",
    "capture_rng",
    "checkpoint_path",
    "defer_sigint",
    "list_checkpoints",
    "prune_checkpoints",
    "replace_with_copy",
    "restore_rng",
]

_STEP_FILE = re.compile(r"^step_(\d+)\.pt$")


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


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """``(env_steps, path)`` of the run's periodic checkpoints, oldest first."""
    directory = run_dir / "checkpoints"
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _STEP_FILE.match(p.name))]
    return sorted(found)


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` periodic checkpoints (and their buffer snapshots)."""
    for _, path in list_checkpoints(run_dir)[:-keep]:
        # The checkpoint first: a crash in between then leaves an orphan snapshot, never a checkpoint
        # that names a missing snapshot.
        path.unlink(missing_ok=True)
        path.with_suffix(".buffer").unlink(missing_ok=True)


def replace_with_copy(source: Path, target: Path) -> None:
    """Make ``target`` a copy (a hard link where possible) of ``source``, atomically."""
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


@dataclass
class InterruptRequest:
    """Set by a deferred Ctrl-C; the training loop checkpoints and stops at its next iteration boundary."""

    requested: bool = False


def defer_sigint(request: InterruptRequest) -> Callable[[], None]:
    """Defer Ctrl-C to the next iteration boundary, where the loop state is consistent for a checkpoint.

    The first Ctrl-C sets ``request.requested``; a second one interrupts at once. Returns the function that
    restores the previous handler (a no-op off the main thread, where handlers cannot be installed).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: object) -> None:
        if request.requested:
            raise KeyboardInterrupt
        request.requested = True

    signal.signal(signal.SIGINT, handler)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore

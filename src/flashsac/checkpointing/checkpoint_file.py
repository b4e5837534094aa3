"""Checkpoints: written atomically, loaded safely (tensors and plain data only, never code).

A checkpoint is one ``torch.save`` file holding the agent state, the resolved config and the env spec as
plain data, the run counters and RNG states. It is written to a temporary file in the same directory,
flushed and fsynced, then renamed over the target, so a crash leaves either the old or the new file.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from flashsac.checkpointing.atomic import atomic_writer

__all__ = ["CheckpointError", "load_checkpoint", "save_checkpoint"]


class CheckpointError(RuntimeError):
    """A checkpoint could not be written or is not a safe, well-formed flashsac checkpoint."""


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Atomically write ``payload`` to ``path`` (temp file, fsync, rename, fsync of the directory)."""
    try:
        with atomic_writer(path) as handle:
            torch.save(payload, handle)
    except (OSError, RuntimeError) as err:
        # torch.save reports a failed write (disk full, file-size limit) as a RuntimeError from its zip writer.
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CheckpointError(
            f"could not write checkpoint {path}: {reason}; the previous checkpoint is intact."
        ) from err


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``: anything but tensors and plain data is refused.

    Raises:
        CheckpointError: if the file is missing, corrupt, or contains objects that would execute code.
    """
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist.")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as err:
        # torch's message is several lines and ends by suggesting weights_only=False: never do that here; keep
        # the line that names what was refused, or the first line for plain corruption.
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        named = [line for line in lines if "unsupported" in line.lower() or "global" in line.lower()]
        detail = (named or lines or [type(err).__name__])[0]
        raise CheckpointError(
            f"refused to load {path}: it is corrupt or holds objects other than tensors and plain data "
            f"(loading never executes code from a checkpoint). Detail: {detail}"
        ) from err
    if not isinstance(payload, dict) or "agent" not in payload:
        raise CheckpointError(f"{path} is not a flashsac checkpoint (no 'agent' entry).")
    return payload

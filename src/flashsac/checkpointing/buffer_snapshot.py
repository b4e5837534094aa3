"""Replay-buffer snapshots: every live storage tensor streamed to a checksummed tensor file."""

from __future__ import annotations

from pathlib import Path

from flashsac.buffers.replay import ReplayBuffer
from flashsac.checkpointing.tensor_file import TensorFileError, read_tensor_file, write_tensor_file

__all__ = ["load_buffer_snapshot", "save_buffer_snapshot"]


def save_buffer_snapshot(buffer: ReplayBuffer, path: Path) -> str:
    """Write the buffer (storage, counters, sampling generator) to ``path``; return the SHA-256 digest."""
    state = buffer.state_dict()
    tensors = dict(state["tensors"])
    if buffer.generator is not None:
        tensors["generator_state"] = buffer.generator.get_state()
    return write_tensor_file(path, tensors, {"config": state["config"], "steps": state["steps"]})


def load_buffer_snapshot(buffer: ReplayBuffer, path: Path, expected_sha256: str | None = None) -> None:
    """Fill ``buffer`` in place from a snapshot written by :func:`save_buffer_snapshot`.

    Args:
        buffer: The buffer to fill (configured as the one that was saved).
        path: The snapshot file.
        expected_sha256: The digest the checkpoint recorded for it; a different file is refused.

    Raises:
        TensorFileError: if the file is corrupt, is not the one the checkpoint names, or was written by a
            differently configured buffer.
    """
    state = buffer.state_dict()
    targets = dict(state["tensors"])
    if buffer.generator is not None:
        targets["generator_state"] = buffer.generator.get_state()
    _, meta = read_tensor_file(path, into=targets, expected_sha256=expected_sha256)
    if meta["config"] != state["config"]:
        raise TensorFileError(f"{path} holds a buffer configured as {meta['config']}, this run's is {state['config']}.")
    buffer.load_state_dict({"config": meta["config"], "steps": meta["steps"], "tensors": targets})
    if buffer.generator is not None:
        buffer.generator.set_state(targets["generator_state"])

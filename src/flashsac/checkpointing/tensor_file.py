"""A streamed, checksummed file of named tensors (used for replay-buffer snapshots).

Layout: 8-byte little-endian header length, a JSON header (names, dtypes, shapes, byte offsets, plain metadata),
then the raw bytes of each tensor in order, then a 64-byte hex SHA-256 of everything before it. Tensors are
copied to the host in chunks of at most ``chunk_bytes``, so a 10M-transition GPU buffer is written without
doubling host memory, and nothing is ever unpickled on load. Writes are atomic (temp file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import torch

from flashsac.checkpointing.atomic import atomic_writer

__all__ = ["TensorFileError", "read_tensor_file", "write_tensor_file"]

_DTYPES = {
    str(dtype): dtype
    for dtype in (
        torch.float32,
        torch.float64,
        torch.float16,
        torch.bfloat16,
        torch.int64,
        torch.int32,
        torch.bool,
        torch.uint8,
    )
}
_CHUNK_BYTES = 64 * 1024 * 1024


class TensorFileError(RuntimeError):
    """The tensor file is missing, truncated, corrupt (checksum mismatch) or does not fit the target tensors."""


def _byte_view(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.detach().contiguous().reshape(-1).view(torch.uint8)


def write_tensor_file(
    path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any], chunk_bytes: int = _CHUNK_BYTES
) -> str:
    """Write ``tensors`` and JSON-serialisable ``meta`` to ``path`` atomically; return the SHA-256 hex digest."""
    header: dict[str, Any] = {"meta": meta, "tensors": []}
    offset = 0
    for name, tensor in tensors.items():
        if str(tensor.dtype) not in _DTYPES:
            raise TensorFileError(f"tensor {name!r} has unsupported dtype {tensor.dtype}.")
        size = tensor.numel() * tensor.element_size()
        header["tensors"].append(
            {"name": name, "dtype": str(tensor.dtype), "shape": list(tensor.shape), "offset": offset, "bytes": size}
        )
        offset += size
    header_bytes = json.dumps(header).encode()
    digest = hashlib.sha256()
    try:
        with atomic_writer(path) as handle:
            for block in (struct.pack("<Q", len(header_bytes)), header_bytes):
                handle.write(block)
                digest.update(block)
            for tensor in tensors.values():
                flat = _byte_view(tensor)
                for start in range(0, flat.numel(), chunk_bytes):
                    block = flat[start : start + chunk_bytes].cpu().numpy().tobytes()
                    handle.write(block)
                    digest.update(block)
            handle.write(digest.hexdigest().encode())
    except OSError as err:
        raise TensorFileError(f"could not write {path}: {err}; the previous file is intact.") from err
    return digest.hexdigest()


def _verify(path: Path, expected_sha256: str | None, chunk_bytes: int) -> None:
    """Hash the whole file and compare with its trailer (and the expected digest) before trusting any byte."""
    size = path.stat().st_size
    if size < 8 + 64:
        raise TensorFileError(f"{path} is truncated ({size} bytes).")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        remaining = size - 64
        while remaining:
            block = handle.read(min(chunk_bytes, remaining))
            if not block:
                raise TensorFileError(f"{path} is truncated.")
            digest.update(block)
            remaining -= len(block)
        stored = handle.read(64).decode(errors="replace")
    if stored != digest.hexdigest():
        raise TensorFileError(
            f"{path} failed its SHA-256 check (stored {stored[:12]}..., computed {digest.hexdigest()[:12]}...)."
        )
    if expected_sha256 is not None and stored != expected_sha256:
        raise TensorFileError(
            f"{path} is intact but is not the snapshot its checkpoint names (digest {stored[:12]}... instead of "
            f"{expected_sha256[:12]}...)."
        )


def read_tensor_file(
    path: Path,
    into: dict[str, torch.Tensor] | None = None,
    chunk_bytes: int = _CHUNK_BYTES,
    expected_sha256: str | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a tensor file after verifying its checksum; no byte is trusted (or copied) before that.

    Args:
        path: The file.
        into: Optional preallocated tensors (any device) to fill in place; names, dtypes and shapes must match.
        chunk_bytes: Host staging size when filling device tensors.
        expected_sha256: If given, the file's digest must equal it (e.g. the digest a checkpoint recorded).

    Returns:
        ``(tensors, meta)``; ``tensors`` are the ``into`` tensors when given, else new CPU tensors.

    Raises:
        TensorFileError: on a missing/truncated/corrupt file, a digest mismatch or a mismatch with ``into``.
    """
    if not path.is_file():
        raise TensorFileError(f"{path} does not exist.")
    _verify(path, expected_sha256, chunk_bytes)
    with path.open("rb") as handle:
        (header_len,) = struct.unpack("<Q", handle.read(8))
        try:
            header = json.loads(handle.read(header_len))
            entries = [(e["name"], _DTYPES[e["dtype"]], tuple(e["shape"]), int(e["bytes"])) for e in header["tensors"]]
        except (ValueError, KeyError, TypeError) as err:
            raise TensorFileError(f"{path} has an unreadable header: {err}") from err
        targets: dict[str, torch.Tensor] = {}
        for name, dtype, shape, _ in entries:
            target = into.get(name) if into is not None else torch.empty(shape, dtype=dtype)
            if target is None:
                raise TensorFileError(f"{path} holds tensor {name!r} that the target does not have.")
            if target.dtype != dtype or tuple(target.shape) != shape or not target.is_contiguous():
                raise TensorFileError(
                    f"{path}: tensor {name!r} is {dtype}{list(shape)} but the target is {target.dtype}"
                    f"{list(target.shape)}; the buffer configuration differs from the checkpoint's."
                )
            targets[name] = target
        # Every target is checked before the first one is overwritten.
        for (_, _, _, nbytes), target in zip(entries, targets.values(), strict=True):
            flat, start = target.reshape(-1).view(torch.uint8), 0
            while start < nbytes:
                block = handle.read(min(chunk_bytes, nbytes - start))
                flat[start : start + len(block)].copy_(torch.frombuffer(bytearray(block), dtype=torch.uint8))
                start += len(block)
    return targets, header["meta"]

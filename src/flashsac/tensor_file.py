"""A streamed, checksummed file of named tensors (used for replay-buffer snapshots).

Layout: 8-byte little-endian header length, a JSON header (names, dtypes, shapes, byte offsets, plain metadata),
then the raw bytes of each tensor in order, then a 64-byte hex SHA-256 of everything before it. Tensors are
copied to the host in chunks of at most ``chunk_bytes``, so a 10M-transition GPU buffer is written without
doubling host memory, and nothing is ever unpickled on load. Writes are atomic (temp file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import torch

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
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
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as err:
        Path(tmp_name).unlink(missing_ok=True)
        raise TensorFileError(f"could not write {path}: {err}; the previous file is intact.") from err
    return digest.hexdigest()


def read_tensor_file(
    path: Path, into: dict[str, torch.Tensor] | None = None, chunk_bytes: int = _CHUNK_BYTES
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a tensor file, verifying its checksum before anything is handed back.

    Args:
        path: The file.
        into: Optional preallocated tensors (any device) to fill in place; names, dtypes and shapes must match.
        chunk_bytes: Host staging size when filling device tensors.

    Returns:
        ``(tensors, meta)``; ``tensors`` are the ``into`` tensors when given, else new CPU tensors.

    Raises:
        TensorFileError: on a missing/truncated/corrupt file or a mismatch with ``into``.
    """
    if not path.is_file():
        raise TensorFileError(f"{path} does not exist.")
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        raw_len = handle.read(8)
        if len(raw_len) != 8:
            raise TensorFileError(f"{path} is truncated (no header).")
        (header_len,) = struct.unpack("<Q", raw_len)
        if header_len > size:
            raise TensorFileError(f"{path} is corrupt (header length {header_len} > file size {size}).")
        header_bytes = handle.read(header_len)
        digest.update(raw_len)
        digest.update(header_bytes)
        try:
            header = json.loads(header_bytes)
        except ValueError as err:
            raise TensorFileError(f"{path} is corrupt (unreadable header).") from err
        staged: dict[str, torch.Tensor] = {}
        for entry in header["tensors"]:
            name, dtype, shape = entry["name"], _DTYPES[entry["dtype"]], tuple(entry["shape"])
            target = into.get(name) if into is not None else None
            if target is None:
                if into is not None:
                    raise TensorFileError(f"{path} holds tensor {name!r} that the target does not have.")
                target = torch.empty(shape, dtype=dtype)
            elif target.dtype != dtype or tuple(target.shape) != shape:
                raise TensorFileError(
                    f"{path}: tensor {name!r} is {entry['dtype']}{list(shape)} but the target is "
                    f"{target.dtype}{list(target.shape)}; the buffer configuration differs from the checkpoint's."
                )
            flat = target.reshape(-1).view(torch.uint8) if target.is_contiguous() else None
            if flat is None:
                raise TensorFileError(f"target tensor {name!r} must be contiguous.")
            remaining, start = entry["bytes"], 0
            while remaining:
                block = handle.read(min(chunk_bytes, remaining))
                if not block:
                    raise TensorFileError(f"{path} is truncated inside tensor {name!r}.")
                digest.update(block)
                flat[start : start + len(block)].copy_(torch.frombuffer(bytearray(block), dtype=torch.uint8))
                start += len(block)
                remaining -= len(block)
            staged[name] = target
        stored = handle.read(64).decode(errors="replace")
    if stored != digest.hexdigest():
        raise TensorFileError(
            f"{path} failed its SHA-256 check (stored {stored[:12]}..., computed {digest.hexdigest()[:12]}...)."
        )
    return staged, header["meta"]

"""What adapters ask of installed packages before importing them (so a wrong version fails in one line)."""

from __future__ import annotations

import importlib.metadata

__all__ = ["installed_version"]


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or ``None`` when it is absent (read without importing it)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None

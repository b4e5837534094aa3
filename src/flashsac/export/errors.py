"""The one error type of export and of loading exported files (kept light: the CLI imports it at start-up)."""

from __future__ import annotations

__all__ = ["ExportError"]


class ExportError(RuntimeError):
    """An export cannot be made or an exported file cannot be used (one line: what is wrong and the fix)."""

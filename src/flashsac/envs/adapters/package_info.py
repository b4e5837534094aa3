"""What adapters ask of installed packages before importing them (so a wrong version fails in one line)."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from types import ModuleType

from flashsac.envs.registry import MissingSimulatorError

__all__ = ["import_simulator", "installed_version", "release_parts"]


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or ``None`` when it is absent (read without importing it)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def release_parts(version: str) -> tuple[int, ...]:
    """Leading numeric release parts of a version: ``"1.4.5"`` -> ``(1, 4, 5)``, ``"3.0.0rc1"`` -> ``(3, 0, 0)``."""
    parts: list[int] = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def import_simulator(family: str, module: str, fix: str, version: str | None = None) -> ModuleType:
    """Import a simulator's ``module`` for ``env=<family>``, turning any import failure into one clear line.

    Any exception counts: besides ``ImportError``, a package built against another version of a dependency
    often fails at import with an ``AttributeError`` or a ``TypeError``; the fix (reinstalling the extra) is the
    same.

    Raises:
        MissingSimulatorError: ``env=<family>: <module> [<version>] fails to import (<error>); fix: <fix>``.
    """
    try:
        return importlib.import_module(module)
    except Exception as exc:
        reason = " ".join(str(exc).split())  # some import errors span lines; the message stays on one
        named = module if version is None else f"{module} {version}"
        raise MissingSimulatorError(
            f"env={family}: {named} fails to import ({type(exc).__name__}: {reason}); fix: {fix}"
        ) from exc

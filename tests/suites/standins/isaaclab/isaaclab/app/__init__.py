"""``isaaclab.app.AppLauncher`` (app/app_launcher.py): starts the simulator app; invented: it only records it."""

from __future__ import annotations

import argparse
from typing import Any

_STATE: dict[str, Any] = {}


class _App:
    """The launched app (real: ``isaacsim.SimulationApp``)."""

    def close(self) -> None:
        _STATE.clear()


class AppLauncher:
    """Start the app with ``launcher_args`` and keyword overrides (``headless``, ``device``, ...)."""

    def __init__(self, launcher_args: argparse.Namespace | dict | None = None, **kwargs: Any) -> None:
        args = vars(launcher_args) if isinstance(launcher_args, argparse.Namespace) else dict(launcher_args or {})
        duplicated = set(args) & set(kwargs)
        if duplicated:
            raise ValueError(f"Input `launcher_args` and `kwargs` both provided common attributes: {duplicated}.")
        args.update(kwargs)
        _STATE.update(launched=True, headless=bool(args.get("headless", False)), device=args.get("device", "cuda:0"))
        self.app = _App()


def require_app() -> None:
    """What importing an Omniverse-backed module does before the app runs: fail."""
    if not _STATE.get("launched"):
        raise ModuleNotFoundError("No module named 'omni.physics' (start isaaclab.app.AppLauncher first)")

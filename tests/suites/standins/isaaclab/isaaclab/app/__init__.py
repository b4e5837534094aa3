"""``isaaclab.app.AppLauncher`` (app/app_launcher.py): starts the simulator app; invented: it only records it."""

from __future__ import annotations

import argparse
from typing import Any

_STATE: dict[str, Any] = {}


class _App:
    """The launched app (real: ``isaacsim.SimulationApp``)."""

    def is_running(self) -> bool:
        return bool(_STATE.get("launched"))

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

    @staticmethod
    def add_app_launcher_args(parser: argparse.ArgumentParser) -> None:
        """The launcher's flags (real: also livestream, XR, rendering and Kit options)."""
        group = parser.add_argument_group("app_launcher arguments")
        group.add_argument("--headless", action="store_true", default=False, help="Run without a GUI.")
        group.add_argument("--enable_cameras", action="store_true", default=False, help="Enable camera sensors.")
        group.add_argument("--device", type=str, default="cuda:0", help="Simulation device.")
        group.add_argument("--experience", type=str, default="", help="Kit experience file.")


def require_app() -> None:
    """What importing an Omniverse-backed module does before the app runs: fail."""
    if not _STATE.get("launched"):
        raise ModuleNotFoundError("No module named 'omni.physics' (start isaaclab.app.AppLauncher first)")

"""Genesis as a process-wide runtime: version checks, the one ``gs.init`` per process, and the quiet logger.

``genesis`` can be initialised once per process (a second ``gs.init`` raises "Genesis already initialized"), and
its backend then holds for every scene built later. :func:`init_genesis` therefore initialises on first use with
the backend the requested device implies (``cpu`` -> ``gs.cpu``, ``cuda`` -> ``gs.cuda``) and afterwards only
checks that a later request agrees, refusing a different device with a one-line error. Genesis' own logger is set
to ``warning``: at ``info`` it prints several lines per scene build.

``import genesis`` itself takes ~10 s (it imports Quadrants, its kernel compiler), so :func:`require` reads
package metadata only and the import happens in :func:`genesis` when a task is built.
"""

from __future__ import annotations

from typing import Any

import torch

from flashsac.envs.adapters.package_info import import_simulator, installed_version, release_parts
from flashsac.envs.registry import MissingSimulatorError

__all__ = ["FIX", "GENESIS_VERSION", "GenesisBackendError", "genesis", "init_genesis", "require"]

GENESIS_VERSION = (1, 4)
"""The genesis-world release line the tasks are written against (API names, option checks, asset paths)."""
FIX = "pip install 'flashsac[genesis]'"
_LOGGING_LEVEL = "warning"


class GenesisBackendError(RuntimeError):
    """Genesis was already initialised in this process for another device than the one now asked for."""


def require() -> None:
    """Check from package metadata that genesis-world 1.4.x is installed (nothing is imported).

    Raises:
        MissingSimulatorError: naming what is missing or at which version, and the install command.
    """
    version = installed_version("genesis-world")
    wanted = ".".join(map(str, GENESIS_VERSION))
    if version is None:
        raise MissingSimulatorError(
            f"env=genesis needs the genesis-world package ({wanted}.x), which is not installed; fix: {FIX}"
        )
    if release_parts(version)[:2] != GENESIS_VERSION:
        raise MissingSimulatorError(f"env=genesis needs genesis-world {wanted}.x, found {version}; fix: {FIX}")


def genesis() -> Any:
    """Import and return the ``genesis`` module after :func:`require`; an import failure names the fix."""
    require()
    return import_simulator("genesis", "genesis", FIX)


def _same_device(asked: torch.device, running: torch.device) -> bool:
    """Whether Genesis' device serves a request (``cuda`` without an index means the current CUDA device)."""
    if asked.type != running.type:
        return False
    if asked.type == "cuda" and asked.index is not None:
        return asked.index == (running.index if running.index is not None else torch.cuda.current_device())
    return True


def init_genesis(device: torch.device) -> torch.device:
    """Initialise Genesis for ``device`` once per process; return the torch device its tensors live on.

    Args:
        device: ``cpu`` (Genesis' CPU backend) or ``cuda`` / ``cuda:<i>`` (its CUDA backend).

    Raises:
        ValueError: for a device type Genesis has no backend for here (e.g. ``mps``).
        GenesisBackendError: Genesis already runs on another device in this process (``gs.init`` runs once).
    """
    gs = genesis()
    device = torch.device(device)
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"env.device={device} is not supported by env=genesis; use cpu or cuda.")
    if not gs._initialized:  # Why the private flag: Genesis offers no public query, and a second init raises.
        backend = gs.cpu if device.type == "cpu" else gs.cuda
        gs.init(backend=backend, precision="32", logging_level=_LOGGING_LEVEL)
    running = torch.device(gs.device)
    if not _same_device(device, running):
        raise GenesisBackendError(
            f"env.device={device}: Genesis already runs on {running} in this process and can be initialised only "
            "once (gs.init), so every Genesis env of one process must use the same env.device; start a new process "
            "for the other device."
        )
    return running

"""Weights & Biases (optional): the ``wandb`` package is imported only when ``logging.wandb=true``.

Every scalar is plotted against ``env_steps``, which is logged as an ordinary field and declared the step
metric of all keys (``define_metric("*", step_metric="env_steps")``). W&B's own ``step`` must increase
strictly, so a run resumed from a checkpoint older than its last log would have its first points dropped if
they were logged with ``step=env_steps``; as a field they land on the same curves. The run id is kept in
``run_dir/wandb_run_id.txt`` and the run is opened with ``resume="allow"``, so a resumed run directory
continues the same W&B run.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path
from types import ModuleType
from typing import Any

from flashsac.config.validate import ConfigError

__all__ = ["RUN_ID_FILE", "MissingLoggingBackendError", "WandbBackend", "import_wandb"]

RUN_ID_FILE = "wandb_run_id.txt"
_ID_ALPHABET = string.ascii_lowercase + string.digits
_INSTALL_HINT = (
    "logging.wandb=true needs the wandb package: pip install 'flashsac[wandb]' (or pip install wandb), "
    "or set logging.wandb=false."
)


class MissingLoggingBackendError(ConfigError):
    """An enabled logging backend's package is not installed; the message names the key and the install.

    A :class:`~flashsac.config.validate.ConfigError`, so the command line reports it in one line.
    """


def import_wandb() -> ModuleType:
    """Import ``wandb``, or fail with a message naming ``logging.wandb`` and the install command.

    Raises:
        MissingLoggingBackendError: when ``wandb`` is not installed.
    """
    try:
        import wandb
    except ImportError as err:
        raise MissingLoggingBackendError(_INSTALL_HINT) from err
    return wandb


def new_run_id() -> str:
    """A fresh W&B run id: 8 characters of ``[a-z0-9]``, the shape W&B itself generates."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def _resolve_mode(configured: str) -> str:
    """``WANDB_MODE`` from the environment when set, else ``logging.wandb_mode``.

    ``mode=`` in ``wandb.init`` beats the environment, so passing the config default ``online`` unconditionally
    would make ``WANDB_MODE=offline`` (the usual way to keep CI and air-gapped machines off the network) useless.
    """
    return os.environ.get("WANDB_MODE") or configured


class WandbBackend:
    """Logs scalars to one W&B run whose files live under ``run_dir/wandb``.

    Args:
        run_dir: The run directory: W&B writes to ``run_dir/wandb`` and the run id is kept in
            ``run_dir/wandb_run_id.txt``.
        project: ``logging.wandb_project``.
        entity: ``logging.wandb_entity`` (``None``: the user's default entity).
        mode: ``logging.wandb_mode``: ``online``, ``offline`` or ``disabled`` (``WANDB_MODE`` overrides it).
        run_config: The run's configuration as plain data, shown as the run's config in W&B.
        run_name: Display name of the run (default: the run directory's name).
        group: W&B group (``logging.group``), so the seeds of one experiment show together.

    Raises:
        MissingLoggingBackendError: when ``wandb`` is not installed.
    """

    def __init__(
        self,
        run_dir: Path,
        project: str,
        entity: str | None = None,
        mode: str = "online",
        run_config: dict[str, Any] | None = None,
        run_name: str | None = None,
        group: str | None = None,
    ) -> None:
        wandb = import_wandb()
        id_path = run_dir / RUN_ID_FILE
        run_id = id_path.read_text(encoding="utf-8").strip() if id_path.exists() else ""
        run_id = run_id or new_run_id()
        # Written before init: a run that dies inside init still resumes into the same W&B run next time.
        id_path.write_text(run_id + "\n", encoding="utf-8")
        self._run: Any = wandb.init(
            project=project,
            entity=entity,
            mode=_resolve_mode(mode),
            dir=str(run_dir),
            id=run_id,
            resume="allow",
            name=run_name or run_dir.name,
            group=group,
            config=run_config,
        )
        self.run_id = run_id
        self._run.define_metric("env_steps")
        self._run.define_metric("*", step_metric="env_steps")

    def log(self, env_steps: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` with ``env_steps`` as their x value."""
        if self._run is None:
            return
        self._run.log({"env_steps": int(env_steps)} | {key: float(value) for key, value in scalars.items()})

    def close(self) -> None:
        """Finish the run (uploads or, offline, closes its local files); idempotent."""
        if self._run is None:
            return
        self._run.finish()
        self._run = None
        wandb = import_wandb()
        if wandb.run is None:
            # The W&B service keeps a finished run's stream by id: reopening the same id in this process (an
            # in-process resume) then records nothing (seen with wandb 0.31). Stopping the service when no other
            # run is active lets the next init start clean; it costs well under a second.
            wandb.teardown()

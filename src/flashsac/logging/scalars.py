"""Scalar logging: one :class:`ScalarLogger` fans every log call out to the backends a run enables.

Backends (``flashsac.logging.backends``): TensorBoard events, a long-format CSV, a wide JSONL file and,
optionally, Weights & Biases.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashsac.config.schema import LoggingConfig
from flashsac.logging.backends import CsvBackend, JsonlBackend, ScalarBackend, TensorBoardBackend, WandbBackend

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

__all__ = ["ScalarLogger"]


class ScalarLogger:
    """Writes scalars keyed by env steps to every backend that ``cfg`` enables, all under ``run_dir``.

    ============================  =================================  ===========================================
    ``LoggingConfig`` key         file(s)                            format
    ============================  =================================  ===========================================
    ``tensorboard``               ``run_dir/tensorboard/``           TensorBoard events
    ``csv``                       ``run_dir/scalars.csv``            ``env_steps,key,value,wall_time`` per scalar
    ``jsonl``                     ``run_dir/scalars.jsonl``          ``{"env_steps", "wall_time", ...}`` per call
    ``wandb``                     ``run_dir/wandb/``, run id in      a W&B run (``wandb_project``,
                                  ``run_dir/wandb_run_id.txt``       ``wandb_entity``, ``wandb_mode``)
    ============================  =================================  ===========================================

    The CSV and JSONL files are appended to and the W&B run is resumed by id, so a resumed run directory
    continues the same records.

    For backwards compatibility the old form ``ScalarLogger(run_dir, tensorboard: bool, csv_file: bool)`` is
    still accepted (detected by the type of the second argument) and enables exactly those two backends.

    Args:
        run_dir: The run directory (must exist).
        cfg: Which backends to enable and the W&B settings.
        run_config: The whole run configuration as plain data (``dataclasses.asdict(run_cfg)``), stored as the
            W&B run's config.
        run_name: W&B display name (default: the run directory's name).

    Raises:
        MissingLoggingBackendError: ``cfg.wandb`` is set but ``wandb`` is not installed.
    """

    def __init__(
        self,
        run_dir: Path,
        cfg: LoggingConfig,
        run_config: dict[str, Any] | None = None,
        run_name: str | None = None,
        resume_env_steps: int | None = None,
    ) -> None:
        start = time.time()
        self._tensorboard: TensorBoardBackend | None = None
        self._backends: list[ScalarBackend] = []
        try:
            if cfg.tensorboard:
                self._tensorboard = TensorBoardBackend(run_dir, resume_env_steps)
                self._backends.append(self._tensorboard)
            if cfg.csv:
                self._backends.append(CsvBackend(run_dir, start))
            if cfg.jsonl:
                self._backends.append(JsonlBackend(run_dir, start))
            if cfg.wandb:
                self._backends.append(
                    WandbBackend(
                        run_dir,
                        project=cfg.wandb_project,
                        entity=cfg.wandb_entity,
                        mode=cfg.wandb_mode,
                        run_config=run_config,
                        run_name=run_name,
                        group=cfg.group,
                    )
                )
        except BaseException:
            self.close()  # e.g. wandb missing: do not leave the already opened files and writers behind
            raise

    @property
    def tensorboard_writer(self) -> SummaryWriter | None:
        """The TensorBoard ``SummaryWriter`` (for videos, histograms...), or ``None`` when TensorBoard is off."""
        return self._tensorboard.writer if self._tensorboard is not None else None

    def log(self, env_steps: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` at x = ``env_steps`` in every enabled backend."""
        for backend in self._backends:
            backend.log(env_steps, scalars)

    def close(self) -> None:
        """Flush and close every backend; idempotent."""
        first_error: BaseException | None = None
        for backend in self._backends:
            try:
                backend.close()
            except Exception as err:  # e.g. a W&B upload failing must not keep the CSV/JSONL files open
                first_error = first_error or err
        self._backends.clear()
        self._tensorboard = None
        if first_error is not None:
            raise first_error

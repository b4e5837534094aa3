"""TensorBoard event files in ``run_dir/tensorboard``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

__all__ = ["TensorBoardBackend"]


class TensorBoardBackend:
    """Writes every scalar with ``add_scalar(key, value, env_steps)``.

    Args:
        run_dir: The run directory; events go to ``run_dir/tensorboard`` (a resumed run adds a new event file
            there, which TensorBoard merges into the same curves).
        resume_env_steps: When resuming from the checkpoint at this env step, events logged after it by the
            interrupted process are purged (TensorBoard's ``purge_step``), so curves have no duplicates.
    """

    def __init__(self, run_dir: Path, resume_env_steps: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter  # imported lazily: it pulls in tensorboard

        purge = resume_env_steps + 1 if resume_env_steps is not None else None
        self._writer: SummaryWriter | None = SummaryWriter(log_dir=str(run_dir / "tensorboard"), purge_step=purge)

    @property
    def writer(self) -> SummaryWriter | None:
        """The underlying ``SummaryWriter`` (for videos and other non-scalar data); ``None`` once closed."""
        return self._writer

    def log(self, env_steps: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` at x = ``env_steps``."""
        if self._writer is None:
            return
        for key, value in scalars.items():
            self._writer.add_scalar(key, value, env_steps)
        # Log calls are seconds apart; flushing each one keeps a live TensorBoard current at negligible cost.
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file; idempotent."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

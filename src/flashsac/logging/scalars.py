"""Scalar logging to TensorBoard and to a long-format CSV (``env_steps,key,value,wall_time``)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

__all__ = ["ScalarLogger"]


class ScalarLogger:
    """Writes scalars keyed by env steps to the enabled backends in ``run_dir``.

    Args:
        run_dir: The run directory; TensorBoard events go to ``run_dir/tensorboard`` and the CSV to
            ``run_dir/scalars.csv``.
        tensorboard: Enable the TensorBoard backend.
        csv_file: Enable the CSV backend.
    """

    def __init__(self, run_dir: Path, tensorboard: bool = True, csv_file: bool = True) -> None:
        self._start = time.time()
        self._writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # imported lazily: it pulls in tensorboard

            self._writer = SummaryWriter(log_dir=str(run_dir / "tensorboard"))
        self._csv_handle = None
        if csv_file:
            path = run_dir / "scalars.csv"
            is_new = not path.exists()
            self._csv_handle = path.open("a", newline="")
            self._csv = csv.writer(self._csv_handle)
            if is_new:
                self._csv.writerow(["env_steps", "key", "value", "wall_time"])

    def log(self, env_steps: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` at x = ``env_steps``."""
        wall = time.time() - self._start
        for key, value in scalars.items():
            if self._writer is not None:
                self._writer.add_scalar(key, value, env_steps)
            if self._csv_handle is not None:
                self._csv.writerow([env_steps, key, f"{value:.6g}", f"{wall:.2f}"])
        if self._csv_handle is not None:
            self._csv_handle.flush()

    def close(self) -> None:
        """Flush and close every backend; idempotent."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._csv_handle is not None:
            self._csv_handle.close()
            self._csv_handle = None

"""Long-format CSV ``run_dir/scalars.csv``: one row per scalar, ``env_steps,key,value,wall_time``."""

from __future__ import annotations

import csv
import time
from pathlib import Path

__all__ = ["CsvBackend"]

_HEADER = ["env_steps", "key", "value", "wall_time"]


class CsvBackend:
    """Appends one row per scalar; the header is written only when the file is new.

    Args:
        run_dir: The run directory holding ``scalars.csv``. An existing file is appended to, so a resumed run
            continues it.
        start_time: ``time.time()`` that ``wall_time`` counts from (shared by all backends of one logger).
    """

    def __init__(self, run_dir: Path, start_time: float | None = None) -> None:
        self.path = run_dir / "scalars.csv"
        self._start = time.time() if start_time is None else start_time
        is_new = not self.path.exists() or self.path.stat().st_size == 0
        self._handle = self.path.open("a", newline="", encoding="utf-8")
        self._csv = csv.writer(self._handle)
        if is_new:
            self._csv.writerow(_HEADER)

    def log(self, env_steps: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` at x = ``env_steps``."""
        if self._handle.closed:
            return
        wall = time.time() - self._start
        for key, value in scalars.items():
            self._csv.writerow([env_steps, key, f"{value:.6g}", f"{wall:.2f}"])
        self._handle.flush()  # a crashed or killed run keeps everything logged up to then

    def close(self) -> None:
        """Close the file; idempotent."""
        self._handle.close()

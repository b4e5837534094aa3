"""JSON Lines ``run_dir/scalars.jsonl``: one object per log call, ``{"env_steps", "wall_time", ...scalars}``."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

__all__ = ["JsonlBackend"]


def _json_value(value: float) -> float | None:
    """A finite float, or ``None``: NaN/inf are not JSON and would break strict readers (``jq``, browsers)."""
    value = float(value)
    return value if math.isfinite(value) else None


class JsonlBackend:
    """Appends one JSON object per :meth:`log` call (all scalars of that call, wide format).

    Each line is ``{"env_steps": n, "wall_time": s, "<key>": value, ...}`` where ``wall_time`` is seconds since
    the logger started and non-finite values are written as ``null``.

    Args:
        run_dir: The run directory holding ``scalars.jsonl``. An existing file is appended to, so a resumed run
            continues it.
        start_time: ``time.time()`` that ``wall_time`` counts from (shared by all backends of one logger).
    """

    def __init__(self, run_dir: Path, start_time: float | None = None) -> None:
        self.path = run_dir / "scalars.jsonl"
        self._start = time.time() if start_time is None else start_time
        self._handle = self.path.open("a", encoding="utf-8")

    def log(self, env_steps: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` at x = ``env_steps`` as one line."""
        if self._handle.closed:
            return
        wall = round(time.time() - self._start, 3)
        record: dict[str, float | int | None] = {"env_steps": int(env_steps), "wall_time": wall}
        record |= {key: _json_value(value) for key, value in scalars.items()}
        self._handle.write(json.dumps(record, allow_nan=False) + "\n")
        self._handle.flush()  # a crashed or killed run keeps everything logged up to then

    def close(self) -> None:
        """Close the file; idempotent."""
        self._handle.close()

"""The interface every scalar backend implements."""

from __future__ import annotations

from typing import Protocol

__all__ = ["ScalarBackend"]


class ScalarBackend(Protocol):
    """A destination for scalars keyed by env steps (TensorBoard, CSV, JSONL, W&B)."""

    def log(self, env_steps: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` at x = ``env_steps``."""
        ...

    def close(self) -> None:
        """Flush and release the backend; idempotent."""
        ...

"""Average device-side metrics between log intervals with a single host synchronisation per flush."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["MetricAccumulator"]


class MetricAccumulator:
    """Sums metric tensors per key on their device; :meth:`flush` returns the means as Python floats."""

    def __init__(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}

    def add(self, metrics: dict[str, torch.Tensor]) -> None:
        """Accumulate one set of scalar tensors (no synchronisation)."""
        for key, value in metrics.items():
            value = value.detach().float()
            if key in self._sums:
                self._sums[key] = self._sums[key] + value
                self._counts[key] += 1
            else:
                self._sums[key], self._counts[key] = value, 1

    def flush(self) -> dict[str, float]:
        """Means since the last flush (one device-to-host copy), then reset."""
        if not self._sums:
            return {}
        keys = list(self._sums)
        values = torch.stack([self._sums[k].to("cpu", non_blocking=False) for k in keys]).tolist()
        means = {k: v / self._counts[k] for k, v in zip(keys, values, strict=True)}
        self._sums.clear()
        self._counts.clear()
        return means

    def state_dict(self) -> dict[str, Any]:
        """Pending sums and counts (for exact resume between log intervals)."""
        return {"sums": dict(self._sums), "counts": dict(self._counts)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output."""
        self._sums = dict(state["sums"])
        self._counts = dict(state["counts"])

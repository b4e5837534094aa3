"""Mixed precision: autocast contexts and per-network gradient scalers.

fp16 needs loss scaling; bf16 has fp32's range and does not. Each network gets its own scaler (the reference
shares one between actor and critic and updates it twice per step; docs/algorithm.md 12.9).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["Precision"]


class Precision:
    """Autocast settings for one device, plus a factory for gradient scalers."""

    def __init__(self, enabled: bool, dtype: str, device: torch.device) -> None:
        # dtype is one of AMP_DTYPES: agent.amp_dtype's rule checked it with the config.
        self.enabled, self.dtype, self.device = enabled, getattr(torch, dtype), device

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Run the enclosed forward passes in reduced precision when enabled."""
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.enabled):
            yield

    def make_scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler that is active only for fp16 autocast."""
        return torch.amp.GradScaler(self.device.type, enabled=self.enabled and self.dtype == torch.float16)

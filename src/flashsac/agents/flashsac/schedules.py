"""Learning-rate schedule and target-network EMA (docs/algorithm.md sections 3.2 and 3.6)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["ema_update_", "learning_rate"]


def learning_rate(update: int, init: float, peak: float, end: float, warmup_steps: int, decay_steps: int) -> float:
    """Linear warm-up from ``init`` to ``peak`` over ``warmup_steps``, cosine decay to ``end`` by ``decay_steps``.

    ``decay_steps`` counts total schedule steps including the warm-up (optax convention); the rate stays at
    ``end`` afterwards. Every optimizer of the agent reads this with the *same* update counter.
    """
    if update < warmup_steps:
        return init + (peak - init) * update / warmup_steps
    if update < decay_steps:
        progress = (update - warmup_steps) / max(decay_steps - warmup_steps, 1)
        return end + (peak - end) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return end


@torch.no_grad()
def ema_update_(target: Sequence[torch.Tensor], online: Sequence[torch.Tensor], tau: float) -> None:
    """``target <- (1 - tau) * target + tau * online`` in place, as one fused foreach op."""
    torch._foreach_lerp_(list(target), list(online), tau)  # type: ignore[attr-defined]  # public but untyped

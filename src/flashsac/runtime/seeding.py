"""Seed every random number generator a run uses."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["EVAL_SEED_OFFSET", "seed_everything"]

EVAL_SEED_OFFSET = 1_000_003
"""Added to the run's seed for evaluation envs and ``flashsac eval``: evaluation episodes never reuse the training
seeds (a prime, so offset seeds of nearby runs do not collide)."""


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed python, NumPy and torch (CPU and all CUDA devices); optionally request deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False

"""Noise repetition: hold each env's Gaussian exploration noise for k steps, k ~ truncated zeta.

Reference: FlashSAC (Kim, Lee et al., 2026), "noise repetition"; docs/algorithm.md section 4.1.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["NoiseRepeater", "zeta_probabilities"]


def zeta_probabilities(mu: float, k_max: int) -> torch.Tensor:
    """``(k_max,)`` probabilities ``P(k) = k^-mu / sum_{j<=k_max} j^-mu`` for k = 1..k_max."""
    weights = torch.arange(1, k_max + 1, dtype=torch.float64).pow(-mu)
    return (weights / weights.sum()).float()


class NoiseRepeater(nn.Module):
    """Per-env, per-dimension standard-normal noise refreshed after a zeta-distributed number of steps.

    With ``per_env=False`` (the reference behaviour) one repeat length and counter are shared by all envs, so
    all envs refresh together; with ``per_env=True`` each env draws its own. The state lives in buffers on
    the acting device and is updated without host synchronisation; it has its own random generator so that
    exploration is reproducible and resumable.
    """

    cdf: torch.Tensor
    noise: torch.Tensor
    repeat: torch.Tensor
    count: torch.Tensor

    def __init__(
        self,
        num_envs: int,
        action_dim: int,
        mu: float,
        k_max: int,
        per_env: bool = False,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ) -> None:
        super().__init__()
        lanes = num_envs if per_env else 1
        self.register_buffer("cdf", zeta_probabilities(mu, k_max).cumsum(0).to(device))
        self.register_buffer("noise", torch.zeros(num_envs, action_dim, device=device))
        self.register_buffer("repeat", torch.zeros(lanes, dtype=torch.int64, device=device))
        self.register_buffer("count", torch.zeros(lanes, dtype=torch.int64, device=device))
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)

    def sample_repeat(self, n: int) -> torch.Tensor:
        """``(n,)`` repeat lengths in 1..k_max by inverse CDF of one uniform draw each."""
        u = torch.rand(n, generator=self.generator, device=self.cdf.device)
        # Clamp guards against the last CDF entry being a hair below 1 in float32.
        return (torch.searchsorted(self.cdf, u, right=True) + 1).clamp(max=self.cdf.numel())

    def __call__(self) -> torch.Tensor:
        """Advance one env step and return the ``(num_envs, action_dim)`` noise to act with."""
        refresh = (self.count == 0) | (self.count >= self.repeat)
        fresh = torch.randn(self.noise.shape, generator=self.generator, device=self.noise.device)
        self.noise.copy_(torch.where(refresh[:, None], fresh, self.noise))
        self.repeat.copy_(torch.where(refresh, self.sample_repeat(self.repeat.numel()), self.repeat))
        self.count.copy_(torch.where(refresh, torch.ones_like(self.count), self.count + 1))
        return self.noise

    def generator_state(self) -> torch.Tensor:
        """The generator state (for checkpoints)."""
        return self.generator.get_state()

    def set_generator_state(self, state: torch.Tensor) -> None:
        """Restore the generator state (from checkpoints)."""
        self.generator.set_state(state)

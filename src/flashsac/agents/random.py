"""Uniform-random actions inside the per-dimension bounds, for the warm-up phase."""

from __future__ import annotations

import torch

from flashsac.envs.protocol import EnvSpec

__all__ = ["RandomPolicy"]


class RandomPolicy:
    """Draws actions uniformly from ``[action_low, action_high]`` with its own seeded generator."""

    def __init__(self, spec: EnvSpec, seed: int = 0) -> None:
        self.low, self.high = spec.action_low, spec.action_high
        self.num_envs = spec.num_envs
        self.generator = torch.Generator(device=spec.device)
        self.generator.manual_seed(seed)

    def act(self, obs: torch.Tensor | None = None) -> torch.Tensor:
        """``(num_envs, action_dim)`` uniform actions in environment units."""
        u = torch.rand(self.num_envs, self.low.numel(), generator=self.generator, device=self.low.device)
        return self.low + (self.high - self.low) * u

"""Return-based reward scaling that keeps discounted returns inside the critic support.

Reference: SimbaV2 / FlashSAC reward normalisation; docs/algorithm.md section 5.1 (with the accumulator fix of
section 0: the episode's last reward is added *before* the return is reset).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RewardScaler"]


class RewardScaler(nn.Module):
    """Tracks per-env discounted returns G, their running variance and their running max |G|.

    The scale is ``max(sqrt(Var[G] + 1e-8), max|G| / G_max)``: the classic return-std normaliser, raised when
    needed so that the largest return seen maps inside ``[-G_max, G_max]``. Everything stays on the device.
    """

    returns: torch.Tensor
    abs_max: torch.Tensor
    mean: torch.Tensor
    var: torch.Tensor
    count: torch.Tensor

    def __init__(self, num_envs: int, gamma: float, g_max: float, device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.gamma, self.g_max = gamma, g_max
        self.register_buffer("returns", torch.zeros(num_envs, device=device))
        self.register_buffer("abs_max", torch.zeros((), device=device))
        self.register_buffer("mean", torch.zeros((), device=device))
        self.register_buffer("var", torch.ones((), device=device))
        self.register_buffer("count", torch.full((), 1e-4, device=device))

    @torch.no_grad()
    def update(self, reward: torch.Tensor, done: torch.Tensor) -> None:
        """Absorb one vector step: accumulate ``G = gamma G + r``, update statistics, then reset ended episodes."""
        self.returns.mul_(self.gamma).add_(reward)
        self.abs_max.copy_(torch.maximum(self.abs_max, self.returns.abs().max()))
        batch_var, batch_mean = torch.var_mean(self.returns, correction=0)
        batch_count = self.returns.numel()
        delta = batch_mean - self.mean
        total = self.count + batch_count
        new_mean = self.mean + delta * batch_count / total
        m2 = self.var * self.count + batch_var * batch_count + delta.square() * self.count * batch_count / total
        self.mean.copy_(new_mean)
        self.var.copy_(m2 / total)
        self.count.copy_(total)
        self.returns.masked_fill_(done, 0.0)

    def scale(self) -> torch.Tensor:
        """The current divisor for rewards (a 0-d tensor)."""
        return torch.maximum(torch.sqrt(self.var + 1e-8), self.abs_max / self.g_max)

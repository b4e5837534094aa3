"""Return-based reward scaling that keeps discounted returns inside the critic support.

Reference: SimbaV2 / FlashSAC reward normalisation; docs/algorithm.md section 5.1 (with the accumulator fix of
section 0: the episode's last reward is added *before* the return is reset).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["RewardScaler"]


class RewardScaler(nn.Module):
    """Tracks per-env discounted returns G, their running variance and their running max |G|.

    The scale is ``max(sqrt(Var[G] + 1e-8), max|G| / G_max)``: the classic return-std normaliser, raised when
    needed so that the largest return seen maps inside ``[-G_max, G_max]``. Everything stays on the device.

    Args:
        num_envs: Envs of this process (the length of the per-env returns).
        gamma: Discount of the tracked returns.
        g_max: Half-width of the critic support.
        device: Where the statistics live.
        gather: Under data parallelism, concatenates the per-env returns of every rank (in rank order, the same
            on every rank): the statistics then cover all ranks' envs, are identical on every rank, and equal
            those of one scaler over ``world_size * num_envs`` envs. ``None``: this process's envs only.
    """

    returns: torch.Tensor
    abs_max: torch.Tensor
    mean: torch.Tensor
    var: torch.Tensor
    count: torch.Tensor

    def __init__(
        self,
        num_envs: int,
        gamma: float,
        g_max: float,
        device: torch.device | str = "cpu",
        gather: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.gamma, self.g_max, self.gather = gamma, g_max, gather
        self.register_buffer("returns", torch.zeros(num_envs, device=device))
        self.register_buffer("abs_max", torch.zeros((), device=device))
        self.register_buffer("mean", torch.zeros((), device=device))
        self.register_buffer("var", torch.ones((), device=device))
        self.register_buffer("count", torch.full((), 1e-4, device=device))

    @torch.no_grad()
    def update(self, reward: torch.Tensor, done: torch.Tensor) -> None:
        """Absorb one vector step: accumulate ``G = gamma G + r``, update statistics, then reset ended episodes."""
        self.returns.mul_(self.gamma).add_(reward)
        returns = self.returns if self.gather is None else self.gather(self.returns)
        self.abs_max.copy_(torch.maximum(self.abs_max, returns.abs().max()))
        batch_var, batch_mean = torch.var_mean(returns, correction=0)
        batch_count = returns.numel()
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

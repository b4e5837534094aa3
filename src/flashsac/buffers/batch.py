"""Shared data types that cross layer boundaries (buffer -> agent)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Batch"]


@dataclass
class Batch:
    """A sampled batch of n-step transitions; every tensor has leading dimension ``B``.

    Attributes:
        obs: ``(B, obs_dim)`` actor observation s_t.
        action: ``(B, action_dim)`` action a_t in environment units.
        reward: ``(B,)`` raw n-step return sum_{k<K} gamma^k r_{t+k}, K = steps until the window ends.
        next_obs: ``(B, obs_dim)`` observation to bootstrap from: s_{t+K} (the true final observation
            where the window ended with the episode).
        terminated: ``(B,)`` float, 1 where the window ended in a terminal state (no bootstrap).
        discount: ``(B,)`` float, gamma^K for the bootstrap (the *effective* discount: K < n where the
            window was cut by an episode end).
        critic_obs: ``(B, critic_obs_dim)`` privileged s_t, or ``None`` (the critic then uses ``obs``).
        next_critic_obs: ``(B, critic_obs_dim)`` privileged bootstrap observation, or ``None``.
    """

    obs: torch.Tensor
    action: torch.Tensor
    reward: torch.Tensor
    next_obs: torch.Tensor
    terminated: torch.Tensor
    discount: torch.Tensor
    critic_obs: torch.Tensor | None = None
    next_critic_obs: torch.Tensor | None = None

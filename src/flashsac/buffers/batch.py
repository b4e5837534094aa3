"""Shared data types that cross layer boundaries (buffer -> agent)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Batch"]


@dataclass
class Batch:
    """A sampled batch of n-step transitions; every tensor has leading dimension ``B``.

    A window starting at step ``t`` holds ``K`` steps: ``n``, or fewer where an episode ended inside it.

    Attributes:
        obs: ``(B, obs_dim)`` actor observation s_t.
        action: ``(B, action_dim)`` action a_t in environment units.
        reward: ``(B,)`` raw n-step return sum_{k<K} gamma^k r_{t+k}.
        bootstrap_obs: ``(B, obs_dim)`` observation to bootstrap from: s_{t+K} (the true final observation
            where the window ended with a time-out).
        terminated: ``(B,)`` float, 1 where the window ended in a terminal state (no bootstrap).
        bootstrap_discount: ``(B,)`` float, gamma^K, the discount of the bootstrap value (the *effective*
            discount: K < n where an episode end cut the window). Not masked: the agent multiplies it by
            ``1 - terminated``.
        critic_obs: ``(B, critic_obs_dim)`` privileged s_t, or ``None`` (the critic then uses ``obs``).
        bootstrap_critic_obs: ``(B, critic_obs_dim)`` privileged s_{t+K}, or ``None``.
    """

    obs: torch.Tensor
    action: torch.Tensor
    reward: torch.Tensor
    bootstrap_obs: torch.Tensor
    terminated: torch.Tensor
    bootstrap_discount: torch.Tensor
    critic_obs: torch.Tensor | None = None
    bootstrap_critic_obs: torch.Tensor | None = None

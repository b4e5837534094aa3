"""FlashSAC losses as pure functions of tensors: no devices, precision, scalers or compile in here.

Reference: FlashSAC (Kim, Lee et al., 2026); docs/algorithm.md sections 3.3-3.5. Values are in *normalised*
reward units (rewards divided by the return scale so that returns fit the support [-G_max, G_max]).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "actor_loss",
    "categorical_projection",
    "critic_loss",
    "critic_value_loss",
    "select_min_member",
    "target_entropy",
    "temperature_loss",
]


def target_entropy(action_dim: int, target_sigma: float) -> float:
    """Unified entropy target: the entropy of an isotropic Gaussian with per-dimension std ``target_sigma``.

    ``H = |A|/2 * ln(2 pi e sigma^2)``; sigma = 0.15 gives about -0.478 per action dimension.
    """
    return 0.5 * action_dim * math.log(2.0 * math.pi * math.e * target_sigma**2)


def select_min_member(probs: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """Pick, per sample, the full distribution of the member with the smaller expected value (clipped double Q).

    Args:
        probs: ``(E, B, K)`` target-critic probabilities.
        support: ``(K,)`` atom values.

    Returns:
        ``(B, K)``; ties go to the first member.
    """
    member = (probs * support).sum(-1).argmin(dim=0)
    return probs.gather(0, member.view(1, -1, 1).expand(1, *probs.shape[1:])).squeeze(0)


def categorical_projection(
    next_probs: torch.Tensor,
    reward: torch.Tensor,
    bootstrap_discount: torch.Tensor,
    entropy_bonus: torch.Tensor,
    support: torch.Tensor,
) -> torch.Tensor:
    """Project the soft n-step Bellman target distribution onto the fixed support (C51-style linear split).

    Atom j moves to ``T z_j = clip(r + d * (z_j - alpha * log pi'), v_min, v_max)`` and its mass is split
    between the two neighbouring atoms in proportion to proximity (all of it on one atom when it lands
    exactly on one, including the top edge).

    Args:
        next_probs: ``(B, K)`` target distribution at the bootstrap state-action.
        reward: ``(B,)`` normalised n-step reward.
        bootstrap_discount: ``(B,)`` ``gamma^k * (1 - terminated)``, k the effective window length.
        entropy_bonus: ``(B,)`` ``alpha * log pi(a'|s')``, subtracted from every atom before discounting.
        support: ``(K,)`` evenly spaced atoms from v_min to v_max.

    Returns:
        ``(B, K)`` target probabilities (each row sums to the row sum of ``next_probs``).
    """
    num_bins = support.shape[0]
    v_min, v_max = support[0], support[-1]
    delta = (v_max - v_min) / (num_bins - 1)
    shifted = reward[:, None] + bootstrap_discount[:, None] * (support[None, :] - entropy_bonus[:, None])
    # nan_to_num keeps the scatter indices valid if a NaN slipped in (it then shows as a NaN loss, which the
    # non-finite guard reports) instead of crashing the process with an out-of-range index.
    position = (torch.nan_to_num(shifted).clamp(v_min, v_max) - v_min) / delta
    lower = position.floor().clamp(0, num_bins - 1)
    upper_weight = position - lower
    upper = (lower + 1).clamp(max=num_bins - 1)
    target = torch.zeros_like(next_probs)
    target.scatter_add_(1, lower.long(), next_probs * (1.0 - upper_weight))
    target.scatter_add_(1, upper.long(), next_probs * upper_weight)
    return target


def critic_loss(log_probs: torch.Tensor, target_probs: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of every critic member against the same target, averaged over members and batch.

    Args:
        log_probs: ``(E, B, K)`` online log-probabilities at (s, a).
        target_probs: ``(B, K)`` projected target (no gradient).
    """
    return -(target_probs.unsqueeze(0) * log_probs).sum(-1).mean()


def critic_value_loss(values: torch.Tensor, target_probs: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """Squared error of each member's expected value against the projected target's (``value_mse``).

    The alternative to :func:`critic_loss`, averaged over members and batch.

    Args:
        values: ``(E, B)`` online expected values ``sum_j p_j z_j`` at (s, a).
        target_probs: ``(B, K)`` projected target (no gradient).
        support: ``(K,)`` atom values.
    """
    return (values - (target_probs * support).sum(-1).unsqueeze(0)).square().mean()


def actor_loss(
    log_prob: torch.Tensor,
    q_min: torch.Tensor,
    alpha: torch.Tensor,
    bc_alpha: float = 0.0,
    action: torch.Tensor | None = None,
    data_action: torch.Tensor | None = None,
) -> torch.Tensor:
    """SAC policy loss ``mean(alpha * log pi(a|s) - min_k Q_k(s, a))`` with an optional behaviour-cloning term.

    Args:
        log_prob: ``(B,)`` log pi of the reparameterised action.
        q_min: ``(B,)`` minimum of the members' expected values.
        alpha: scalar temperature (treated as a constant).
        bc_alpha: weight of ``mean|Q| * mean (a - a_data)^2`` (0 disables it).
        action: ``(B, A)`` policy action, needed when ``bc_alpha > 0``.
        data_action: ``(B, A)`` replayed action, needed when ``bc_alpha > 0``.
    """
    loss = (alpha.detach() * log_prob - q_min).mean()
    if bc_alpha > 0.0:
        if action is None or data_action is None:
            raise ValueError("actor_loss with bc_alpha > 0 needs action and data_action.")
        loss = loss + bc_alpha * q_min.abs().mean().detach() * (action - data_action).square().mean()
    return loss


def temperature_loss(log_alpha: torch.Tensor, entropy: torch.Tensor, entropy_target: float) -> torch.Tensor:
    """``alpha * (H - H_target)``: alpha shrinks while the policy entropy H exceeds the target.

    Args:
        log_alpha: the scalar parameter.
        entropy: scalar batch entropy estimate ``-mean log pi`` (treated as a constant).
        entropy_target: the target entropy.
    """
    return log_alpha.exp() * (entropy.detach() - entropy_target)

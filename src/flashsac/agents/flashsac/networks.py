"""FlashSAC actor, twin categorical critic and temperature (docs/algorithm.md sections 2.2-2.4)."""

from __future__ import annotations

import math

import torch
from torch import nn

from flashsac.nn.distributions import bounded_log_std, log_std_bias_for, tanh_gaussian_log_prob
from flashsac.nn.layers import Trunk, UnitLinear

__all__ = ["ActionScaler", "Actor", "Critic", "Temperature"]


class ActionScaler(nn.Module):
    """Per-dimension affine between tanh units [-1, 1] and environment units [low, high].

    ``a = (high + low)/2 + (high - low)/2 * y``: y = -1 and y = +1 land exactly on ``low`` and ``high``, so
    asymmetric bounds (e.g. from soft joint limits) are honoured per joint.
    """

    low: torch.Tensor
    high: torch.Tensor
    center: torch.Tensor
    half_range: torch.Tensor

    def __init__(self, low: torch.Tensor, high: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("low", low.float().clone())
        self.register_buffer("high", high.float().clone())
        self.register_buffer("center", ((high + low) / 2).float())
        self.register_buffer("half_range", ((high - low) / 2).float())

    def to_env(self, unit_action: torch.Tensor) -> torch.Tensor:
        """Map ``(..., A)`` from [-1, 1] to environment units, exactly onto ``low``/``high`` at -1/+1.

        ``torch.lerp`` evaluates from the nearer end, so saturated actions never leave the bounds by a
        float32 rounding step (``center + y * half_range`` can).
        """
        return torch.lerp(self.low, self.high, (unit_action + 1.0) * 0.5)

    def to_unit(self, env_action: torch.Tensor) -> torch.Tensor:
        """Map ``(..., A)`` from environment units to [-1, 1]."""
        return (env_action - self.center) / self.half_range


class Actor(nn.Module):
    """Gaussian policy squashed by tanh, on a norm-bounded trunk.

    The head is one bias-carrying linear map producing ``(mean, raw log-std)``: mean weights ~ N(0, 1e-3^2),
    log-std weights exactly zero and a constant bias, so every state starts with std ``init_std`` and mean
    about 0 (the small-initial-std fix; docs/algorithm.md section 0). The head is not weight-projected.
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden_dim: int,
        num_blocks: int,
        log_std_min: float,
        log_std_max: float,
        init_std: float,
    ) -> None:
        super().__init__()
        self.action_dim, self.log_std_min, self.log_std_max = action_dim, log_std_min, log_std_max
        self.trunk = Trunk(obs_dim, hidden_dim, num_blocks)
        self.head = nn.Linear(hidden_dim, 2 * action_dim)
        with torch.no_grad():
            nn.init.normal_(self.head.weight[:action_dim], std=1e-3)
            self.head.weight[action_dim:].zero_()
            self.head.bias[:action_dim].zero_()
            self.head.bias[action_dim:].fill_(log_std_bias_for(init_std, log_std_min, log_std_max))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(mean, log_std)``, each ``(B, A)``, of the pre-tanh Gaussian."""
        mean, raw = self.head(self.trunk(obs)).chunk(2, dim=-1)
        return mean, bounded_log_std(raw, self.log_std_min, self.log_std_max)

    def sample(self, obs: torch.Tensor, noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised sample in tanh units and its log-probability.

        Args:
            obs: ``(B, obs_dim)``.
            noise: ``(B, A)`` standard-normal draw; a fresh one when ``None``.

        Returns:
            ``(action (B, A) in [-1, 1], log_prob (B,))``.
        """
        mean, log_std = self(obs)
        if noise is None:
            noise = torch.randn_like(mean)
        pre_tanh = mean + log_std.exp() * noise
        return torch.tanh(pre_tanh), tanh_gaussian_log_prob(pre_tanh, noise, log_std)


class Critic(nn.Module):
    """Twin categorical critic as one fused ensemble: logits over a fixed value support per member."""

    support: torch.Tensor

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        num_blocks: int,
        num_bins: int,
        v_min: float,
        v_max: float,
        init_value_std: float | None = None,
    ) -> None:
        super().__init__()
        self.num_qs = 2
        self.trunk = Trunk(input_dim, hidden_dim, num_blocks, ensemble_size=self.num_qs)
        self.head = UnitLinear(hidden_dim, num_bins, ensemble_size=self.num_qs)
        self.head_bias = nn.Parameter(torch.zeros(self.num_qs, 1, num_bins))
        self.register_buffer("support", torch.linspace(v_min, v_max, num_bins))
        if init_value_std is not None:
            # A peaked start: the unit-norm head's logits vary by about 1 across bins, so a zero bias spreads the
            # mass over the whole support and the initial values differ at random across actions.
            with torch.no_grad():
                self.head_bias.copy_((-0.5 * (self.support / init_value_std) ** 2).expand_as(self.head_bias))

    def forward(self, critic_obs: torch.Tensor, unit_action: torch.Tensor) -> torch.Tensor:
        """Return logits ``(2, B, num_bins)`` for ``critic_obs (B, d)`` and actions in tanh units ``(B, A)``."""
        return self.head(self.trunk(torch.cat((critic_obs, unit_action), dim=-1))) + self.head_bias

    def expected_value(self, logits: torch.Tensor) -> torch.Tensor:
        """``(2, B)`` scalar values ``sum_j p_j z_j`` of logits ``(2, B, num_bins)``."""
        return (torch.softmax(logits.float(), dim=-1) * self.support).sum(-1)


class Temperature(nn.Module):
    """The SAC temperature alpha = exp(log_alpha), a single free scalar."""

    def __init__(self, initial_value: float) -> None:
        super().__init__()
        self.log_alpha = nn.Parameter(torch.tensor(math.log(initial_value)))

    def forward(self) -> torch.Tensor:
        """Return alpha."""
        return self.log_alpha.exp()

"""The tanh-squashed diagonal Gaussian of SAC, with an overflow-safe log-density."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["bounded_log_std", "log_std_bias_for", "tanh_gaussian_log_prob"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def bounded_log_std(raw: torch.Tensor, log_std_min: float, log_std_max: float) -> torch.Tensor:
    """Squash a raw head output into ``[log_std_min, log_std_max]``: ``min + (max-min) (1 + tanh raw) / 2``."""
    return log_std_min + (log_std_max - log_std_min) * 0.5 * (1.0 + torch.tanh(raw))


def log_std_bias_for(init_std: float, log_std_min: float, log_std_max: float) -> float:
    """The raw-head bias that makes :func:`bounded_log_std` return ``log(init_std)`` (inverse map).

    Raises:
        ValueError: if ``log(init_std)`` lies outside the open interval ``(log_std_min, log_std_max)``.
    """
    target = math.log(init_std)
    if not log_std_min < target < log_std_max:
        raise ValueError(
            f"agent.init_std={init_std} gives log std {target:.3f}, outside (agent.log_std_min={log_std_min}, "
            f"agent.log_std_max={log_std_max}); choose init_std in ({math.exp(log_std_min):.4g}, "
            f"{math.exp(log_std_max):.4g})."
        )
    return math.atanh(2.0 * (target - log_std_min) / (log_std_max - log_std_min) - 1.0)


def tanh_gaussian_log_prob(pre_tanh: torch.Tensor, noise: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """Log-density of ``a = tanh(u)``, ``u = mean + std * noise``, in tanh units, summed over the last axis.

    ``log pi(a|s) = sum_i [log N(u_i; mean_i, std_i) - log(1 - tanh(u_i)^2)]`` with the Jacobian term in the
    overflow-safe form ``log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))``.

    Args:
        pre_tanh: ``(..., A)`` the sample u.
        noise: ``(..., A)`` the standard-normal draw that produced it.
        log_std: ``(..., A)``.

    Returns:
        ``(...)`` log-probabilities.
    """
    gaussian = -0.5 * noise.square() - log_std - _HALF_LOG_2PI
    log_det = 2.0 * (math.log(2.0) - pre_tanh - F.softplus(-2.0 * pre_tanh))
    return (gaussian - log_det).sum(-1)

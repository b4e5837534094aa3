"""Norm-bounded layers of FlashSAC, each usable plain or as an ensemble with a leading member axis.

Every layer with a norm constraint exposes ``project_()``, which re-imposes the constraint in place; it is
called after initialisation and after every optimizer step of the owning network (docs/algorithm.md 2.7).
Plain layers work on ``(B, d)`` tensors; ensemble layers (``ensemble_size=E``) hold parameters with a leading
``E`` axis and work on ``(E, B, d)`` tensors (or broadcast a shared ``(B, d)`` input to all members).

Reference: FlashSAC (Kim, Lee et al., 2026), section "architecture"; docs/algorithm.md section 2.1.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from flashsac.nn.batchnorm import batch_norm_train

__all__ = [
    "Embedder",
    "InvertedResidualBlock",
    "Trunk",
    "UnitBatchNorm",
    "UnitLinear",
    "UnitRMSNorm",
    "project_weights_",
]

_EPS_NORM = 1e-8


def _param_shape(ensemble_size: int, *shape: int) -> tuple[int, ...]:
    return (ensemble_size, *shape) if ensemble_size else shape


class UnitLinear(nn.Module):
    """Bias-free linear map ``y = x W^T`` whose weight rows are kept at unit l2 norm.

    Args:
        in_features: Input width.
        out_features: Output width.
        ensemble_size: 0 for a plain layer, else the number of ensemble members E.
    """

    def __init__(self, in_features: int, out_features: int, ensemble_size: int = 0) -> None:
        super().__init__()
        self.ensemble_size = ensemble_size
        weight = torch.empty(_param_shape(ensemble_size, out_features, in_features))
        for member in weight.view(-1, out_features, in_features):
            nn.init.orthogonal_(member)
        self.weight = nn.Parameter(weight)
        self.project_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, in)`` -> ``(B, out)``, or ``(E, B, in)``/``(B, in)`` -> ``(E, B, out)`` for ensembles."""
        if not self.ensemble_size:
            return F.linear(x, self.weight)
        return torch.matmul(x, self.weight.transpose(-1, -2))

    @torch.no_grad()
    def project_(self) -> None:
        """Rescale every row (the incoming weights of one output unit) to unit l2 norm."""
        self.weight.div_(self.weight.norm(dim=-1, keepdim=True).clamp_min(_EPS_NORM))


class UnitBatchNorm(nn.Module):
    """Batch normalisation over the batch axis (-2) with a jointly norm-bounded affine.

    Training mode normalises with the batch statistics and updates the running statistics (momentum 0.01,
    unbiased running variance); eval mode uses the running statistics. Statistics are computed and kept in
    float32 even under reduced-precision autocast. After each optimizer step the concatenated
    ``(scale, shift)`` vector of each member is rescaled to norm ``sqrt(d)``.
    """

    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(self, dim: int, ensemble_size: int = 0, momentum: float = 0.01, eps: float = 1e-5) -> None:
        super().__init__()
        self.dim, self.momentum, self.eps = dim, momentum, eps
        shape = _param_shape(ensemble_size, 1, dim) if ensemble_size else (dim,)
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))
        self.register_buffer("running_mean", torch.zeros(shape))
        self.register_buffer("running_var", torch.ones(shape))

    def forward(self, x: torch.Tensor, relu: bool = False) -> torch.Tensor:
        """Normalise ``(..., B, d)`` over ``B``; ``relu=True`` fuses the following ReLU."""
        if self.training:
            y, mean, var = batch_norm_train(x, self.weight, self.bias, self.eps, relu)
            batch = x.shape[-2]
            with torch.no_grad():
                self.running_mean.lerp_(mean.view_as(self.running_mean), self.momentum)
                self.running_var.lerp_((var * (batch / max(batch - 1, 1))).view_as(self.running_var), self.momentum)
            return y
        scale = self.weight * torch.rsqrt(self.running_var + self.eps)
        shift = self.bias - self.running_mean * scale
        y = torch.addcmul(shift.to(x.dtype), x, scale.to(x.dtype))
        return torch.relu(y) if relu else y

    @torch.no_grad()
    def project_(self) -> None:
        """Rescale ``(scale, shift)`` jointly so that ``||scale||^2 + ||shift||^2 = d`` per member."""
        sq = self.weight.square().sum(-1, keepdim=True) + self.bias.square().sum(-1, keepdim=True)
        factor = math.sqrt(self.dim) / sq.sqrt().clamp_min(_EPS_NORM)
        self.weight.mul_(factor)
        self.bias.mul_(factor)


class UnitRMSNorm(nn.Module):
    """RMS normalisation ``x / sqrt(mean(x^2) + eps) * g`` with the gain kept at norm ``sqrt(d)``."""

    def __init__(self, dim: int, ensemble_size: int = 0, eps: float = 1e-6) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps
        shape = _param_shape(ensemble_size, 1, dim) if ensemble_size else (dim,)
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise the last axis of ``(..., d)``."""
        return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + self.eps) * self.weight

    @torch.no_grad()
    def project_(self) -> None:
        """Rescale the gain of each member to norm ``sqrt(d)``."""
        norm = self.weight.norm(dim=-1, keepdim=True).clamp_min(_EPS_NORM)
        self.weight.mul_(math.sqrt(self.dim) / norm)


class Embedder(nn.Module):
    """Batch norm on the raw input (the observation normaliser), then a unit linear map; no activation."""

    def __init__(self, in_features: int, hidden_dim: int, ensemble_size: int = 0) -> None:
        super().__init__()
        self.norm = UnitBatchNorm(in_features, ensemble_size)
        self.linear = UnitLinear(in_features, hidden_dim, ensemble_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed ``(B, in)`` (shared by all members) or ``(E, B, in)``."""
        if self.linear.ensemble_size and x.dim() == 2:
            # Each member keeps its own input statistics, so the shared input is broadcast first.
            x = x.expand(self.linear.ensemble_size, *x.shape)
        return self.linear(self.norm(x))


class InvertedResidualBlock(nn.Module):
    """``x + ReLU(BN2(W2 ReLU(BN1(W1 x))))`` with a 4x wider inner layer (BN before each ReLU)."""

    def __init__(self, hidden_dim: int, ensemble_size: int = 0, expansion: int = 4) -> None:
        super().__init__()
        inner = expansion * hidden_dim
        self.up = UnitLinear(hidden_dim, inner, ensemble_size)
        self.norm_up = UnitBatchNorm(inner, ensemble_size)
        self.down = UnitLinear(inner, hidden_dim, ensemble_size)
        self.norm_down = UnitBatchNorm(hidden_dim, ensemble_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``(..., B, hidden_dim)``."""
        u = self.norm_up(self.up(x), relu=True)
        return x + self.norm_down(self.down(u), relu=True)


class Trunk(nn.Module):
    """Embedder, ``num_blocks`` inverted residual blocks, then the final RMS norm."""

    def __init__(self, in_features: int, hidden_dim: int, num_blocks: int, ensemble_size: int = 0) -> None:
        super().__init__()
        self.embed = Embedder(in_features, hidden_dim, ensemble_size)
        self.blocks = nn.Sequential(*(InvertedResidualBlock(hidden_dim, ensemble_size) for _ in range(num_blocks)))
        self.out_norm = UnitRMSNorm(hidden_dim, ensemble_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs to RMS-normalised features of width ``hidden_dim``."""
        return self.out_norm(self.blocks(self.embed(x)))


@torch.no_grad()
def project_weights_(module: nn.Module) -> None:
    """Re-impose every norm constraint inside ``module`` (call after each optimizer step)."""
    for layer in module.modules():
        if isinstance(layer, UnitLinear | UnitBatchNorm | UnitRMSNorm):
            layer.project_()

"""The deployable policy: observation -> deterministic action in environment units, batch norm folded away.

At deployment the actor runs in eval mode, where each batch norm is a fixed per-feature affine
``y = scale * x + shift`` (``scale = weight / sqrt(running_var + eps)``, ``shift = bias - running_mean * scale``).
:func:`build_deploy_policy` folds every one of them into the linear map beside it, computed in float64 and stored in
float32, so the graph is plain ``Linear``/``ReLU`` blocks that every runtime executes the same way:

* the embedder's input batch norm (the observation normaliser) precedes its bias-free linear map ``W``:
  ``W (scale * x + shift) = (W diag(scale)) x + W shift``;
* each block's batch norm follows its linear map: ``scale * (W x) + shift = (diag(scale) W) x + shift``.

The head keeps only its mean rows (the deterministic action is ``tanh(mean)``), and the per-dimension affine
onto ``[low, high]`` is the one training used (:class:`flashsac.agents.flashsac.networks.ActionScaler`), written
out as the two-sided interpolation ``torch.lerp`` computes, so saturated actions land exactly on the bounds.

Reference: FlashSAC (Kim, Lee et al., 2026), section "architecture"; docs/algorithm.md sections 2.1, 2.2 and 2.6.
"""

import torch
from torch import nn

from flashsac.agents.flashsac.networks import ActionScaler, Actor
from flashsac.nn.layers import InvertedResidualBlock, UnitBatchNorm, UnitLinear

__all__ = ["DeployPolicy", "build_deploy_policy", "non_finite_entries"]


def _bn_affine(norm: UnitBatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """``(scale, shift)`` in float64 of an eval-mode (plain, non-ensemble) batch norm."""
    scale = norm.weight.double() * torch.rsqrt(norm.running_var.double() + norm.eps)
    return scale, norm.bias.double() - norm.running_mean.double() * scale


def _linear(weight: torch.Tensor, bias: torch.Tensor) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(weight.float())
        layer.bias.copy_(bias.float())
    return layer


def _fold_after(linear: UnitLinear, norm: UnitBatchNorm) -> nn.Linear:
    """``norm(linear(x))`` as one biased linear map."""
    scale, shift = _bn_affine(norm)
    return _linear(scale[:, None] * linear.weight.double(), shift)


class _Block(nn.Module):
    """``x + ReLU(down(ReLU(up(x))))`` with both batch norms folded into ``up`` and ``down``."""

    def __init__(self, block: InvertedResidualBlock) -> None:
        super().__init__()
        self.up = _fold_after(block.up, block.norm_up)
        self.down = _fold_after(block.down, block.norm_down)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``(B, hidden_dim)``."""
        return x + torch.relu(self.down(torch.relu(self.up(x))))


# No ``from __future__ import annotations`` here: torch.jit.script reads this module's annotations as types.
class DeployPolicy(nn.Module):
    """Deterministic FlashSAC policy: ``obs (B, obs_dim)`` -> ``action (B, action_dim)`` in environment units.

    Built by :func:`build_deploy_policy`; every tensor is a float32 buffer or parameter, nothing depends on the
    batch size, and the module holds no batch statistics (batch norm is folded).
    """

    low: torch.Tensor
    high: torch.Tensor
    rms_weight: torch.Tensor

    def __init__(self, actor: Actor, scaler: ActionScaler) -> None:
        super().__init__()
        trunk = actor.trunk
        scale, shift = _bn_affine(trunk.embed.norm)
        embed_weight = trunk.embed.linear.weight.double()
        self.embed = _linear(embed_weight * scale[None, :], embed_weight @ shift)
        blocks = [block for block in trunk.blocks if isinstance(block, InvertedResidualBlock)]
        self.blocks = nn.ModuleList(_Block(block) for block in blocks)
        self.rms_eps = float(trunk.out_norm.eps)
        self.register_buffer("rms_weight", trunk.out_norm.weight.detach().float().clone())
        action_dim = actor.action_dim
        self.head = _linear(actor.head.weight[:action_dim].double(), actor.head.bias[:action_dim].double())
        self.register_buffer("low", scaler.low.detach().float().cpu().clone())
        self.register_buffer("high", scaler.high.detach().float().cpu().clone())

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Actions in ``[low, high]`` for ``obs (B, obs_dim)``: ``lerp(low, high, (tanh(mean) + 1) / 2)``."""
        x = self.embed(obs)
        for block in self.blocks:
            x = block(x)
        x = x * torch.rsqrt(x.square().mean(-1, keepdim=True) + self.rms_eps) * self.rms_weight
        unit = torch.tanh(self.head(x))
        weight = (unit + 1.0) * 0.5
        span = self.high - self.low
        # torch.lerp's two-sided form: from low below the midpoint, from high above it, so +-1 map exactly onto
        # the bounds (ONNX has no lerp operator; this keeps the exported graph equal to training's affine).
        return torch.where(weight < 0.5, self.low + weight * span, self.high - span * (1.0 - weight))


def non_finite_entries(actor: Actor, scaler: ActionScaler) -> list[str]:
    """Names of the actor's parameters and buffers (and the action bounds) that hold NaN or infinite values."""
    bounds = [("action_low", scaler.low), ("action_high", scaler.high)]
    named = [*actor.named_parameters(), *actor.named_buffers(), *bounds]
    return [name for name, tensor in named if not bool(torch.isfinite(tensor).all())]


def build_deploy_policy(actor: Actor, scaler: ActionScaler) -> DeployPolicy:
    """The deployable eval-mode policy of ``actor`` and its action bounds, on the CPU in float32.

    Raises:
        ValueError: the actor is an ensemble (FlashSAC's actor never is) or holds non-finite values.
    """
    if actor.trunk.embed.linear.ensemble_size:
        raise ValueError("only a plain (non-ensemble) actor can be exported.")
    bad = non_finite_entries(actor, scaler)
    if bad:
        raise ValueError(f"the actor holds non-finite values in {', '.join(bad)}.")
    with torch.no_grad():
        return DeployPolicy(actor, scaler).cpu().eval()

"""Training-mode batch normalisation over axis -2 as one autograd function with a hand-derived backward.

On CPU, ``torch.var_mean`` over a non-innermost axis and ATen's batch-norm backward in the ``(B, C)`` layout are
both an order of magnitude slower than plain reductions, and autograd's decomposition of a manual batch norm
keeps many intermediates alive. This function makes about six passes over the activations forward and six
backward, optionally fusing the ReLU that follows every batch norm inside FlashSAC's blocks.

Backward (per feature, n = batch size, x_hat the normalised input, g the incoming gradient):
``dbias = sum g``, ``dweight = sum g * x_hat``, ``dx = weight * inv_std * (g - dbias / n - x_hat * dweight / n)``.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["batch_norm_train"]


class _BatchNormTrain(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float, relu: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # Statistics in at least float32, also under fp16/bf16 autocast.
        xf = x if x.dtype in (torch.float32, torch.float64) else x.float()
        mean = xf.mean(dim=-2, keepdim=True)
        x_hat = xf - mean
        var = torch.mean(x_hat * x_hat, dim=-2, keepdim=True)
        inv_std = torch.rsqrt(var + eps)
        x_hat.mul_(inv_std)
        y = torch.addcmul(bias, x_hat, weight)
        if relu:
            y.clamp_(min=0.0)
        ctx.relu = relu
        ctx.save_for_backward(x_hat, inv_std, weight, y if relu else inv_std)
        ctx.mark_non_differentiable(mean, var)
        return y.to(x.dtype), mean, var

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor, *_: Any) -> tuple[torch.Tensor | None, ...]:
        x_hat, inv_std, weight, y = ctx.saved_tensors
        grad = grad.to(x_hat.dtype)
        if ctx.relu:
            # ReLU's own backward kernel: one pass, no bool-to-float promotion of the mask.
            grad = torch.ops.aten.threshold_backward(grad, y, 0.0)
        n = x_hat.shape[-2]
        grad_bias = grad.sum(dim=-2, keepdim=True)
        grad_weight = (grad * x_hat).sum(dim=-2, keepdim=True)
        grad_x = torch.addcmul(grad - grad_bias / n, x_hat, grad_weight / n, value=-1.0).mul_(weight * inv_std)
        reduce = tuple(range(grad_weight.dim() - weight.dim()))
        if reduce:  # plain (non-ensemble) parameters have no leading batch axis
            grad_weight, grad_bias = grad_weight.sum(reduce), grad_bias.sum(reduce)
        return grad_x, grad_weight.view_as(weight), grad_bias.view_as(weight), None, None


def batch_norm_train(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float, relu: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalise ``x (..., B, d)`` with its batch statistics over ``B``; optionally apply ReLU.

    Args:
        x: Input activations.
        weight: ``(d,)`` or ``(E, 1, d)`` scale.
        bias: Same shape as ``weight``.
        eps: Added to the variance.
        relu: Apply ``max(., 0)`` to the output (fused into the same pass and its backward).

    Returns:
        ``(y, mean, biased_var)``; the statistics are float32 and carry no gradient.
    """
    return _BatchNormTrain.apply(x, weight, bias, eps, relu)  # type: ignore[return-value]

"""The fused training-mode batch norm (hand-derived backward) and UnitBatchNorm against torch's batch norm."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from flashsac.nn.batchnorm import batch_norm_train
from flashsac.nn.layers import UnitBatchNorm


def _inputs(shape: tuple[int, ...], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    d = shape[-1]
    param_shape = (shape[0], 1, d) if len(shape) == 3 else (d,)
    x = (3.0 * torch.randn(shape, generator=gen, dtype=torch.float64) + 1.0).requires_grad_()
    weight = (1.0 + 0.5 * torch.randn(param_shape, generator=gen, dtype=torch.float64)).requires_grad_()
    bias = (0.5 * torch.randn(param_shape, generator=gen, dtype=torch.float64)).requires_grad_()
    return x, weight, bias


@pytest.mark.parametrize("shape", [(6, 3), (2, 5, 3)])
@pytest.mark.parametrize("relu", [False, True])
def test_forward_matches_the_textbook_formula(shape: tuple[int, ...], relu: bool) -> None:
    x, weight, bias = _inputs(shape)
    y, mean, var = batch_norm_train(x, weight, bias, 1e-5, relu)
    naive_mean = x.detach().mean(-2, keepdim=True)
    naive_var = ((x.detach() - naive_mean) ** 2).mean(-2, keepdim=True)  # biased
    expected = (x.detach() - naive_mean) / torch.sqrt(naive_var + 1e-5) * weight.detach() + bias.detach()
    if relu:
        expected = expected.clamp_min(0.0)
    torch.testing.assert_close(y.detach(), expected)
    torch.testing.assert_close(mean, naive_mean)
    torch.testing.assert_close(var, naive_var)


@pytest.mark.parametrize("shape", [(6, 3), (2, 5, 3)])
@pytest.mark.parametrize("relu", [False, True])
def test_backward_passes_gradcheck(shape: tuple[int, ...], relu: bool) -> None:
    x, weight, bias = _inputs(shape, seed=1)
    assert torch.autograd.gradcheck(
        lambda x, w, b: batch_norm_train(x, w, b, 1e-5, relu)[0], (x, weight, bias), eps=1e-6, atol=1e-6
    )


def test_plain_unit_batchnorm_matches_torch_batch_norm_in_train_and_eval() -> None:
    torch.manual_seed(0)
    bn = UnitBatchNorm(4)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, 0.5, -2.0, 1.5]))
        bn.bias.copy_(torch.tensor([0.0, 0.3, -0.1, 1.0]))
    running_mean, running_var = torch.zeros(4), torch.ones(4)
    for step in range(3):
        x = 2.0 * torch.randn(8, 4) + step
        bn.train()
        y = bn(x)
        ref = F.batch_norm(x, running_mean, running_var, bn.weight, bn.bias, training=True, momentum=0.01, eps=1e-5)
        torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)
        # torch keeps the unbiased batch variance in the running estimate, as docs/algorithm.md 2.1 asks.
        torch.testing.assert_close(bn.running_mean, running_mean)
        torch.testing.assert_close(bn.running_var, running_var)
    bn.eval()
    x = torch.randn(5, 4)
    ref = F.batch_norm(x, running_mean, running_var, bn.weight, bn.bias, training=False, eps=1e-5)
    torch.testing.assert_close(bn(x), ref, rtol=1e-5, atol=1e-5)


def test_ensemble_members_keep_separate_statistics() -> None:
    bn = UnitBatchNorm(3, ensemble_size=2).train()
    x = torch.stack((torch.randn(6, 3), 10.0 + 5.0 * torch.randn(6, 3)))
    y = bn(x).detach()
    for member in range(2):
        ref = F.batch_norm(x[member], None, None, training=True, eps=1e-5)
        torch.testing.assert_close(y[member], ref, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(bn.running_mean[member, 0], 0.01 * x[member].mean(0))

"""The tanh-squashed Gaussian: log-density against torch.distributions, bounded log-std and the actor's init."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import TanhTransform

from flashsac.agents.flashsac.networks import Actor
from flashsac.nn.distributions import bounded_log_std, log_std_bias_for, tanh_gaussian_log_prob


def _reference_log_prob(mean: torch.Tensor, log_std: torch.Tensor, pre_tanh: torch.Tensor) -> torch.Tensor:
    # cache_size=1 lets the transformed distribution reuse u instead of atanh(tanh(u)) (which is inf at |u| >= 10).
    tanh = TanhTransform(cache_size=1)
    action = tanh(pre_tanh)
    dist = TransformedDistribution(Normal(mean, log_std.exp()), [tanh])
    return dist.log_prob(action).sum(-1)


def test_log_prob_matches_torch_distributions() -> None:
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(64, 3, generator=gen, dtype=torch.float64)
    log_std = -2.0 + torch.rand(64, 3, generator=gen, dtype=torch.float64) * 2.0
    noise = torch.randn(64, 3, generator=gen, dtype=torch.float64)
    pre_tanh = mean + log_std.exp() * noise
    ours = tanh_gaussian_log_prob(pre_tanh, noise, log_std)
    assert ours.shape == (64,)
    torch.testing.assert_close(ours, _reference_log_prob(mean, log_std, pre_tanh), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("u", [20.0, -20.0, 9.0, -40.0])
def test_log_prob_is_finite_and_correct_for_saturated_actions(u: float) -> None:
    pre_tanh = torch.tensor([[u]])
    noise = torch.tensor([[0.5]])
    log_std = torch.tensor([[-1.0]])
    ours = tanh_gaussian_log_prob(pre_tanh, noise, log_std)
    assert torch.isfinite(ours).all()
    # By hand: log(1 - tanh^2 u) = -2 log cosh u = -2 (|u| + log(1 + e^{-2|u|}) - log 2).
    log_det = -2.0 * (abs(u) + math.log1p(math.exp(-2 * abs(u))) - math.log(2.0))
    gaussian = -0.5 * 0.25 - (-1.0) - 0.5 * math.log(2 * math.pi)
    assert ours.item() == pytest.approx(gaussian - log_det, rel=1e-6)
    mean = pre_tanh - log_std.exp() * noise
    torch.testing.assert_close(ours, _reference_log_prob(mean, log_std, pre_tanh), rtol=1e-5, atol=1e-4)


def test_log_prob_at_the_origin_by_hand() -> None:
    # u = 0, noise = 0, std = 1: N(0; 0, 1) = 1/sqrt(2 pi), Jacobian 1 -> per dim -0.5 ln(2 pi); two dims.
    out = tanh_gaussian_log_prob(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, 2))
    assert out.item() == pytest.approx(-math.log(2 * math.pi), rel=1e-6)


def test_bounded_log_std_by_hand() -> None:
    raw = torch.tensor([0.0, math.atanh(0.5), -100.0, 100.0])
    # min + (max - min) (1 + tanh raw) / 2 with (min, max) = (-5, 0): -2.5, -1.25, -5, 0.
    torch.testing.assert_close(bounded_log_std(raw, -5.0, 0.0), torch.tensor([-2.5, -1.25, -5.0, 0.0]))


@pytest.mark.parametrize(
    ("init_std", "lo", "hi"),
    [(0.0820849986, -5.0, 0.0), (0.018, -10.0, 2.0), (0.5, -5.0, 0.0), (0.007, -5.0, 0.0), (2.0, -3.0, 1.0)],
)
def test_log_std_bias_for_inverts_bounded_log_std(init_std: float, lo: float, hi: float) -> None:
    bias = log_std_bias_for(init_std, lo, hi)
    log_std = bounded_log_std(torch.tensor(bias, dtype=torch.float64), lo, hi)
    assert log_std.item() == pytest.approx(math.log(init_std), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("init_std", [math.exp(-5.0), math.exp(0.0), 1.5, 0.001])
def test_log_std_bias_for_rejects_std_outside_the_open_range(init_std: float) -> None:
    with pytest.raises(ValueError, match="init_std"):
        log_std_bias_for(init_std, -5.0, 0.0)


@pytest.mark.parametrize(("init_std", "lo", "hi"), [(0.0820849986, -5.0, 0.0), (0.3, -10.0, 2.0)])
def test_actor_initial_std_is_exactly_init_std_for_every_state(init_std: float, lo: float, hi: float) -> None:
    torch.manual_seed(0)
    actor = Actor(
        obs_dim=5, action_dim=3, hidden_dim=16, num_blocks=1, log_std_min=lo, log_std_max=hi, init_std=init_std
    )
    obs = torch.cat((torch.randn(32, 5), 100.0 * torch.randn(32, 5)))  # includes far-out-of-distribution states
    for train in (True, False):
        actor.train(train)
        with torch.no_grad():
            mean, log_std = actor(obs)
        assert mean.shape == log_std.shape == (64, 3)
        torch.testing.assert_close(log_std.exp(), torch.full((64, 3), init_std), rtol=1e-6, atol=0)
        assert mean.abs().max().item() < 0.05


def test_default_init_std_is_e_to_the_minus_2_5() -> None:
    from flashsac.config.schema import AgentConfig

    assert AgentConfig().init_std == pytest.approx(math.exp(-2.5), rel=1e-8)
    assert AgentConfig().init_std == pytest.approx(0.0821, abs=5e-5)


def test_actor_sample_log_prob_matches_torch_distributions() -> None:
    torch.manual_seed(1)
    actor = Actor(obs_dim=4, action_dim=2, hidden_dim=16, num_blocks=1, log_std_min=-5.0, log_std_max=0.0, init_std=0.3)
    with torch.no_grad():
        actor.head.weight.normal_()  # make mean and std state dependent
    obs, noise = torch.randn(16, 4), torch.randn(16, 2)
    actor.eval()
    with torch.no_grad():
        action, log_prob = actor.sample(obs, noise)
        mean, log_std = actor(obs)
    pre_tanh = mean + log_std.exp() * noise
    torch.testing.assert_close(action, torch.tanh(pre_tanh))
    torch.testing.assert_close(log_prob, _reference_log_prob(mean, log_std, pre_tanh), rtol=1e-5, atol=1e-4)

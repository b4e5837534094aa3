"""Unified entropy target, temperature loss direction and the SAC actor loss (docs/algorithm.md 3.3-3.4)."""

from __future__ import annotations

import math

import pytest
import torch

from flashsac.agents.flashsac.losses import actor_loss, target_entropy, temperature_loss
from flashsac.agents.flashsac.networks import Temperature


def _gaussian_entropy_per_dim(sigma: float) -> float:
    # Differential entropy of N(0, sigma^2): 0.5 * ln(2 pi e sigma^2).
    return 0.5 * math.log(2.0 * math.pi * math.e * sigma * sigma)


def test_default_target_entropy_per_dimension() -> None:
    by_hand = _gaussian_entropy_per_dim(0.15)
    assert by_hand == pytest.approx(-0.478, abs=5e-4)
    assert target_entropy(1, 0.15) == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize(
    ("sigma", "value"),
    [(0.05, -1.577), (0.10, -0.884), (0.15, -0.478), (0.20, -0.190), (0.25, 0.033)],
)
def test_target_entropy_reference_table(sigma: float, value: float) -> None:
    assert round(target_entropy(1, sigma), 3) == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize("action_dim", [1, 2, 6, 17])
def test_target_entropy_scales_linearly_with_action_dim(action_dim: int) -> None:
    assert target_entropy(action_dim, 0.15) == pytest.approx(action_dim * _gaussian_entropy_per_dim(0.15), rel=1e-12)
    assert target_entropy(action_dim, 0.1468) == pytest.approx(-0.5 * action_dim, abs=2e-3 * action_dim)


# ------------------------------------------------------------------ temperature


def _alpha_after_one_adam_step(entropy: float, target: float) -> tuple[float, float]:
    temperature = Temperature(0.01)
    optimizer = torch.optim.Adam(temperature.parameters(), lr=1e-2)
    before = temperature().item()
    loss = temperature_loss(temperature.log_alpha, torch.tensor(entropy), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return before, temperature().item()


def test_alpha_decreases_when_entropy_exceeds_the_target() -> None:
    before, after = _alpha_after_one_adam_step(entropy=1.0, target=-0.478)
    assert after < before
    # Adam's first step moves log alpha by exactly lr (sign of the gradient): alpha * exp(-0.01).
    assert after == pytest.approx(before * math.exp(-0.01), rel=1e-5)


def test_alpha_increases_when_entropy_is_below_the_target() -> None:
    before, after = _alpha_after_one_adam_step(entropy=-3.0, target=-0.478)
    assert after > before
    assert after == pytest.approx(before * math.exp(0.01), rel=1e-5)


def test_temperature_loss_value_and_gradient_by_hand() -> None:
    log_alpha = torch.tensor(math.log(0.2), requires_grad=True)
    entropy = torch.tensor(0.5, requires_grad=True)
    loss = temperature_loss(log_alpha, entropy, -1.0)
    # L = alpha * (H - H_target) = 0.2 * 1.5 = 0.3; dL/dlog_alpha = alpha * 1.5 = 0.3.
    assert loss.item() == pytest.approx(0.3, rel=1e-6)
    loss.backward()
    assert log_alpha.grad is not None
    assert log_alpha.grad.item() == pytest.approx(0.3, rel=1e-6)
    assert entropy.grad is None  # the entropy estimate is a constant here


def test_temperature_module_starts_at_the_initial_value() -> None:
    assert Temperature(0.01)().item() == pytest.approx(0.01, rel=1e-6)
    assert Temperature(0.01).log_alpha.item() == pytest.approx(math.log(0.01), rel=1e-6)


# ------------------------------------------------------------------ actor loss


def test_actor_loss_value_by_hand() -> None:
    log_prob = torch.tensor([-1.0, 2.0, 0.5])
    q_min = torch.tensor([3.0, -1.0, 0.0])
    alpha = torch.tensor(0.1)
    # mean(0.1 * [-1, 2, 0.5] - [3, -1, 0]) = mean([-3.1, 1.2, 0.05]) = -1.85 / 3
    assert actor_loss(log_prob, q_min, alpha).item() == pytest.approx(-1.85 / 3, rel=1e-6)


def test_actor_loss_detaches_alpha_and_has_the_sac_gradients() -> None:
    log_alpha = torch.tensor(math.log(0.5), requires_grad=True)
    log_prob = torch.tensor([-1.0, 2.0], requires_grad=True)
    q_min = torch.tensor([3.0, -1.0], requires_grad=True)
    actor_loss(log_prob, q_min, log_alpha.exp()).backward()
    assert log_alpha.grad is None
    assert log_prob.grad is not None and q_min.grad is not None
    torch.testing.assert_close(log_prob.grad, torch.tensor([0.25, 0.25]))  # alpha / B
    torch.testing.assert_close(q_min.grad, torch.tensor([-0.5, -0.5]))  # -1 / B


def test_actor_loss_behaviour_cloning_term_by_hand() -> None:
    log_prob = torch.tensor([0.0, 0.0])
    q_min = torch.tensor([2.0, -4.0], requires_grad=True)
    action = torch.tensor([[0.5, -0.5], [0.0, 1.0]], requires_grad=True)
    data_action = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    loss = actor_loss(log_prob, q_min, torch.tensor(0.1), bc_alpha=0.5, action=action, data_action=data_action)
    # SAC part: mean(-q) = mean([-2, 4]) = 1.
    # BC part: 0.5 * mean|Q| * mean (a - a_data)^2 = 0.5 * 3 * (0.25 + 0.25 + 0 + 1) / 4 = 0.5625.
    assert loss.item() == pytest.approx(1.0 + 0.5625, rel=1e-6)
    loss.backward()
    assert q_min.grad is not None and action.grad is not None
    # mean|Q| is detached: Q's gradient is only the SAC term -1/B.
    torch.testing.assert_close(q_min.grad, torch.tensor([-0.5, -0.5]))
    # d/da of 0.5 * 3 * mean((a - a_data)^2) = 1.5 * 2 (a - a_data) / 4.
    torch.testing.assert_close(action.grad, 0.75 * (action - data_action).detach())


def test_actor_loss_without_bc_ignores_actions() -> None:
    log_prob, q_min = torch.tensor([0.3]), torch.tensor([1.0])
    plain = actor_loss(log_prob, q_min, torch.tensor(0.2))
    with_actions = actor_loss(
        log_prob, q_min, torch.tensor(0.2), bc_alpha=0.0, action=torch.ones(1, 2), data_action=torch.zeros(1, 2)
    )
    assert plain.item() == pytest.approx(0.2 * 0.3 - 1.0, rel=1e-6)
    assert with_actions.item() == pytest.approx(0.2 * 0.3 - 1.0, rel=1e-6)


def test_actor_loss_with_bc_needs_the_actions() -> None:
    with pytest.raises(ValueError, match="action"):
        actor_loss(torch.zeros(2), torch.zeros(2), torch.tensor(0.1), bc_alpha=1.0)

"""The critic's optional peaked start (``agent.critic_init_value_std``): hand-computed bias profile, values near 0."""

from __future__ import annotations

import math

import torch

from flashsac.agents.flashsac.networks import Critic


def test_default_head_bias_is_zero() -> None:
    critic = Critic(6, 8, 1, 11, -5.0, 5.0)
    assert torch.equal(critic.head_bias, torch.zeros(2, 1, 11))


def test_peaked_head_bias_is_the_gaussian_log_profile() -> None:
    critic = Critic(6, 8, 1, 11, -5.0, 5.0, init_value_std=2.0)
    # support -5, -4, ..., 5; bias_j = -z_j^2 / (2 * 2^2) = -z_j^2 / 8
    expected = torch.tensor([-25 / 8, -16 / 8, -9 / 8, -4 / 8, -1 / 8, 0.0, -1 / 8, -4 / 8, -9 / 8, -16 / 8, -25 / 8])
    for member in range(2):
        torch.testing.assert_close(critic.head_bias[member, 0], expected)


def test_peaked_start_gives_values_near_zero_for_every_action() -> None:
    torch.manual_seed(0)
    obs = torch.randn(1, 5).expand(64, 5)
    actions = torch.linspace(-1, 1, 64)[:, None]
    spreads = {}
    for width in (None, 0.2):
        torch.manual_seed(1)
        critic = Critic(6, 64, 1, 101, -5.0, 5.0, init_value_std=width)
        values = critic.expected_value(critic(obs, actions))
        spreads[width] = (values.max() - values.min()).item()
        assert values.abs().max().item() < (5.0 if width is None else 0.5)
    # A zero bias spreads the mass over [-5, 5]: values differ across actions by far more than with the peak.
    assert spreads[0.2] < 0.5 * spreads[None]


def test_peaked_bias_is_a_free_parameter_that_learns() -> None:
    critic = Critic(6, 8, 1, 11, -5.0, 5.0, init_value_std=1.0)
    logits = critic(torch.randn(16, 5), torch.rand(16, 1) * 2 - 1)
    target = torch.zeros(2, 16, 11)
    target[..., 8] = 1.0  # all mass at z = 3
    loss = -(target * torch.log_softmax(logits, -1)).sum(-1).mean()
    loss.backward()
    assert critic.head_bias.grad is not None
    # Cross-entropy pushes the bias of the target bin up (negative gradient) and the peak at 0 down.
    assert critic.head_bias.grad[0, 0, 8] < 0 < critic.head_bias.grad[0, 0, 5]
    assert math.isfinite(loss.item())

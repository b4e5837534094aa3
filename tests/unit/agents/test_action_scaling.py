"""Per-dimension asymmetric action bounds (docs/algorithm.md section 0, 2.2): tanh units <-> environment units."""

from __future__ import annotations

import torch

from flashsac.agents.flashsac.agent import FlashSACAgent
from flashsac.agents.flashsac.networks import ActionScaler
from flashsac.agents.random import RandomPolicy
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec

LOW = torch.tensor([-0.3, -2.0, 0.1])
HIGH = torch.tensor([1.2, 0.5, 0.4])


def _spec(num_envs: int = 4) -> EnvSpec:
    return EnvSpec(
        task="unit",
        num_envs=num_envs,
        obs_dim=5,
        action_dim=3,
        action_low=LOW.clone(),
        action_high=HIGH.clone(),
        max_episode_steps=None,
    )


def _agent() -> FlashSACAgent:
    cfg = AgentConfig(actor_hidden_dim=16, actor_num_blocks=1, critic_hidden_dim=16, critic_num_blocks=1)
    torch.manual_seed(0)
    return FlashSACAgent(_spec(), cfg, torch.device("cpu"), total_updates=10, seed=0)


def test_action_scaler_endpoints_and_midpoint_within_float_rounding() -> None:
    scaler = ActionScaler(LOW, HIGH)
    torch.testing.assert_close(scaler.to_env(-torch.ones(3)), LOW, rtol=0, atol=1e-7)
    torch.testing.assert_close(scaler.to_env(torch.ones(3)), HIGH, rtol=0, atol=1e-7)
    torch.testing.assert_close(scaler.to_env(torch.zeros(3)), torch.tensor([0.45, -0.75, 0.25]), rtol=0, atol=1e-7)
    # Half-way to each edge, by hand: mid + 0.5 * half-range with half-ranges (0.75, 1.25, 0.15).
    torch.testing.assert_close(
        scaler.to_env(torch.full((3,), 0.5)), torch.tensor([0.825, -0.125, 0.325]), rtol=0, atol=1e-7
    )


def test_action_scaler_maps_unit_edges_exactly_onto_asymmetric_bounds() -> None:
    scaler = ActionScaler(LOW, HIGH)
    assert torch.equal(scaler.to_env(torch.ones(3)), HIGH)
    assert torch.equal(scaler.to_env(-torch.ones(3)), LOW)


def test_to_unit_inverts_to_env() -> None:
    scaler = ActionScaler(LOW, HIGH)
    y = torch.rand(100, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    torch.testing.assert_close(scaler.to_unit(scaler.to_env(y)), y, rtol=0, atol=1e-6)
    torch.testing.assert_close(scaler.to_unit(LOW), -torch.ones(3), rtol=0, atol=1e-6)
    torch.testing.assert_close(scaler.to_unit(HIGH), torch.ones(3), rtol=0, atol=1e-6)


def test_agent_actions_lie_within_the_bounds() -> None:
    agent = _agent()
    obs = 3.0 * torch.randn(4, 5)
    for deterministic in (True, False):
        for _ in range(5):
            action = agent.act(obs, deterministic=deterministic)
            assert action.shape == (4, 3)
            assert (action >= LOW).all() and (action <= HIGH).all()
    # With mean ~ 0 the deterministic action is the per-dimension midpoint, not 0.
    torch.testing.assert_close(agent.act(obs, deterministic=True), ((LOW + HIGH) / 2).expand(4, 3), rtol=0, atol=1e-2)


def test_saturated_agent_actions_stay_within_the_bounds() -> None:
    agent = _agent()
    with torch.no_grad():
        agent.actor.head.bias[:3] = torch.tensor([-100.0, -100.0, -100.0])
    action = agent.act(torch.randn(4, 5), deterministic=True)
    assert (action >= LOW).all() and (action <= HIGH).all()


def test_saturated_agent_actions_reach_the_bounds_within_rounding() -> None:
    agent = _agent()
    with torch.no_grad():
        agent.actor.head.bias[:3] = torch.tensor([100.0, -100.0, 100.0])
    action = agent.act(torch.randn(4, 5), deterministic=True)
    expected = torch.stack((HIGH[0], LOW[1], HIGH[2])).expand(4, 3)
    torch.testing.assert_close(action, expected, rtol=0, atol=1e-7)


def test_random_policy_samples_inside_the_bounds_and_covers_them() -> None:
    policy = RandomPolicy(_spec(num_envs=500), seed=0)
    actions = torch.cat([policy.act() for _ in range(4)])
    assert actions.shape == (2000, 3)
    assert (actions >= LOW).all() and (actions <= HIGH).all()
    # Uniform on [low, high]: mean at the midpoint, and both ends are approached.
    torch.testing.assert_close(actions.mean(0), (LOW + HIGH) / 2, rtol=0, atol=0.05)
    span = HIGH - LOW
    assert (actions.min(0).values < LOW + 0.02 * span).all()
    assert (actions.max(0).values > HIGH - 0.02 * span).all()


def test_random_policy_is_reproducible_from_its_seed() -> None:
    a, b, c = RandomPolicy(_spec(), seed=1), RandomPolicy(_spec(), seed=1), RandomPolicy(_spec(), seed=2)
    assert torch.equal(a.act(), b.act())
    assert not torch.equal(a.act(), c.act())

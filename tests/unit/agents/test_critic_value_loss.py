"""``agent.critic_loss=value_mse``: the squared error of expected values, by hand, and its place in the update."""

from __future__ import annotations

import pytest
import torch

from flashsac.agents.flashsac.agent import FlashSACAgent
from flashsac.agents.flashsac.losses import critic_loss, critic_value_loss
from flashsac.buffers.batch import Batch
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec


def test_value_loss_by_hand() -> None:
    support = torch.tensor([-1.0, 0.0, 1.0])
    # Target means: row 0 -> 0.5*0 + 0.5*1 = 0.5; row 1 -> 1*(-1) = -1.
    target = torch.tensor([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    values = torch.tensor([[0.5, 0.0], [1.5, -1.0]])  # (2 members, 2 samples)
    # Errors: member 0: 0, 1; member 1: 1, 0 -> mean of squares 2/4.
    assert critic_value_loss(values, target, support).item() == pytest.approx(0.5)


def test_value_loss_gradient_is_twice_the_error_over_the_count() -> None:
    support = torch.tensor([0.0, 1.0])
    target = torch.tensor([[0.25, 0.75]])  # mean 0.75
    values = torch.tensor([[0.5], [1.0]], requires_grad=True)
    critic_value_loss(values, target, support).backward()
    # d/dv mean((v - 0.75)^2) over 2 entries = (v - 0.75)
    assert values.grad is not None
    torch.testing.assert_close(values.grad, torch.tensor([[-0.25], [0.25]]))


def test_value_loss_ignores_the_shape_the_cross_entropy_sees() -> None:
    """Two predictions with the target's mean but different spreads: zero value loss, different cross-entropy."""
    support = torch.tensor([-1.0, 0.0, 1.0])
    target = torch.tensor([[0.0, 1.0, 0.0]])
    sharp = torch.tensor([[0.0, 1.0, 0.0]]) + 1e-6
    wide = torch.tensor([[0.5, 0.0, 0.5]]) + 1e-6
    for probs in (sharp, wide):
        value = (probs / probs.sum(-1, keepdim=True) * support).sum(-1, keepdim=True).T
        assert critic_value_loss(value.expand(2, 1), target, support).item() == pytest.approx(0.0, abs=1e-9)
    assert critic_loss(wide.log().unsqueeze(0), target) > critic_loss(sharp.log().unsqueeze(0), target)


def _agent(loss: str) -> FlashSACAgent:
    spec = EnvSpec(
        task="unit",
        num_envs=2,
        obs_dim=3,
        action_dim=1,
        action_low=torch.full((1,), -1.0),
        action_high=torch.ones(1),
        max_episode_steps=None,
    )
    cfg = AgentConfig(
        actor_hidden_dim=8,
        actor_num_blocks=1,
        critic_hidden_dim=8,
        critic_num_blocks=1,
        critic_num_bins=11,
        critic_loss=loss,
        actor_update_period=1,
    )
    torch.manual_seed(0)
    return FlashSACAgent(spec, cfg, torch.device("cpu"), total_updates=10, seed=0)


def _batch() -> Batch:
    g = torch.Generator().manual_seed(0)
    n = 16
    return Batch(
        obs=torch.randn(n, 3, generator=g),
        action=torch.rand(n, 1, generator=g) * 2 - 1,
        reward=torch.rand(n, generator=g),
        bootstrap_obs=torch.randn(n, 3, generator=g),
        terminated=torch.zeros(n),
        bootstrap_discount=torch.full((n,), 0.99),
    )


@pytest.mark.parametrize("loss", ["cross_entropy", "value_mse"])
def test_the_update_uses_the_configured_critic_loss(loss: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's critic step calls exactly the configured loss, and logs what it returned."""
    from flashsac.agents.flashsac import losses

    calls: list[tuple[str, float]] = []
    for name in ("critic_loss", "critic_value_loss"):
        original = getattr(losses, name)

        def spy(*args: torch.Tensor, _name: str = name, _original=original) -> torch.Tensor:
            out = _original(*args)
            calls.append((_name, out.item()))
            return out

        monkeypatch.setattr(losses, name, spy)
    agent = _agent(loss)
    logged = agent.update(_batch())["critic/loss"].item()
    expected_name = "critic_value_loss" if loss == "value_mse" else "critic_loss"
    assert [name for name, _ in calls] == [expected_name]
    assert logged == pytest.approx(calls[0][1])

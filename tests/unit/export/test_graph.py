"""The deployable graph: batch norm folded exactly, tanh and the per-dimension affine inside, batch-independent."""

from __future__ import annotations

import pytest
import torch

from flashsac.agents.flashsac.networks import ActionScaler, Actor
from flashsac.export.graph import build_deploy_policy, non_finite_entries
from flashsac.nn.layers import UnitBatchNorm

LOW = torch.tensor([-0.3, -2.0, 0.1])
HIGH = torch.tensor([1.2, 0.5, 0.4])
OBS_DIM = 6


def _actor(seed: int = 0) -> Actor:
    """An actor with non-trivial batch-norm statistics and affine, as after training."""
    torch.manual_seed(seed)
    actor = Actor(OBS_DIM, 3, hidden_dim=16, num_blocks=2, log_std_min=-5.0, log_std_max=0.0, init_std=0.1)
    with torch.no_grad():
        for layer in actor.modules():
            if isinstance(layer, UnitBatchNorm):
                layer.running_mean.normal_(0.0, 2.0)
                layer.running_var.uniform_(0.05, 20.0)
                layer.weight.normal_(1.0, 0.3)
                layer.bias.normal_(0.0, 0.3)
        actor.head.weight.normal_(0.0, 0.5)  # actions spread over the box, not all near its centre
    return actor.eval()


def _reference(actor: Actor, scaler: ActionScaler, obs: torch.Tensor) -> torch.Tensor:
    """What FlashSACAgent.act(deterministic=True) computes."""
    mean, _ = actor(obs)
    return scaler.to_env(torch.tanh(mean))


def test_folded_policy_equals_the_eval_mode_actor() -> None:
    actor, scaler = _actor(), ActionScaler(LOW, HIGH)
    policy = build_deploy_policy(actor, scaler)
    obs = torch.randn(512, OBS_DIM) * 3
    with torch.no_grad():
        diff = (policy(obs) - _reference(actor, scaler, obs)).abs()
    assert float((diff / (HIGH - LOW)).max()) < 1e-6
    assert not any(isinstance(m, UnitBatchNorm) for m in policy.modules())  # folded, not carried along


def test_saturated_actions_land_exactly_on_the_bounds() -> None:
    actor, scaler = _actor(), ActionScaler(LOW, HIGH)
    policy = build_deploy_policy(actor, scaler)
    with torch.no_grad():
        policy.head.bias.copy_(torch.tensor([1e4, -1e4, 1e4]))
        action = policy(torch.randn(8, OBS_DIM))
    assert torch.equal(action, torch.stack((HIGH[0], LOW[1], HIGH[2])).expand(8, 3))


def test_each_row_is_independent_of_the_batch() -> None:
    policy = build_deploy_policy(_actor(), ActionScaler(LOW, HIGH))
    obs = torch.randn(33, OBS_DIM)
    with torch.no_grad():
        together = policy(obs)
        alone = torch.cat([policy(row[None]) for row in obs])
    torch.testing.assert_close(together, alone, rtol=0, atol=1e-6)


def test_non_finite_parameters_are_named() -> None:
    actor, scaler = _actor(), ActionScaler(LOW, HIGH)
    with torch.no_grad():
        actor.trunk.blocks[0].norm_up.running_var[3] = float("inf")  # pyright: ignore[reportIndexIssue]
        actor.head.weight[0, 0] = float("nan")
    assert non_finite_entries(actor, scaler) == ["head.weight", "trunk.blocks.0.norm_up.running_var"]
    with pytest.raises(ValueError, match="non-finite values in head.weight"):
        build_deploy_policy(actor, scaler)

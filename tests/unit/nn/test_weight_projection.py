"""Norm constraints of docs/algorithm.md 2.7: what is projected, to what, and what is left free (and the target EMA)."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from flashsac.agents.flashsac.agent import FlashSACAgent
from flashsac.agents.flashsac.networks import Actor, Critic, Temperature
from flashsac.buffers.batch import Batch
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec
from flashsac.nn.layers import Trunk, UnitBatchNorm, UnitLinear, UnitRMSNorm, project_weights_

OBS_DIM, ACTION_DIM, BATCH = 4, 2, 8


def _assert_constraints(module: nn.Module) -> int:
    """Check every constrained layer by recomputing the norms by hand; returns how many layers were checked."""
    checked = 0
    for layer in module.modules():
        if isinstance(layer, UnitLinear):
            rows = layer.weight.detach().reshape(-1, layer.weight.shape[-1])
            norms = rows.square().sum(-1).sqrt()
            torch.testing.assert_close(norms, torch.ones_like(norms), rtol=0, atol=1e-5)
        elif isinstance(layer, UnitBatchNorm):
            d = layer.weight.shape[-1]
            joint = torch.cat((layer.weight.detach(), layer.bias.detach()), dim=-1).reshape(-1, 2 * d)
            norms = joint.square().sum(-1).sqrt()
            torch.testing.assert_close(norms, torch.full_like(norms, math.sqrt(d)), rtol=1e-5, atol=0)
        elif isinstance(layer, UnitRMSNorm):
            d = layer.weight.shape[-1]
            norms = layer.weight.detach().reshape(-1, d).square().sum(-1).sqrt()
            torch.testing.assert_close(norms, torch.full_like(norms, math.sqrt(d)), rtol=1e-5, atol=0)
        else:
            continue
        checked += 1
    return checked


def _perturb_(module: nn.Module, seed: int = 0) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(0.5 + 3.0 * torch.rand(p.shape, generator=gen)).add_(0.3 * torch.randn(p.shape, generator=gen))


# ------------------------------------------------------------------ single layers, hand numbers


def test_unit_linear_rows_are_rescaled_to_unit_norm_keeping_direction() -> None:
    layer = UnitLinear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[3.0, 4.0], [0.0, -2.0]]))
    layer.project_()
    expected = torch.tensor([[0.6, 0.8], [0.0, -1.0]])
    torch.testing.assert_close(layer.weight.detach(), expected, rtol=0, atol=1e-7)


def test_ensemble_unit_linear_rows_are_rescaled_per_member() -> None:
    layer = UnitLinear(2, 1, ensemble_size=2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[[3.0, 4.0]], [[5.0, 12.0]]]))
    layer.project_()
    expected = torch.tensor([[[0.6, 0.8]], [[5 / 13, 12 / 13]]])
    torch.testing.assert_close(layer.weight.detach(), expected, rtol=0, atol=1e-7)


def test_unit_linear_is_unit_norm_after_init() -> None:
    for layer in (UnitLinear(7, 5), UnitLinear(3, 9), UnitLinear(5, 6, ensemble_size=2)):
        assert _assert_constraints(layer) == 1


def test_batchnorm_scale_and_shift_are_rescaled_jointly() -> None:
    bn = UnitBatchNorm(2)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([3.0, 0.0]))
        bn.bias.copy_(torch.tensor([0.0, 4.0]))
    bn.project_()
    # joint norm 5 -> factor sqrt(2) / 5 on both vectors (not each to its own norm).
    factor = math.sqrt(2) / 5
    torch.testing.assert_close(bn.weight.detach(), torch.tensor([3 * factor, 0.0]), rtol=0, atol=1e-7)
    torch.testing.assert_close(bn.bias.detach(), torch.tensor([0.0, 4 * factor]), rtol=0, atol=1e-7)


def test_ensemble_batchnorm_is_rescaled_per_member() -> None:
    bn = UnitBatchNorm(2, ensemble_size=2)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([[[3.0, 0.0]], [[1.0, 1.0]]]))
        bn.bias.copy_(torch.tensor([[[0.0, 4.0]], [[0.0, 0.0]]]))
    bn.project_()
    f0, f1 = math.sqrt(2) / 5, 1.0  # member 1 already has joint norm sqrt(2)
    torch.testing.assert_close(bn.weight.detach(), torch.tensor([[[3 * f0, 0.0]], [[f1, f1]]]), rtol=0, atol=1e-7)
    torch.testing.assert_close(bn.bias.detach(), torch.tensor([[[0.0, 4 * f0]], [[0.0, 0.0]]]), rtol=0, atol=1e-7)


def test_rmsnorm_gain_is_rescaled_to_sqrt_d() -> None:
    rms = UnitRMSNorm(4)
    with torch.no_grad():
        rms.weight.copy_(torch.tensor([3.0, 4.0, 0.0, 0.0]))
    rms.project_()
    torch.testing.assert_close(rms.weight.detach(), torch.tensor([1.2, 1.6, 0.0, 0.0]), rtol=0, atol=1e-7)


def test_ensemble_rmsnorm_gain_is_rescaled_per_member() -> None:
    rms = UnitRMSNorm(4, ensemble_size=2)
    with torch.no_grad():
        rms.weight.copy_(torch.tensor([[[3.0, 4.0, 0.0, 0.0]], [[2.0, 0.0, 0.0, 0.0]]]))
    rms.project_()
    expected = torch.tensor([[[1.2, 1.6, 0.0, 0.0]], [[2.0, 0.0, 0.0, 0.0]]])
    torch.testing.assert_close(rms.weight.detach(), expected, rtol=0, atol=1e-7)


# ------------------------------------------------------------------ whole networks


@pytest.mark.parametrize("ensemble_size", [0, 2])
def test_project_weights_restores_every_constraint_in_a_trunk(ensemble_size: int) -> None:
    trunk = Trunk(5, 8, num_blocks=2, ensemble_size=ensemble_size)
    _perturb_(trunk)
    project_weights_(trunk)
    # embed: BN + linear; per block: 2 linear + 2 BN; final RMS -> 2 + 8 + 1 = 11 layers.
    assert _assert_constraints(trunk) == 11


def test_projection_is_idempotent() -> None:
    critic = Critic(6, 8, 1, 11, -5.0, 5.0)
    _perturb_(critic)
    project_weights_(critic)
    once = copy.deepcopy(critic.state_dict())
    project_weights_(critic)
    for name, value in critic.state_dict().items():
        torch.testing.assert_close(value, once[name], rtol=1e-6, atol=1e-7, msg=name)


def test_free_parameters_are_not_projected() -> None:
    actor = Actor(OBS_DIM, ACTION_DIM, 8, 1, -5.0, 0.0, 0.08)
    critic = Critic(OBS_DIM + ACTION_DIM, 8, 1, 11, -5.0, 5.0)
    temperature = Temperature(0.01)
    with torch.no_grad():
        actor.head.weight.mul_(7.0).add_(0.5)
        actor.head.bias.add_(3.0)
        critic.head_bias.add_(torch.linspace(-4.0, 4.0, 11))
        temperature.log_alpha.fill_(2.0)
        critic.head.weight.mul_(5.0)  # a UnitLinear: this one *is* projected
    free = {
        "actor.head.weight": actor.head.weight.detach().clone(),
        "actor.head.bias": actor.head.bias.detach().clone(),
        "critic.head_bias": critic.head_bias.detach().clone(),
    }
    for module in (actor, critic, temperature):
        project_weights_(module)
    torch.testing.assert_close(actor.head.weight.detach(), free["actor.head.weight"], rtol=0, atol=0)
    torch.testing.assert_close(actor.head.bias.detach(), free["actor.head.bias"], rtol=0, atol=0)
    torch.testing.assert_close(critic.head_bias.detach(), free["critic.head_bias"], rtol=0, atol=0)
    assert temperature.log_alpha.item() == 2.0
    row_norms = critic.head.weight.detach().norm(dim=-1)
    torch.testing.assert_close(row_norms, torch.ones_like(row_norms), rtol=0, atol=1e-5)


# ------------------------------------------------------------------ after an agent update


def _agent(tau: float, lr: float) -> FlashSACAgent:
    spec = EnvSpec(
        task="unit",
        num_envs=2,
        obs_dim=OBS_DIM,
        action_dim=ACTION_DIM,
        action_low=torch.tensor([-1.0, -2.0]),
        action_high=torch.tensor([1.0, 0.5]),
        max_episode_steps=None,
    )
    cfg = AgentConfig(
        actor_hidden_dim=16,
        actor_num_blocks=1,
        critic_hidden_dim=16,
        critic_num_blocks=1,
        critic_num_bins=21,
        tau=tau,
        lr_init=lr,
        lr_peak=lr,
        lr_end=lr,
    )
    torch.manual_seed(0)
    return FlashSACAgent(spec, cfg, torch.device("cpu"), total_updates=10, seed=0)


def _batch(seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    return Batch(
        obs=torch.randn(BATCH, OBS_DIM, generator=gen),
        action=torch.rand(BATCH, ACTION_DIM, generator=gen) * torch.tensor([2.0, 2.5]) - torch.tensor([1.0, 2.0]),
        reward=torch.randn(BATCH, generator=gen),
        bootstrap_obs=torch.randn(BATCH, OBS_DIM, generator=gen),
        terminated=torch.zeros(BATCH),
        bootstrap_discount=torch.full((BATCH,), 0.99),
    )


def test_online_networks_satisfy_the_constraints_after_an_update() -> None:
    agent = _agent(tau=0.01, lr=0.05)  # a large step pushes every parameter well off the constraint
    actor_before = copy.deepcopy(agent.actor.state_dict())
    agent.update(_batch())  # update_steps 0: actor and critic both step
    assert not torch.equal(agent.actor.trunk.embed.linear.weight, actor_before["trunk.embed.linear.weight"])
    assert _assert_constraints(agent.actor) == 7  # embed BN+linear, block 2+2, RMS
    assert _assert_constraints(agent.critic) == 8  # + critic head
    agent.update(_batch(1))  # update_steps 1: critic only
    assert _assert_constraints(agent.critic) == 8


@pytest.mark.parametrize(("tau", "lr"), [(0.01, 3e-4), (0.3, 0.05)])
def test_target_critic_is_the_ema_of_the_projected_online_critic(tau: float, lr: float) -> None:
    agent = _agent(tau=tau, lr=lr)
    old_target = {n: p.detach().clone() for n, p in agent.target_critic.named_parameters()}
    old_online = {n: p.detach().clone() for n, p in agent.critic.named_parameters()}
    for name in old_target:  # the target starts as an exact copy
        torch.testing.assert_close(old_target[name], old_online[name], rtol=0, atol=0)
    agent.update(_batch())
    new_online = dict(agent.critic.named_parameters())
    new_target = dict(agent.target_critic.named_parameters())
    assert set(new_target) == set(new_online) and len(new_target) > 0
    moved = 0
    for name, target in new_target.items():
        expected = (1.0 - tau) * old_target[name] + tau * new_online[name].detach()
        torch.testing.assert_close(target.detach(), expected, rtol=1e-6, atol=1e-7, msg=name)
        moved += int(not torch.equal(target.detach(), old_target[name]))
    assert moved > 0
    assert all(not p.requires_grad for p in agent.target_critic.parameters())


def test_target_critic_is_not_reprojected_after_the_ema() -> None:
    # With a large step and tau = 0.3 the EMA of two unit rows is visibly shorter than 1 (||.|| < 1 by the
    # triangle inequality); a target that were re-projected would have unit rows again.
    agent = _agent(tau=0.3, lr=0.05)
    agent.update(_batch())
    norms = agent.target_critic.trunk.embed.linear.weight.detach().norm(dim=-1)
    assert (norms < 1.0 - 1e-4).any()


def test_ema_does_not_touch_target_buffers() -> None:
    # Running statistics are buffers: the EMA applies to parameters only. Give the online critic's input BN a
    # distinctive running variance; the target's must then follow only its own train-mode forward on
    # concat(obs, bootstrap_obs): running <- 0.99 running + 0.01 batch stat (unbiased variance), docs/algorithm.md 2.1.
    agent = _agent(tau=0.3, lr=0.05)
    online_bn, target_bn = agent.critic.trunk.embed.norm, agent.target_critic.trunk.embed.norm
    with torch.no_grad():
        online_bn.running_var.fill_(100.0)
    batch = _batch()
    agent.update(batch)
    joint_obs = torch.cat((batch.obs, batch.bootstrap_obs))  # the observation columns of the joint critic input
    mean = joint_obs.mean(0)
    var = joint_obs.var(0, unbiased=True)
    for member in range(2):
        torch.testing.assert_close(target_bn.running_mean[member, 0, :OBS_DIM], 0.01 * mean, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(target_bn.running_var[member, 0, :OBS_DIM], 0.99 + 0.01 * var, rtol=1e-5, atol=0)
        torch.testing.assert_close(online_bn.running_var[member, 0, :OBS_DIM], 99.0 + 0.01 * var, rtol=1e-5, atol=0)

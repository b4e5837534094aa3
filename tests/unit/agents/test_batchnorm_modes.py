"""Which batch-norm statistics each forward pass of one update uses (docs/algorithm.md 2.6, "cross-batch")."""

from __future__ import annotations

import pytest
import torch

from flashsac.agents.flashsac.agent import FlashSACAgent
from flashsac.buffers.batch import Batch
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec
from flashsac.nn.layers import UnitBatchNorm

OBS_DIM, ACTION_DIM, B = 3, 2, 6


def _agent(**overrides: object) -> FlashSACAgent:
    spec = EnvSpec(
        task="unit",
        num_envs=2,
        obs_dim=OBS_DIM,
        action_dim=ACTION_DIM,
        action_low=-torch.ones(ACTION_DIM),
        action_high=torch.ones(ACTION_DIM),
        max_episode_steps=None,
    )
    cfg = AgentConfig(actor_hidden_dim=16, actor_num_blocks=1, critic_hidden_dim=16, critic_num_blocks=1, **overrides)  # type: ignore[arg-type]
    torch.manual_seed(0)
    return FlashSACAgent(spec, cfg, torch.device("cpu"), total_updates=10, seed=0)


def _batch(seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    return Batch(
        obs=torch.randn(B, OBS_DIM, generator=gen),
        action=torch.rand(B, ACTION_DIM, generator=gen) * 2 - 1,
        reward=torch.randn(B, generator=gen),
        bootstrap_obs=torch.randn(B, OBS_DIM, generator=gen) + 2.0,  # s' differs from s in distribution
        terminated=torch.zeros(B),
        bootstrap_discount=torch.full((B,), 0.99),
    )


class _Recorder:
    """Forward pre-hooks on the input BN of the actor, online critic and target critic."""

    def __init__(self, agent: FlashSACAgent) -> None:
        self.calls: list[tuple[str, bool, int]] = []
        self.handles = []
        for name, net in (("actor", agent.actor), ("critic", agent.critic), ("target", agent.target_critic)):
            bn = net.trunk.embed.norm
            assert isinstance(bn, UnitBatchNorm)
            self.handles.append(bn.register_forward_pre_hook(self._hook(name)))

    def _hook(self, name: str):
        def hook(module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            self.calls.append((name, module.training, args[0].shape[-2]))  # (..., rows, features)

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def test_update_with_actor_step_uses_the_documented_modes_and_batches() -> None:
    agent = _agent()
    assert agent.update_steps % agent.cfg.actor_update_period == 0
    recorder = _Recorder(agent)
    agent.update(_batch())
    assert recorder.calls == [
        ("actor", True, 2 * B),  # actor update: train mode on concat(s, s')
        ("critic", False, B),  # Q for the actor loss: online critic, running stats, (s, a_pi)
        ("actor", False, B),  # next action for the target: eval mode on s'
        ("target", True, 2 * B),  # target critic: train mode on the joint batch
        ("critic", True, 2 * B),  # online critic prediction: train mode on the same joint batch
    ]


def test_update_without_actor_step_has_no_actor_train_pass() -> None:
    agent = _agent()
    agent.update(_batch(0))
    recorder = _Recorder(agent)
    agent.update(_batch(1))  # update_steps == 1: odd, critic only
    assert recorder.calls == [("actor", False, B), ("target", True, 2 * B), ("critic", True, 2 * B)]
    recorder.calls.clear()
    agent.update(_batch(2))  # even again
    assert recorder.calls[0] == ("actor", True, 2 * B)


@pytest.mark.parametrize("period", [1, 3])
def test_actor_update_period_is_honoured(period: int) -> None:
    agent = _agent(actor_update_period=period)
    recorder = _Recorder(agent)
    steps_with_actor_train = []
    for step in range(6):
        recorder.calls.clear()
        agent.update(_batch(step))
        if ("actor", True, 2 * B) in recorder.calls:
            steps_with_actor_train.append(step)
    assert steps_with_actor_train == [s for s in range(6) if s % period == 0]


def test_joint_batch_is_observations_then_next_observations() -> None:
    # The actor's train-mode input is concat(s, s') in that order (only the first B rows enter the loss),
    # and the critics' joint input is concat((s, a), (s', a')).
    agent = _agent()
    batch = _batch()
    seen: dict[str, torch.Tensor] = {}

    def grab(name: str):
        def hook(module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            if module.training:
                seen.setdefault(name, args[0].detach().clone())

        return hook

    agent.actor.trunk.embed.norm.register_forward_pre_hook(grab("actor"))
    agent.critic.trunk.embed.norm.register_forward_pre_hook(grab("critic"))
    agent.update(batch)
    torch.testing.assert_close(seen["actor"], torch.cat((batch.obs, batch.bootstrap_obs)))
    critic_in = seen["critic"][0]  # member 0 of the broadcast (E, 2B, d) input
    torch.testing.assert_close(critic_in[:B, :OBS_DIM], batch.obs)
    torch.testing.assert_close(critic_in[B:, :OBS_DIM], batch.bootstrap_obs)
    torch.testing.assert_close(critic_in[:B, OBS_DIM:], batch.action)  # bounds [-1, 1]: unit == env units


def test_act_uses_eval_mode_and_leaves_actor_running_stats_alone() -> None:
    agent = _agent()
    agent.update(_batch())  # non-trivial running statistics
    agent.actor.train()  # act() must switch to eval by itself
    buffers = {k: v.clone() for k, v in agent.actor.state_dict().items() if "running" in k}
    assert buffers
    recorder = _Recorder(agent)
    obs = 5.0 * torch.randn(2, OBS_DIM) + 3.0
    agent.act(obs)
    agent.act(obs, deterministic=True)
    assert recorder.calls == [("actor", False, 2), ("actor", False, 2)]
    for name, value in agent.actor.state_dict().items():
        if name in buffers:
            assert torch.equal(value, buffers[name]), name


def test_online_critic_running_stats_change_during_an_update() -> None:
    agent = _agent()
    bn = agent.critic.trunk.embed.norm
    mean_before, var_before = bn.running_mean.clone(), bn.running_var.clone()
    actor_bn = agent.actor.trunk.embed.norm
    actor_mean_before = actor_bn.running_mean.clone()
    agent.update(_batch())
    assert not torch.equal(bn.running_mean, mean_before)
    assert not torch.equal(bn.running_var, var_before)
    assert not torch.equal(actor_bn.running_mean, actor_mean_before)  # the actor's train pass updates it
    # Exactly one train-mode pass per update: running_mean of the obs columns = 0.01 * mean(concat(s, s')).
    batch = _batch()
    expected = 0.01 * torch.cat((batch.obs, batch.bootstrap_obs)).mean(0)
    torch.testing.assert_close(bn.running_mean[0, 0, :OBS_DIM], expected, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(actor_bn.running_mean, expected, rtol=1e-5, atol=1e-7)

"""Any rsl_rl VecEnv lifted into the env contract, checked against rsl_rl's own VecEnv base class."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch

pytest.importorskip("rsl_rl")
from rsl_rl.env import VecEnv as RslRlVecEnv  # noqa: E402
from tensordict import TensorDict  # noqa: E402

from conformance import run_suite  # noqa: E402
from flashsac.envs import torch_tasks  # noqa: E402
from flashsac.envs.protocol import EnvRequest
from flashsac.integrations.rsl_rl.torch_task_env import TorchTaskVecEnv  # noqa: E402
from flashsac.integrations.rsl_rl.vec_env import (  # noqa: E402
    RslRlVecEnvAdapter,
    lift_vec_env,
    random_episode_lengths,
    resolve_obs_groups,
)

POLICY = {"actor": ["policy"]}


def _lift(num_envs: int = 3, steps: int | None = None, final_obs: bool = True, task: str = "pendulum-swingup") -> Any:
    env = TorchTaskVecEnv(task, num_envs, seed=0, max_episode_steps=steps, final_obs=final_obs)
    return lift_vec_env(env, POLICY, task)


def test_the_torch_task_env_is_an_rsl_rl_vec_env() -> None:
    env = TorchTaskVecEnv("pendulum-swingup", 2)
    assert isinstance(env, RslRlVecEnv)
    obs = env.get_observations()
    assert isinstance(obs, TensorDict) and tuple(obs["policy"].shape) == (2, 3)


def test_the_lifted_torch_task_passes_the_conformance_suite() -> None:
    run_suite(lambda steps: _lift(steps=steps))


def test_the_lifted_env_steps_exactly_as_the_task_itself() -> None:
    lifted = _lift(num_envs=4, steps=7)
    task = torch_tasks.make(EnvRequest("pendulum-swingup", 4, 0, torch.device("cpu"), 7))
    assert isinstance(lifted, RslRlVecEnvAdapter)
    spec = lifted.spec
    assert (spec.obs_dim, spec.action_dim, spec.max_episode_steps, spec.critic_obs_dim) == (3, 1, 7, None)
    assert spec.exact_final_obs and spec.shares_instance
    assert torch.equal(spec.action_low, task.spec.action_low) and torch.equal(spec.action_high, task.spec.action_high)
    assert torch.equal(lifted.reset(5)[0], task.reset(5)[0])
    gen = torch.Generator().manual_seed(1)
    truncations = 0
    for _ in range(10):
        action = torch.rand(4, 1, generator=gen) * 4 - 2
        ours, theirs = lifted.step(action), task.step(action)
        for name in ("obs", "reward", "terminated", "truncated", "final_obs"):
            assert torch.equal(getattr(ours, name), getattr(theirs, name)), name
        truncations += int(ours.truncated.sum())
    assert truncations == 4  # the 7-step limit was crossed, where final_obs differs from obs


def test_without_a_final_observation_the_lifting_warns_and_bootstraps_from_the_post_reset_one() -> None:
    with pytest.warns(UserWarning, match="no final observation"):
        lifted = _lift(num_envs=2, steps=3, final_obs=False)
    assert not lifted.spec.exact_final_obs
    lifted.reset(0)
    for _ in range(3):
        step = lifted.step(torch.zeros(2, 1))
    assert bool(step.truncated.all())
    assert torch.equal(step.final_obs, step.obs)


class _GroupsEnv(RslRlVecEnv):
    """A scripted rsl_rl env: groups ``policy`` (2), ``extra`` (1), ``critic`` (4); ends and time-outs given."""

    def __init__(self, dones: list[list[int]], time_outs: list[list[bool]] | None, final: bool = False) -> None:
        self.num_envs, self.num_actions, self.max_episode_length = 2, 1, 10
        self.device, self.cfg = torch.device("cpu"), {"compute_final_obs": final}
        self.episode_length_buf = torch.zeros(2, dtype=torch.long)
        self._dones, self._time_outs, self._t = dones, time_outs, 0

    def _obs(self, offset: float) -> TensorDict:
        base = torch.arange(2.0)[:, None] + offset
        groups = {"policy": base.repeat(1, 2), "extra": base, "critic": base.repeat(1, 4)}
        return TensorDict(groups, batch_size=[2])

    def get_observations(self) -> TensorDict:
        return self._obs(100.0 * self._t)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        extras: dict[str, Any] = {"log": {"Episode_Reward/x": torch.tensor(float(self._t)), "Metrics/y": 2.0}}
        if self._time_outs is not None:
            extras["time_outs"] = torch.tensor(self._time_outs[self._t])
        if self.cfg["compute_final_obs"] and any(self._dones[self._t]):
            extras["final_obs"] = self._obs(-1.0)
        dones = torch.tensor(self._dones[self._t])
        self._t += 1
        return self.get_observations(), torch.ones(2), dones, extras

    def close(self) -> None:
        pass


def test_dones_and_time_outs_become_terminated_and_truncated_never_merged() -> None:
    env = _GroupsEnv(dones=[[1, 1], [0, 1]], time_outs=[[True, False], [False, True]], final=True)
    lifted = lift_vec_env(env, {"actor": ["policy", "extra"], "critic": ["critic"]}, "scripted")
    assert (lifted.spec.obs_dim, lifted.spec.critic_obs_dim) == (3, 4)
    step = lifted.step(torch.zeros(2, 1))
    assert step.truncated.tolist() == [True, False] and step.terminated.tolist() == [False, True]
    assert step.obs[:, 0].tolist() == [100.0, 101.0] and step.final_obs[:, 0].tolist() == [-1.0, 0.0]
    assert step.final_critic_obs is not None and step.final_critic_obs[:, 3].tolist() == [-1.0, 0.0]
    step = lifted.step(torch.zeros(2, 1))
    assert step.truncated.tolist() == [False, True] and step.terminated.tolist() == [False, False]
    assert lifted.log.drain() == {"Episode_Reward/x": 0.5, "Metrics/y": 2.0}
    assert lifted.log.drain() == {}


def test_an_env_without_time_outs_ends_every_episode_terminally() -> None:
    with pytest.warns(UserWarning):
        lifted = lift_vec_env(_GroupsEnv(dones=[[1, 0]], time_outs=None), None, "finite-horizon")
    step = lifted.step(torch.zeros(2, 1))
    assert step.terminated.tolist() == [True, False] and not bool(step.truncated.any())


def test_a_promised_final_observation_that_is_missing_is_an_error() -> None:
    env = _GroupsEnv(dones=[[1, 0]], time_outs=[[True, False]], final=True)
    env.cfg["compute_final_obs"] = True
    lifted = lift_vec_env(env, None, "liar")
    env.cfg["compute_final_obs"] = False  # the env now stops writing extras["final_obs"]
    with pytest.raises(RuntimeError, match="returned no extras\\['final_obs'\\]"):
        lifted.step(torch.zeros(2, 1))


def test_obs_groups_default_to_rsl_rls_and_unknown_groups_are_named() -> None:
    assert resolve_obs_groups(None, ["policy", "critic"]) == {"actor": ("policy",), "critic": ("critic",)}
    assert resolve_obs_groups(None, ["policy"]) == {"actor": ("policy",), "critic": ("policy",)}
    assert resolve_obs_groups({}, ["actor", "critic"]) == {"actor": ("actor",), "critic": ("critic",)}  # mjlab's
    with pytest.raises(ValueError, match=r"obs_groups.actor=\['actor'\] names \['actor'\]") as info:
        resolve_obs_groups({"actor": ["actor"]}, ["policy"])
    assert "\n" not in str(info.value)


def test_random_episode_lengths_are_seeded_in_range_and_leave_the_global_stream_alone() -> None:
    env = TorchTaskVecEnv("pendulum-swingup", 64, max_episode_steps=50)
    before = torch.get_rng_state()
    random_episode_lengths(env, seed=3)
    first = env.episode_length_buf.clone()
    random_episode_lengths(env, seed=3)
    assert torch.equal(first, env.episode_length_buf) and torch.equal(before, torch.get_rng_state())
    assert int(first.min()) >= 0 and int(first.max()) < 50 and len(set(first.tolist())) > 10
    lifted = lift_vec_env(env, POLICY, "pendulum-swingup")
    step = lifted.step(torch.zeros(64, 1))
    assert torch.equal(step.truncated, first == 49)  # the timers drawn are the ones the env counts from


def test_capabilities_pass_through_where_the_env_has_them() -> None:
    arm = _lift(num_envs=2, task="arm-reach")
    limits = arm.joint_limits()
    assert limits is not None and tuple(limits.q_min.shape) == (arm.spec.action_dim,)
    assert callable(arm.state_dict) and callable(arm.load_state_dict)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = lift_vec_env(_GroupsEnv(dones=[[0, 0]], time_outs=None), None, "plain")
    assert plain.joint_limits() is None and not hasattr(plain, "state_dict")

"""The run's action box applied to an env: joint-limit bounds end to end, infinite/huge boxes, final-obs ablation."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch

from conformance import FakeEnv, run_suite
from flashsac.agents.flashsac.agent import FlashSACAgent
from flashsac.config.schema import BOUNDS_MODES, AgentConfig, EnvConfig, RunConfig
from flashsac.config.validate import ConfigError, validate
from flashsac.envs import make_env_from_config
from flashsac.envs.bounded import BoundedEnv, BoundsError, PostResetFinalObs, apply_bounds
from flashsac.envs.protocol import DeployableEnv, EnvRequest, JointLimitedEnv, RenderableEnv, StatefulEnv
from flashsac.envs.registry import family

CPU = torch.device("cpu")


def _arm(env_cfg: EnvConfig, num_envs: int = 4):
    return make_env_from_config(dataclasses.replace(env_cfg, name="torch", task="arm-reach"), 0, CPU, num_envs=num_envs)


class _Unbounded(FakeEnv):
    """FakeEnv declaring IsaacLab's Box(-inf, inf)."""

    def __init__(self) -> None:
        super().__init__()
        inf = torch.full((2,), float("inf"))
        self._spec = dataclasses.replace(self._spec, action_low=-inf, action_high=inf)


def test_joint_limit_box_reaches_exactly_the_soft_limits_through_the_actor() -> None:
    env = _arm(EnvConfig(action_bounds="joint_limits"))
    limits = env.joint_limits()
    # Hand-computed: hard [-1, 2], [-2.2, 0.6], [-1.6, 1.6]; soft = centre +- 0.95 half-range;
    # q0 (0.3, -0.8, 0.2), s 0.5.
    soft_min = torch.tensor([0.5 - 0.95 * 1.5, -0.8 - 0.95 * 1.4, -0.95 * 1.6])
    soft_max = torch.tensor([0.5 + 0.95 * 1.5, -0.8 + 0.95 * 1.4, 0.95 * 1.6])
    torch.testing.assert_close(limits.q_min, soft_min)
    torch.testing.assert_close(limits.q_max, soft_max)
    torch.testing.assert_close(env.spec.action_low, (soft_min - limits.q0) / 0.5)
    torch.testing.assert_close(env.spec.action_high, (soft_max - limits.q0) / 0.5)
    assert not torch.allclose(env.spec.action_low, -env.spec.action_high), "the arm's joints are asymmetric"
    agent = FlashSACAgent(env.spec, AgentConfig(actor_hidden_dim=8, critic_hidden_dim=8, critic_num_bins=5), CPU, 1)
    ends = agent.action_scaler.to_env(torch.tensor([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]))
    targets = limits.q0 + limits.scale * ends
    torch.testing.assert_close(targets[0], soft_min)
    torch.testing.assert_close(targets[1], soft_max)


def test_kept_box_keeps_the_adapters_object() -> None:
    env = FakeEnv()
    assert apply_bounds(env, EnvConfig()) is env


def test_scalar_and_symmetric_boxes() -> None:
    env = apply_bounds(FakeEnv(), EnvConfig(action_bounds="scalar", action_bound=0.3))
    assert isinstance(env, BoundedEnv)
    assert env.spec.action_low.tolist() == pytest.approx([-0.3, -0.3])
    sym = apply_bounds(FakeEnv(), EnvConfig(action_bounds="symmetric"))
    assert sym.spec.action_low.tolist() == [-2.0, -0.5] and sym.spec.action_high.tolist() == [2.0, 0.5]


def test_infinite_box_is_refused_naming_the_key() -> None:
    with pytest.raises(BoundsError, match=r"env.action_bounds=env gives a non-finite.*joint_limits"):
        apply_bounds(_Unbounded(), EnvConfig())
    with pytest.raises(BoundsError, match="env.action_bounds=symmetric"):
        apply_bounds(_Unbounded(), EnvConfig(action_bounds="symmetric"))
    bounded = apply_bounds(_Unbounded(), EnvConfig(action_bounds="scalar", action_bound=1.0))
    assert bounded.spec.action_high.tolist() == [1.0, 1.0]


def test_joint_limits_need_an_env_that_has_them() -> None:
    with pytest.raises(BoundsError, match="exposes its soft joint limits"):
        apply_bounds(FakeEnv(), EnvConfig(action_bounds="joint_limits"))


def test_huge_box_warns_unless_allowed() -> None:
    with pytest.warns(UserWarning, match=r"\+-100.*allow_suspicious_bounds"):
        _arm(EnvConfig())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _arm(EnvConfig(allow_suspicious_bounds=True))


def test_wrapper_delegates_everything_else() -> None:
    env = _arm(EnvConfig(action_bounds="joint_limits"))
    assert env.render(0).shape[2] == 3
    assert set(env.state_dict()) == {"state", "elapsed", "generator"}
    arm = EnvConfig(name="torch", task="arm-reach", action_bounds="joint_limits")
    run_suite(lambda limit: make_env_from_config(dataclasses.replace(arm, max_episode_steps=limit), 0, CPU, num_envs=3))


def test_wrappers_offer_a_capability_exactly_when_the_wrapped_env_has_it() -> None:
    bare = FakeEnv()
    for wrapped in (BoundedEnv(bare, *_box(2)), PostResetFinalObs(bare)):
        assert not isinstance(wrapped, StatefulEnv | JointLimitedEnv | RenderableEnv | DeployableEnv)
        assert not hasattr(wrapped, "state_dict") and not hasattr(wrapped, "render")
    arm = family("torch").make(EnvRequest("arm-reach", 2, 0, CPU))
    for wrapped in (BoundedEnv(arm, *_box(3)), PostResetFinalObs(BoundedEnv(arm, *_box(3)))):
        assert isinstance(wrapped, StatefulEnv) and isinstance(wrapped, JointLimitedEnv)
        assert isinstance(wrapped, RenderableEnv) and isinstance(wrapped, DeployableEnv)
        assert wrapped.observation_layout() == arm.observation_layout()
        torch.testing.assert_close(wrapped.joint_limits().q0, arm.joint_limits().q0)


def _box(dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    return -torch.ones(dim), torch.ones(dim)


@pytest.mark.parametrize("task", ["pendulum-swingup", "cartpole-balance", "arm-reach"])
def test_builtin_torch_tasks_are_stateful_and_arm_reach_is_joint_limited(task: str) -> None:
    env = family("torch").make(EnvRequest(task, 2, 0, CPU))
    assert isinstance(env, StatefulEnv)
    assert isinstance(env, JointLimitedEnv) == (task == "arm-reach")
    scalar_box = EnvConfig(name="torch", task=task, action_bounds="scalar")
    assert isinstance(make_env_from_config(scalar_box, 0, CPU, num_envs=2), StatefulEnv)


def test_post_reset_ablation_hands_over_the_next_episodes_first_observation() -> None:
    env = apply_bounds(FakeEnv(max_episode_steps=2), EnvConfig(final_obs="post_reset"))
    assert isinstance(env, PostResetFinalObs) and env.spec.exact_final_obs is False
    env.reset(0)
    action = torch.zeros(3, 2)
    env.step(action)
    step = env.step(action)
    assert step.truncated.all()
    assert torch.equal(step.final_obs, step.obs)


def test_config_validation_names_the_bounds_keys() -> None:
    assert set(BOUNDS_MODES) == {"env", "joint_limits", "symmetric", "scalar"}
    for key, value in (
        ("action_bounds", "clip"),
        ("action_bound", 0.0),
        ("joint_limit_fraction", 1.5),
        ("final_obs", "reset"),
    ):
        cfg = RunConfig(env=dataclasses.replace(EnvConfig(), **{key: value}))
        with pytest.raises(ConfigError, match=f"env.{key}"):
            validate(cfg)

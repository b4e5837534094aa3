"""What adapters tell export manifests: observation layouts that add up, PD gains, joint names, through wrappers."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from flashsac.config.schema import EnvConfig
from flashsac.envs.deploy_info import ObsTerm, env_observation_layout, env_pd_gains
from flashsac.envs.protocol import DeployableEnv
from flashsac.envs.registry import make_env_from_config
from flashsac.envs.torch_tasks import TASKS

CPU = torch.device("cpu")


@pytest.mark.parametrize("task", list(TASKS))
def test_builtin_layouts_add_up_to_obs_dim_through_the_bounds_wrapper(task: str) -> None:
    env = make_env_from_config(EnvConfig(name="torch", task=task, allow_suspicious_bounds=True), 0, CPU, num_envs=2)
    assert isinstance(env, DeployableEnv)  # reached through BoundedEnv
    layout = env_observation_layout(env)
    assert layout and sum(term.size for term in layout) == env.spec.obs_dim
    assert env_pd_gains(env) is None


def test_the_arm_names_its_joints_in_action_order() -> None:
    env = make_env_from_config(
        EnvConfig(name="torch", task="arm-reach", action_bounds="joint_limits"), 0, CPU, num_envs=1
    )
    assert env.spec.joint_names == ("shoulder", "elbow", "wrist")
    assert [term.name for term in env_observation_layout(env)] == ["joint_pos_offset", "tip_pos", "goal_minus_tip"]


class _Described:
    def __init__(self, layout: tuple[ObsTerm, ...], gains: object = None) -> None:
        self.spec = dataclasses.make_dataclass("S", [("task", str), ("obs_dim", int)])("fake", 4)
        self._layout, self._gains = layout, gains

    def observation_layout(self) -> tuple[ObsTerm, ...]:
        return self._layout

    def pd_gains(self) -> object:
        return self._gains


def test_a_layout_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(ValueError, match="sizes sum to 3, but obs_dim is 4"):
        env_observation_layout(_Described((ObsTerm("a", 1), ObsTerm("b", 2))))


def test_envs_without_the_capability_report_nothing() -> None:
    plain = object()
    assert env_observation_layout(plain) == () and env_pd_gains(plain) is None
    with pytest.raises(TypeError, match="not PDGains"):
        env_pd_gains(_Described((), gains=(1.0, 2.0)))

"""What adapters tell export manifests: observation layouts that add up, joint names, no PD loop in the built-ins."""

from __future__ import annotations

import pytest
import torch

from flashsac.config.schema import EnvConfig
from flashsac.envs.protocol import DeployableEnv
from flashsac.envs.registry import make_env_from_config
from flashsac.envs.torch_tasks import TASKS

CPU = torch.device("cpu")


@pytest.mark.parametrize("task", list(TASKS))
def test_builtin_layouts_add_up_to_obs_dim_through_the_bounds_wrapper(task: str) -> None:
    env = make_env_from_config(EnvConfig(name="torch", task=task, allow_suspicious_bounds=True), 0, CPU, num_envs=2)
    assert isinstance(env, DeployableEnv)  # offered through BoundedEnv
    layout = env.observation_layout()
    assert layout and sum(term.size for term in layout) == env.spec.obs_dim
    assert env.pd_gains() is None


def test_the_arm_names_its_joints_in_action_order() -> None:
    arm = EnvConfig(name="torch", task="arm-reach", action_bounds="joint_limits")
    env = make_env_from_config(arm, 0, CPU, num_envs=1)
    assert isinstance(env, DeployableEnv)
    assert env.spec.joint_names == ("shoulder", "elbow", "wrist")
    assert [term.name for term in env.observation_layout()] == ["joint_pos_offset", "tip_pos", "goal_minus_tip"]

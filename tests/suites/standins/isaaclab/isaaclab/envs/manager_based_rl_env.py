"""``ManagerBasedRLEnv`` and its config (envs/manager_based_rl_env.py, manager_based_env.py, *_cfg.py).

The order of ``step`` and ``_reset_idx`` is the real one (see the package docstring). Simplified: config groups are
dicts rather than configclass attributes, the reset event is one invented joint-offset draw, commands change
only at resets.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from isaaclab.managers import (
    ActionManager,
    CommandManager,
    ObservationGroupCfg,
    ObservationManager,
    RewardManager,
    RewardTermCfg,
    TerminationManager,
    TerminationTermCfg,
    UniformCommand,
)
from isaaclab.scene import InteractiveScene, InteractiveSceneCfg


@dataclass
class SimulationCfg:
    """Physics step ``dt`` and ``device`` (sim/simulation_cfg.py)."""

    dt: float = 1.0 / 60.0
    device: str = "cuda:0"
    render_interval: int = 1


@dataclass
class ManagerBasedRLEnvCfg:
    """Real field names; ``commands`` maps a name to a command size (invented)."""

    scene: InteractiveSceneCfg = field(default_factory=InteractiveSceneCfg)
    observations: dict[str, ObservationGroupCfg] = field(default_factory=dict)
    actions: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, int] = field(default_factory=dict)
    rewards: dict[str, RewardTermCfg] = field(default_factory=dict)
    terminations: dict[str, TerminationTermCfg] = field(default_factory=dict)
    sim: SimulationCfg = field(default_factory=SimulationCfg)
    decimation: int = 4
    episode_length_s: float = 20.0
    seed: int | None = None
    is_finite_horizon: bool = False
    reset_joint_offset: float = 0.1


def configure_seed(seed: int) -> int:
    """Seed python, numpy and torch (utils/seed.py; real also seeds CUDA and warp)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed


class ManagerBasedRLEnv(gym.Env):
    """A batched env driven by managers; finished envs are reset inside ``step``."""

    is_vector_env = True

    def __init__(self, cfg: ManagerBasedRLEnvCfg, render_mode: str | None = None, **kwargs: Any) -> None:
        self.cfg, self.render_mode = cfg, render_mode
        if cfg.seed is not None:
            cfg.seed = self.seed(cfg.seed)
        self.scene = InteractiveScene(cfg.scene, cfg.sim.device)
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long, device=self.device)
        self.common_step_counter = 0
        self.extras: dict[str, Any] = {}
        self.command_manager = CommandManager(
            {name: UniformCommand(self.num_envs, dim, self.device) for name, dim in cfg.commands.items()}
        )
        self.action_manager = ActionManager(cfg.actions, self)
        self.observation_manager = ObservationManager(cfg.observations, self)
        self.termination_manager = TerminationManager(cfg.terminations, self)
        self.reward_manager = RewardManager(cfg.rewards, self)
        self._configure_gym_env_spaces()

    @property
    def num_envs(self) -> int:
        """Number of parallel envs."""
        return self.scene.num_envs

    @property
    def device(self) -> str:
        """Simulation device."""
        return self.cfg.sim.device

    @property
    def physics_dt(self) -> float:
        """Physics step."""
        return self.cfg.sim.dt

    @property
    def step_dt(self) -> float:
        """Env step: ``sim.dt * decimation``."""
        return self.cfg.sim.dt * self.cfg.decimation

    @property
    def max_episode_length(self) -> int:
        """``ceil(episode_length_s / step_dt)``."""
        return math.ceil(self.cfg.episode_length_s / self.step_dt)

    @property
    def unwrapped(self) -> ManagerBasedRLEnv:
        """This env."""
        return self

    @staticmethod
    def seed(seed: int = -1) -> int:
        """Seed every generator."""
        return configure_seed(seed)

    def _configure_gym_env_spaces(self) -> None:
        self.single_observation_space = gym.spaces.Dict(
            {
                g: gym.spaces.Box(low=-np.inf, high=np.inf, shape=dim)
                for g, dim in self.observation_manager.group_obs_dim.items()
            }
        )
        self.single_action_space = gym.spaces.Box(
            low=-np.inf, high=np.inf, shape=(self.action_manager.total_action_dim,)
        )

    def reset(
        self, seed: int | None = None, env_ids: Any = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Reset ``env_ids`` (all by default), seeding first when ``seed`` is given."""
        if env_ids is None:
            env_ids = torch.arange(self.num_envs, dtype=torch.int64, device=self.device)
        if seed is not None:
            self.seed(seed)
        self._reset_idx(env_ids)
        self.scene.write_data_to_sim()
        self.obs_buf = self.observation_manager.compute(update_history=True)
        return self.obs_buf, self.extras

    def step(
        self, action: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        """Act, simulate ``decimation`` physics steps, evaluate, reset finished envs, observe."""
        self.action_manager.process_action(action.to(self.device))
        for _ in range(self.cfg.decimation):
            self.action_manager.apply_action()
            self.scene.write_data_to_sim()
            self.scene.simulate(self.physics_dt)
        self.episode_length_buf += 1
        self.common_step_counter += 1
        self.reset_buf = self.termination_manager.compute()
        self.reset_terminated = self.termination_manager.terminated
        self.reset_time_outs = self.termination_manager.time_outs
        self.reward_buf = self.reward_manager.compute(dt=self.step_dt)
        reset_env_ids = self.reset_buf.nonzero(as_tuple=False).squeeze(-1)
        if len(reset_env_ids) > 0:
            # IsaacLab 3.x only (cfg.compute_final_obs); 2.x configs have no such field.
            if getattr(self.cfg, "compute_final_obs", False):
                self.extras["final_obs"] = self.observation_manager.compute()
            self._reset_idx(reset_env_ids)
            self.scene.write_data_to_sim()
        self.command_manager.compute(dt=self.step_dt)
        self.obs_buf = self.observation_manager.compute(update_history=True)
        return self.obs_buf, self.reward_buf, self.reset_terminated, self.reset_time_outs, self.extras

    def _reset_idx(self, env_ids: torch.Tensor) -> None:
        self.scene.reset(env_ids)
        self._reset_robot_joints(env_ids)
        self.extras["log"] = dict()
        self.extras["log"].update(self.observation_manager.reset(env_ids))
        self.extras["log"].update(self.action_manager.reset(env_ids))
        self.extras["log"].update(self.command_manager.reset(env_ids))
        self.extras["log"].update(self.termination_manager.reset(env_ids))
        self.episode_length_buf[env_ids] = 0

    def _reset_robot_joints(self, env_ids: torch.Tensor) -> None:
        """The reset event (real: ``mdp.reset_joints_by_scale``): default pose plus an invented uniform offset."""
        robot = self.scene["robot"]
        data = robot.data
        soft = data.soft_joint_pos_limits[env_ids]
        span = (soft[..., 1] - soft[..., 0]) * self.cfg.reset_joint_offset
        pos = data.default_joint_pos[env_ids] + (torch.rand_like(span) - 0.5) * span
        pos = torch.maximum(torch.minimum(pos, soft[..., 1]), soft[..., 0])
        robot.write_joint_state_to_sim(pos, torch.zeros_like(pos), env_ids)

    def close(self) -> None:
        """Release the env."""

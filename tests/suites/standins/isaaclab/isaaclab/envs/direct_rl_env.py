"""``DirectRLEnv`` and its config (envs/direct_rl_env.py, direct_rl_env_cfg.py): the task implements the MDP.

Real order of ``step``: ``_pre_physics_step(action)``, ``decimation`` times ``_apply_action()`` and a physics step,
``episode_length_buf += 1``, ``_get_dones()``, ``_get_rewards()``, ``_reset_idx(reset_buf.nonzero())``, then
``_get_observations()`` plus the policy noise model. ``reset`` returns ``_get_observations()`` (no noise). Spaces:
``single_observation_space["policy"]`` (and ``["critic"]`` when ``state_space``) and ``single_action_space``, all
``Box(-inf, inf)`` from the integer sizes in the config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from isaaclab.envs.manager_based_rl_env import SimulationCfg, configure_seed
from isaaclab.scene import InteractiveScene, InteractiveSceneCfg


@dataclass
class DirectRLEnvCfg:
    """Real field names."""

    scene: InteractiveSceneCfg = field(default_factory=InteractiveSceneCfg)
    sim: SimulationCfg = field(default_factory=SimulationCfg)
    decimation: int = 2
    episode_length_s: float = 10.0
    action_space: int = 1
    observation_space: int = 1
    state_space: int = 0
    observation_noise_model: Any = None
    seed: int | None = None
    is_finite_horizon: bool = False


class DirectRLEnv(gym.Env):
    """A batched env whose task subclass implements the MDP methods."""

    is_vector_env = True

    def __init__(self, cfg: DirectRLEnvCfg, render_mode: str | None = None, **kwargs: Any) -> None:
        self.cfg, self.render_mode = cfg, render_mode
        if cfg.seed is not None:
            cfg.seed = self.seed(cfg.seed)
        self.scene = InteractiveScene(cfg.scene, cfg.sim.device)
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long, device=self.device)
        self.reset_terminated = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self.reset_time_outs = torch.zeros_like(self.reset_terminated)
        self.extras: dict[str, Any] = {}
        self.single_observation_space = gym.spaces.Dict(
            {"policy": gym.spaces.Box(low=-np.inf, high=np.inf, shape=(cfg.observation_space,))}
        )
        if cfg.state_space:
            self.single_observation_space["critic"] = gym.spaces.Box(low=-np.inf, high=np.inf, shape=(cfg.state_space,))
        self.single_action_space = gym.spaces.Box(low=-np.inf, high=np.inf, shape=(cfg.action_space,))
        if cfg.observation_noise_model:
            self._observation_noise_model = cfg.observation_noise_model

    @property
    def num_envs(self) -> int:
        """Number of parallel envs."""
        return self.scene.num_envs

    @property
    def device(self) -> str:
        """Simulation device."""
        return self.cfg.sim.device

    @property
    def step_dt(self) -> float:
        """Env step: ``sim.dt * decimation``."""
        return self.cfg.sim.dt * self.cfg.decimation

    @property
    def max_episode_length(self) -> int:
        """``ceil(episode_length_s / (sim.dt * decimation))``."""
        return math.ceil(self.cfg.episode_length_s / (self.cfg.sim.dt * self.cfg.decimation))

    @property
    def unwrapped(self) -> DirectRLEnv:
        """This env."""
        return self

    @staticmethod
    def seed(seed: int = -1) -> int:
        """Seed every generator."""
        return configure_seed(seed)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """Reset every env."""
        if seed is not None:
            self.seed(seed)
        self._reset_idx(torch.arange(self.num_envs, dtype=torch.int64, device=self.device))
        return self._get_observations(), self.extras

    def step(self, action: torch.Tensor) -> tuple[dict, torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        """Act, simulate, evaluate, reset finished envs, observe."""
        self._pre_physics_step(action.to(self.device))
        for _ in range(self.cfg.decimation):
            self._apply_action()
            self.scene.write_data_to_sim()
            self.scene.simulate(self.cfg.sim.dt)
        self.episode_length_buf += 1
        self.reset_terminated[:], self.reset_time_outs[:] = self._get_dones()
        self.reset_buf = self.reset_terminated | self.reset_time_outs
        self.reward_buf = self._get_rewards()
        reset_env_ids = self.reset_buf.nonzero(as_tuple=False).squeeze(-1)
        if len(reset_env_ids) > 0:
            # IsaacLab 3.x only (cfg.compute_final_obs, in _reset_envs_from_buffer); 2.x configs lack the field.
            if getattr(self.cfg, "compute_final_obs", False):
                self.extras["final_obs"] = self._noisy(self._get_observations())
            self._reset_idx(reset_env_ids)
        self.obs_buf = self._noisy(self._get_observations())
        return self.obs_buf, self.reward_buf, self.reset_terminated, self.reset_time_outs, self.extras

    def _noisy(self, obs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if self.cfg.observation_noise_model:
            obs["policy"] = self._observation_noise_model(obs["policy"])
        return obs

    def _reset_idx(self, env_ids: torch.Tensor) -> None:
        self.scene.reset(env_ids)
        self.episode_length_buf[env_ids] = 0

    def _pre_physics_step(self, actions: torch.Tensor) -> None:
        raise NotImplementedError

    def _apply_action(self) -> None:
        raise NotImplementedError

    def _get_observations(self) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def _get_rewards(self) -> torch.Tensor:
        raise NotImplementedError

    def _get_dones(self) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the env."""

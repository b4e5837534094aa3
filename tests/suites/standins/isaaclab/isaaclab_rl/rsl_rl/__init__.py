"""``isaaclab_rl.rsl_rl.RslRlVecEnvWrapper`` (rsl_rl/vecenv_wrapper.py) with its real interface and behaviour.

Real facts: it subclasses rsl_rl's ``VecEnv``; refuses envs whose ``unwrapped`` is neither ``ManagerBasedRLEnv``
nor ``DirectRLEnv``; copies ``num_envs``, ``device``, ``max_episode_length`` and the action count (the action
manager's ``total_action_dim``, else the flat size of ``single_action_space``); replaces the action space by
``Box(-clip, clip)`` when ``clip_actions`` is set; calls ``env.reset()`` once at construction (rsl_rl's runner never
resets); ``cfg``/``unwrapped``/``episode_length_buf`` (settable) forward to the unwrapped env;
``get_observations()`` is the observation manager's ``compute()`` (``_get_observations()`` for direct envs) as a
``TensorDict``; ``step`` clamps to ``+-clip_actions``, steps the gymnasium wrapper chain, returns
``dones = (terminated | truncated)`` as ``long`` and, unless ``cfg.is_finite_horizon``, ``extras["time_outs"]``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import torch
from isaaclab.envs import DirectRLEnv, ManagerBasedRLEnv
from rsl_rl.env import VecEnv
from tensordict import TensorDict

__all__ = ["RslRlVecEnvWrapper"]


class RslRlVecEnvWrapper(VecEnv):
    """An IsaacLab env (possibly under gymnasium wrappers) as an rsl_rl ``VecEnv``."""

    def __init__(self, env: Any, clip_actions: float | None = None) -> None:
        if not isinstance(env.unwrapped, ManagerBasedRLEnv | DirectRLEnv):
            raise ValueError(f"The environment must inherit ManagerBasedRLEnv or DirectRLEnv, got {type(env)}")
        self.env, self.clip_actions = env, clip_actions
        self.num_envs = self.unwrapped.num_envs
        self.device = self.unwrapped.device
        self.max_episode_length = self.unwrapped.max_episode_length
        manager = getattr(self.unwrapped, "action_manager", None)
        self.num_actions = (
            manager.total_action_dim if manager is not None else gym.spaces.flatdim(self.unwrapped.single_action_space)
        )
        if clip_actions is not None:
            self.unwrapped.single_action_space = gym.spaces.Box(-clip_actions, clip_actions, (self.num_actions,))
        self.env.reset()

    @property
    def cfg(self) -> Any:
        return self.unwrapped.cfg

    @property
    def unwrapped(self) -> Any:
        return self.env.unwrapped

    @property
    def episode_length_buf(self) -> torch.Tensor:
        return self.unwrapped.episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        self.unwrapped.episode_length_buf = value

    def seed(self, seed: int = -1) -> int:
        return self.unwrapped.seed(seed)

    def get_observations(self) -> TensorDict:
        manager = getattr(self.unwrapped, "observation_manager", None)
        obs = manager.compute() if manager is not None else self.unwrapped._get_observations()
        return TensorDict(obs, batch_size=[self.num_envs])

    def reset(self) -> tuple[TensorDict, dict]:
        obs, extras = self.env.reset()
        return TensorDict(obs, batch_size=[self.num_envs]), extras

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        if self.clip_actions is not None:
            actions = torch.clamp(actions, -self.clip_actions, self.clip_actions)
        obs, reward, terminated, truncated, extras = self.env.step(actions)
        dones = (terminated | truncated).to(dtype=torch.long)
        if not self.unwrapped.cfg.is_finite_horizon:
            extras["time_outs"] = truncated
        return TensorDict(obs, batch_size=[self.num_envs]), reward, dones, extras

    def close(self) -> None:
        return self.env.close()

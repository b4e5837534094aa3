"""Pendulum swing-up as a batched torch task (the dynamics, reward and limits of gymnasium Pendulum-v1)."""

from __future__ import annotations

import math

import numpy as np
import torch

from flashsac.envs.deploy_info import ObsTerm
from flashsac.envs.torch_tasks.base import BatchedTorchTask, Canvas

_FRAME_SIZE = 240


def _angle_normalize(theta: torch.Tensor) -> torch.Tensor:
    return torch.remainder(theta + math.pi, 2 * math.pi) - math.pi


class PendulumSwingup(BatchedTorchTask):
    """Swing a torque-limited pendulum up and hold it upright; 200-step episodes, no terminal states.

    State ``(theta, theta_dot)``; observation ``(cos theta, sin theta, theta_dot)``; action: torque in
    [-2, 2]. Reward ``-(theta^2 + 0.1 theta_dot^2 + 0.001 u^2)`` with theta wrapped to [-pi, pi), so returns
    lie in about [-1600, 0]; a good policy scores above -200 from random starts.
    """

    obs_dim = 3
    state_dim = 2
    control_dt = 0.05
    obs_terms = (ObsTerm("cos_theta", 1), ObsTerm("sin_theta", 1), ObsTerm("theta_dot", 1))
    default_max_episode_steps = 200
    max_speed = 8.0
    gravity = 10.0

    def __init__(self, task: str, num_envs: int, device: torch.device, max_episode_steps: int | None) -> None:
        super().__init__(task, num_envs, device, max_episode_steps, action_low=[-2.0], action_high=[2.0])

    def _initial_state(self, n: int) -> torch.Tensor:
        u = torch.rand(n, 2, generator=self._generator, device=self.spec.device)
        return torch.stack((u[:, 0] * 2 * math.pi - math.pi, u[:, 1] * 2 - 1), dim=-1)

    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta, theta_dot = state[:, 0], state[:, 1]
        torque = action[:, 0]
        cost = _angle_normalize(theta) ** 2 + 0.1 * theta_dot**2 + 0.001 * torque**2
        new_theta_dot = theta_dot + (3 * self.gravity / 2 * torch.sin(theta) + 3.0 * torque) * self.control_dt
        new_theta_dot = new_theta_dot.clamp(-self.max_speed, self.max_speed)
        new_theta = theta + new_theta_dot * self.control_dt
        return torch.stack((new_theta, new_theta_dot), dim=-1), -cost

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        return torch.stack((torch.cos(state[:, 0]), torch.sin(state[:, 0]), state[:, 1]), dim=-1)

    def _draw(self, state: np.ndarray) -> np.ndarray:
        """A red rod from the centre pivot at angle theta (0 = upright, positive = counter-clockwise)."""
        canvas = Canvas(_FRAME_SIZE)
        centre = _FRAME_SIZE / 2
        rod = 0.4 * _FRAME_SIZE
        theta = float(state[0])
        tip = (centre - rod * math.sin(theta), centre - rod * math.cos(theta))
        canvas.segment((centre, centre), tip, width=0.08 * _FRAME_SIZE, color=(204, 77, 77))
        canvas.disc((centre, centre), radius=0.02 * _FRAME_SIZE, color=(30, 30, 30))
        return canvas.image

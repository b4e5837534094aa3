"""Cart-pole balance with a continuous force as a batched torch task: time limit *and* failure termination."""

from __future__ import annotations

import math

import torch

from flashsac.envs.torch_tasks.base import BatchedTorchTask


class CartpoleBalance(BatchedTorchTask):
    """Keep a pole upright on a cart (classic cart-pole physics, Euler integration at 50 Hz).

    State ``(x, x_dot, theta, theta_dot)`` is also the observation. The action in [-1, 1] scales a 10 N
    force. Reward 1 per step while alive; the episode **terminates** when the pole leans past 12 degrees or
    the cart leaves [-2.4, 2.4], and is **truncated** after 500 steps, so returns lie in [1, 500].
    """

    obs_dim = 4
    state_dim = 4
    control_dt = 0.02
    default_max_episode_steps = 500
    gravity = 9.8
    mass_cart = 1.0
    mass_pole = 0.1
    half_length = 0.5
    force_mag = 10.0
    theta_limit = 12 * 2 * math.pi / 360
    x_limit = 2.4

    def __init__(self, task: str, num_envs: int, device: torch.device, max_episode_steps: int | None) -> None:
        super().__init__(task, num_envs, device, max_episode_steps, action_low=[-1.0], action_high=[1.0])

    def _initial_state(self, n: int) -> torch.Tensor:
        return torch.rand(n, 4, generator=self._generator, device=self.spec.device) * 0.1 - 0.05

    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, x_dot, theta, theta_dot = state.unbind(-1)
        force = self.force_mag * action[:, 0]
        total_mass = self.mass_cart + self.mass_pole
        pole_ml = self.mass_pole * self.half_length
        cos, sin = torch.cos(theta), torch.sin(theta)
        temp = (force + pole_ml * theta_dot**2 * sin) / total_mass
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.half_length * (4.0 / 3.0 - self.mass_pole * cos**2 / total_mass)
        )
        x_acc = temp - pole_ml * theta_acc * cos / total_mass
        dt = self.control_dt
        next_state = torch.stack(
            (x + dt * x_dot, x_dot + dt * x_acc, theta + dt * theta_dot, theta_dot + dt * theta_acc), dim=-1
        )
        return next_state, torch.ones_like(x)

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        return state.clone()

    def _is_terminal(self, state: torch.Tensor) -> torch.Tensor:
        return (state[:, 0].abs() > self.x_limit) | (state[:, 2].abs() > self.theta_limit)

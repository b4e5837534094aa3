"""Cart-pole balance with a continuous force as a batched torch task: time limit *and* failure termination."""

from __future__ import annotations

import math

import numpy as np
import torch

from flashsac.envs.deploy_info import ObsTerm
from flashsac.envs.torch_tasks.base import BatchedTorchTask, Canvas

_FRAME_SIZE = 240


class CartpoleBalance(BatchedTorchTask):
    """Keep a pole upright on a cart (classic cart-pole physics, Euler integration at 50 Hz).

    State ``(x, x_dot, theta, theta_dot)`` is also the observation. The action in [-1, 1] scales a 10 N
    force. Reward 1 per step while alive; the episode **terminates** when the pole leans past 12 degrees or
    the cart leaves [-2.4, 2.4], and is **truncated** after 500 steps, so returns lie in [1, 500].
    """

    obs_dim = 4
    state_dim = 4
    control_dt = 0.02
    obs_terms = (ObsTerm("cart_pos", 1), ObsTerm("cart_vel", 1), ObsTerm("pole_angle", 1), ObsTerm("pole_vel", 1))
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

    def _draw(self, state: np.ndarray) -> np.ndarray:
        """Track, cart and pole; the frame spans the track [-2.4, 2.4] m plus a margin."""
        canvas = Canvas(_FRAME_SIZE)
        scale = _FRAME_SIZE / (2 * self.x_limit * 1.1)  # pixels per metre
        track_y = 0.7 * _FRAME_SIZE
        canvas.segment((0.0, track_y), (float(_FRAME_SIZE), track_y), width=2.0, color=(0, 0, 0))
        for end in (-self.x_limit, self.x_limit):  # the failure limits of the cart position
            px = _FRAME_SIZE / 2 + end * scale
            canvas.segment((px, track_y - 8), (px, track_y + 8), width=2.0, color=(150, 150, 150))
        x, theta = float(state[0]), float(state[2])
        cart_x = _FRAME_SIZE / 2 + x * scale
        cart_w, cart_h = 0.5 * scale, 0.3 * scale
        canvas.rect(cart_x - cart_w / 2, track_y - cart_h / 2, cart_x + cart_w / 2, track_y + cart_h / 2, (0, 0, 0))
        pole = 2 * self.half_length * scale
        pivot = (cart_x, track_y - cart_h / 4)
        tip = (cart_x + pole * math.sin(theta), pivot[1] - pole * math.cos(theta))
        canvas.segment(pivot, tip, width=0.1 * scale, color=(202, 152, 101))
        canvas.disc(pivot, radius=0.05 * scale, color=(129, 132, 203))
        return canvas.image

"""A velocity-controlled point on a line that must reach and stay in a goal region, paid only while inside it.

The smallest task with temporal credit assignment: from most starts the goal is several steps away and every
step on the way pays nothing, so the value of moving toward it has to be bootstrapped back from the goal.
"""

from __future__ import annotations

import numpy as np
import torch

from flashsac.envs.deploy_info import ObsTerm
from flashsac.envs.torch_tasks.base import BatchedTorchTask, Canvas

_FRAME_SIZE = 240


class PointReachSparse(BatchedTorchTask):
    """Move a point on ``[-1, 1]`` into the goal region ``[0.5, 0.7]`` and keep it there; 50-step episodes.

    State and observation: the position ``x``, uniform in ``[-1, 1]`` at the start. Action in ``[-1, 1]``: the
    velocity, ``x <- clip(x + 0.2 a, -1, 1)``, so the far end is 8 steps from the goal. Reward 1 for every step
    that ends inside the goal region, else 0; ``info["success"]`` says whether the point is inside. Returns lie
    in ``[0, 50]``: a uniformly random policy scores about 4.7 and one that stands still about 5 (the starts
    inside the goal); the best policy scores about 47 (it loses the steps to the goal, about 3 on average);
    solved is above 35.
    """

    obs_dim = 1
    state_dim = 1
    control_dt = 0.05
    obs_terms = (ObsTerm("position", 1),)
    default_max_episode_steps = 50
    goal_low = 0.5
    goal_high = 0.7
    max_step = 0.2
    """Distance moved per step at full action."""

    def __init__(self, task: str, num_envs: int, device: torch.device, max_episode_steps: int | None) -> None:
        super().__init__(task, num_envs, device, max_episode_steps, action_low=[-1.0], action_high=[1.0])

    def _inside(self, state: torch.Tensor) -> torch.Tensor:
        """``(n,)`` bool: the point lies in the goal region (ends included)."""
        x = state[:, 0]
        return (x >= self.goal_low) & (x <= self.goal_high)

    def _initial_state(self, n: int) -> torch.Tensor:
        return torch.rand(n, 1, generator=self._generator, device=self.spec.device) * 2 - 1

    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        next_state = (state + self.max_step * action).clamp(-1.0, 1.0)
        return next_state, self._inside(next_state).to(torch.float32)

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        return state.clone()

    def _info(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"success": self._inside(state)}

    def _draw(self, state: np.ndarray) -> np.ndarray:
        """The line ``[-1, 1]`` across the frame, the goal region as a green band across it, the point as a disc."""
        canvas = Canvas(_FRAME_SIZE)
        margin, centre = 0.1 * _FRAME_SIZE, _FRAME_SIZE / 2
        pixels_per_unit = (_FRAME_SIZE - 2 * margin) / 2

        def to_px(x: float) -> float:
            return centre + pixels_per_unit * x

        canvas.rect(to_px(self.goal_low), centre - 20, to_px(self.goal_high), centre + 20, (60, 170, 80))
        canvas.segment((to_px(-1.0), centre), (to_px(1.0), centre), width=2.0, color=(0, 0, 0))
        canvas.disc((to_px(float(state[0])), centre), radius=0.04 * _FRAME_SIZE, color=(204, 77, 77))
        return canvas.image

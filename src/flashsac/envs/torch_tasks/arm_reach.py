"""A joint-position-controlled planar arm that reaches for goals: the built-in robot with the IsaacLab +-100 trap.

It is small enough to learn in minutes on a CPU, yet set up like the robots our users train in IsaacLab or mjlab:
the policy's action ``a`` is a joint-target offset, ``q_target = q0 + s * a`` with a default pose ``q0`` that is
not centred in the joints' ranges, and the action space is declared as ``+-100`` (as IsaacLab's unbounded spaces
end up clipped). Soft joint limits are 95% of the hard ranges around their centres (IsaacLab's
``soft_joint_pos_limit_factor``), so ``env.action_bounds=joint_limits`` gives per-joint asymmetric bounds.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.deploy_info import ObsTerm
from flashsac.envs.torch_tasks.base import BatchedTorchTask, Canvas

_FRAME_SIZE = 240
_LINKS = (0.5, 0.4, 0.3)
_HARD_MIN = (-1.0, -2.2, -1.6)
_HARD_MAX = (2.0, 0.6, 1.6)
_DEFAULT_POSE = (0.3, -0.8, 0.2)
_ACTION_SCALE = 0.5
_SOFT_FACTOR = 0.95
_TRACKING_GAIN = 0.4
"""Share of the gap to the (clipped) joint target closed per step: a first-order stand-in for a PD loop."""
_SUCCESS_RADIUS = 0.05


def _forward_kinematics(q: torch.Tensor, links: torch.Tensor) -> torch.Tensor:
    """``(n, 2)`` end-effector positions of ``(n, 3)`` joint angles and ``(3,)`` link lengths (base at the origin)."""
    angles = torch.cumsum(q, dim=1)
    return torch.stack(((links * torch.cos(angles)).sum(1), (links * torch.sin(angles)).sum(1)), dim=1)


class ArmReach(BatchedTorchTask):
    """Move a 3-joint planar arm's tip onto a goal drawn from its reachable set; 100-step episodes.

    State ``(q (3), goal (2))``. Observation ``(q - q0, tip, goal - tip)`` (7). Action: joint-target offsets,
    declared ``[-100, 100]`` per joint; targets are clipped to the hard joint limits, and each joint moves
    ``0.4`` of the way to its target per step. Reward ``-|tip - goal|`` (metres); ``success`` when the tip is
    within 5 cm. A random ``+-100`` policy scores about -70, a good one above -15.
    """

    obs_dim = 7
    state_dim = 5
    control_dt = 0.05
    joint_names = ("shoulder", "elbow", "wrist")
    obs_terms = (ObsTerm("joint_pos_offset", 3), ObsTerm("tip_pos", 2), ObsTerm("goal_minus_tip", 2))
    default_max_episode_steps = 100

    def __init__(self, task: str, num_envs: int, device: torch.device, max_episode_steps: int | None) -> None:
        super().__init__(task, num_envs, device, max_episode_steps, action_low=[-100.0] * 3, action_high=[100.0] * 3)
        self._hard_min = torch.tensor(_HARD_MIN, device=device)
        self._hard_max = torch.tensor(_HARD_MAX, device=device)
        self._q0 = torch.tensor(_DEFAULT_POSE, device=device)
        self._links = torch.tensor(_LINKS, device=device)  # built once: no host-to-device copy per step
        centre, half = (self._hard_max + self._hard_min) / 2, (self._hard_max - self._hard_min) / 2
        self._soft_min, self._soft_max = centre - _SOFT_FACTOR * half, centre + _SOFT_FACTOR * half

    def joint_limits(self) -> JointLimits:
        """Soft joint limits, default pose and action scale, in action order."""
        return JointLimits(
            q_min=self._soft_min.clone(),
            q_max=self._soft_max.clone(),
            q0=self._q0.clone(),
            scale=torch.full_like(self._q0, _ACTION_SCALE),
        )

    def _initial_state(self, n: int) -> torch.Tensor:
        u = torch.rand(n, 3, generator=self._generator, device=self.spec.device)
        goal_q = self._soft_min + u * (self._soft_max - self._soft_min)
        q = self._q0.expand(n, -1)
        return torch.cat((q, _forward_kinematics(goal_q, self._links)), dim=1)

    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q, goal = state[:, :3], state[:, 3:]
        target = torch.maximum(torch.minimum(self._q0 + _ACTION_SCALE * action, self._hard_max), self._hard_min)
        q = q + _TRACKING_GAIN * (target - q)
        distance = (_forward_kinematics(q, self._links) - goal).norm(dim=1)
        return torch.cat((q, goal), dim=1), -distance

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        q, goal = state[:, :3], state[:, 3:]
        tip = _forward_kinematics(q, self._links)
        return torch.cat((q - self._q0, tip, goal - tip), dim=1)

    def _info(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        tip = _forward_kinematics(state[:, :3], self._links)
        return {"success": (tip - state[:, 3:]).norm(dim=1) < _SUCCESS_RADIUS}

    def _draw(self, state: np.ndarray) -> np.ndarray:
        """The arm in dark grey from the centre, its joints as discs, and the goal as a green disc."""
        canvas = Canvas(_FRAME_SIZE)
        centre, pixels_per_metre = _FRAME_SIZE / 2, _FRAME_SIZE / 2 / (sum(_LINKS) * 1.05)
        start, angle = (centre, centre), 0.0
        for link, q in zip(_LINKS, state[:3], strict=True):
            angle += float(q)
            end = (
                start[0] + pixels_per_metre * link * math.cos(angle),
                start[1] - pixels_per_metre * link * math.sin(angle),
            )
            canvas.segment(start, end, width=0.035 * _FRAME_SIZE, color=(70, 70, 80))
            canvas.disc(start, radius=0.025 * _FRAME_SIZE, color=(30, 30, 30))
            start = end
        goal = (centre + pixels_per_metre * float(state[3]), centre - pixels_per_metre * float(state[4]))
        canvas.disc(goal, radius=0.03 * _FRAME_SIZE, color=(60, 170, 80))
        return canvas.image

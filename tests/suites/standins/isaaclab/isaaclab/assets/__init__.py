"""``Articulation`` and its ``data`` (assets/articulation/articulation.py, articulation_data.py).

Real fields kept: ``num_joints``, ``joint_names``, ``find_joints``, ``data.joint_pos``, ``data.joint_vel``,
``data.default_joint_pos``, ``data.joint_pos_limits`` and ``data.soft_joint_pos_limits`` (hard limits shrunk about
their midpoint by ``soft_joint_pos_limit_factor``), ``set_joint_position_target``, ``write_joint_state_to_sim``.
Invented: the physics -- each joint moves ``gain`` of the way to its target per physics step, within its hard
limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class ArticulationCfg:
    """An articulation: joint names, hard limits, default pose and the soft-limit factor (real field names)."""

    joint_names: tuple[str, ...]
    joint_pos_limits: tuple[tuple[float, float], ...]
    default_joint_pos: tuple[float, ...]
    soft_joint_pos_limit_factor: float = 1.0
    gain: float = 0.3


class ArticulationData:
    """Per-env joint state and limits, ``(num_envs, num_joints[, 2])`` tensors."""

    def __init__(self, cfg: ArticulationCfg, num_envs: int, device: str) -> None:
        limits = torch.tensor(cfg.joint_pos_limits, dtype=torch.float32, device=device)
        self.joint_pos_limits = limits.expand(num_envs, -1, -1).clone()
        mid, half = limits.mean(-1), (limits[:, 1] - limits[:, 0]) / 2 * cfg.soft_joint_pos_limit_factor
        self.soft_joint_pos_limits = torch.stack((mid - half, mid + half), -1).expand(num_envs, -1, -1).clone()
        default = torch.tensor(cfg.default_joint_pos, dtype=torch.float32, device=device)
        self.default_joint_pos = default.expand(num_envs, -1).clone()
        self.default_joint_vel = torch.zeros_like(self.default_joint_pos)
        self.joint_pos = self.default_joint_pos.clone()
        self.joint_vel = torch.zeros_like(self.joint_pos)
        self.joint_pos_target = self.default_joint_pos.clone()


class Articulation:
    """A batch of ``num_envs`` copies of one robot."""

    def __init__(self, cfg: ArticulationCfg, num_envs: int, device: str) -> None:
        self.cfg, self.num_instances, self.device = cfg, num_envs, device
        self.joint_names = list(cfg.joint_names)
        self.num_joints = len(self.joint_names)
        self.data = ArticulationData(cfg, num_envs, device)

    def find_joints(self, name_keys: Sequence[str], preserve_order: bool = False) -> tuple[list[int], list[str]]:
        """Indices and names of the joints matching the regular expressions ``name_keys``."""
        ids = [i for i, n in enumerate(self.joint_names) if any(re.fullmatch(k, n) for k in name_keys)]
        return ids, [self.joint_names[i] for i in ids]

    def set_joint_position_target(self, target: torch.Tensor, joint_ids: Sequence[int] | slice | None = None) -> None:
        """Set position targets of ``joint_ids`` (all joints when ``None``)."""
        self.data.joint_pos_target[:, slice(None) if joint_ids is None else joint_ids] = target

    def write_joint_state_to_sim(self, pos: torch.Tensor, vel: torch.Tensor, env_ids: torch.Tensor) -> None:
        """Teleport the joints of ``env_ids``."""
        self.data.joint_pos[env_ids], self.data.joint_vel[env_ids] = pos, vel
        self.data.joint_pos_target[env_ids] = pos

    def simulate(self, dt: float) -> None:
        """Invented physics: first-order tracking of the targets, clamped to the hard limits."""
        d = self.data
        new = d.joint_pos + self.cfg.gain * (d.joint_pos_target - d.joint_pos)
        new = torch.maximum(torch.minimum(new, d.joint_pos_limits[..., 1]), d.joint_pos_limits[..., 0])
        d.joint_vel, d.joint_pos = (new - d.joint_pos) / dt, new

    def reset(self, env_ids: torch.Tensor | None = None) -> None:
        """Nothing buffered to clear (real: external wrenches, actuator state)."""

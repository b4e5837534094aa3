"""Joint action terms (envs/mdp/actions/joint_actions.py, binary_joint_actions.py, actions_cfg.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


class JointPositionAction:
    """``processed = raw * scale + offset`` as joint position targets (``JointAction`` + ``JointPositionAction``)."""

    def __init__(self, cfg: JointPositionActionCfg, env: Any) -> None:
        self.cfg = cfg
        self._asset = env.scene[cfg.asset_name]
        ids, self._joint_names = self._asset.find_joints(cfg.joint_names, preserve_order=cfg.preserve_order)
        self._num_joints = len(ids)
        # Real: a slice when the term drives every joint in the asset's order (no indexing cost).
        self._joint_ids: list[int] | slice = (
            slice(None) if self._num_joints == self._asset.num_joints and not cfg.preserve_order else ids
        )
        self._raw_actions = torch.zeros(env.num_envs, self._num_joints, device=env.device)
        self._processed_actions = torch.zeros_like(self._raw_actions)
        self._scale: float | torch.Tensor = float(cfg.scale)
        self._offset: float | torch.Tensor = float(cfg.offset)
        if cfg.use_default_offset:
            self._offset = self._asset.data.default_joint_pos[:, self._joint_ids].clone()

    @property
    def action_dim(self) -> int:
        """One dimension per joint."""
        return self._num_joints

    def process_actions(self, actions: torch.Tensor) -> None:
        """Scale and offset the raw actions."""
        self._raw_actions[:] = actions
        self._processed_actions = self._raw_actions * self._scale + self._offset

    def apply_actions(self) -> None:
        """Set the joint position targets."""
        self._asset.set_joint_position_target(self._processed_actions, joint_ids=self._joint_ids)

    def reset(self, env_ids: Any = None) -> None:
        """Zero the raw actions of ``env_ids``."""
        self._raw_actions[env_ids] = 0.0


class BinaryJointPositionAction:
    """One dimension: ``< 0`` sends the close command, else the open one, to all its joints."""

    def __init__(self, cfg: BinaryJointPositionActionCfg, env: Any) -> None:
        self.cfg = cfg
        self._asset = env.scene[cfg.asset_name]
        self._joint_ids, self._joint_names = self._asset.find_joints(cfg.joint_names)
        self._open = torch.full((len(self._joint_ids),), cfg.open_command, device=env.device)
        self._close = torch.full((len(self._joint_ids),), cfg.close_command, device=env.device)
        self._processed_actions = self._open.expand(env.num_envs, -1).clone()

    @property
    def action_dim(self) -> int:
        """A single open/close dimension."""
        return 1

    def process_actions(self, actions: torch.Tensor) -> None:
        """Map the sign of the action to the open or close command."""
        self._processed_actions = torch.where(actions < 0, self._close, self._open)

    def apply_actions(self) -> None:
        """Set the joint position targets."""
        self._asset.set_joint_position_target(self._processed_actions, joint_ids=self._joint_ids)

    def reset(self, env_ids: Any = None) -> None:
        """Nothing to clear."""


@dataclass
class JointPositionActionCfg:
    """Real fields; ``scale``/``offset`` as numbers here."""

    asset_name: str
    joint_names: list[str]
    scale: float = 1.0
    offset: float = 0.0
    use_default_offset: bool = True
    preserve_order: bool = False
    class_type: type = field(default=JointPositionAction)


@dataclass
class BinaryJointPositionActionCfg:
    """Real fields, with one open and one close position for all joints (real: per-joint expressions)."""

    asset_name: str
    joint_names: list[str]
    open_command: float = 0.04
    close_command: float = 0.0
    class_type: type = field(default=BinaryJointPositionAction)

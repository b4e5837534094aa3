"""What a deployed policy needs to know about its robot beyond the action box: observation layout and PD gains.

Deploy stacks build the observation vector on the robot and run the joint controllers themselves, so an exported
policy's manifest records how the adapter laid out the observation (term names, sizes, order, scales) and the gains
of the simulator's PD loop. Adapters that know these offer them through
:class:`flashsac.envs.protocol.DeployableEnv`; the joint-position facts (soft limits, default pose, action scale)
come from :class:`flashsac.envs.action_bounds.JointLimits`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["ObsTerm", "PDGains"]


@dataclass(frozen=True)
class ObsTerm:
    """One contiguous block of the actor observation vector.

    Attributes:
        name: What the block holds, e.g. ``"joint_pos_offset"`` (``q - q0``) or ``"base_ang_vel"``.
        size: Number of entries.
        scale: Factor the raw quantity is multiplied by before it enters the observation: one number for the
            whole block, one per entry, or ``None`` where the block is not scaled.
    """

    name: str
    size: int
    scale: float | tuple[float, ...] | None = None


@dataclass(frozen=True)
class PDGains:
    """Nominal gains of the simulator's joint PD loop, one entry per action dimension (action order).

    Attributes:
        kp: Proportional gains (N m / rad for revolute joints).
        kd: Derivative gains (N m s / rad).
    """

    kp: torch.Tensor
    kd: torch.Tensor

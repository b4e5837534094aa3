"""What a deployed policy needs to know about its robot beyond the action box: observation layout and PD gains.

Deploy stacks build the observation vector on the robot and run the joint controllers themselves, so an exported
policy's manifest records how the adapter laid out the observation (term names, sizes, order, scales) and the gains
of the simulator's PD loop. Adapters that know these offer them through
:class:`flashsac.envs.protocol.DeployableEnv`; the joint-position facts (soft limits, default pose, action scale)
come from :class:`flashsac.envs.action_bounds.JointLimits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["ObsTerm", "PDGains", "env_observation_layout", "env_pd_gains"]


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


def env_observation_layout(env: Any) -> tuple[ObsTerm, ...]:
    """The env's observation layout where its adapter knows it (sizes summing to ``obs_dim``), else ``()``.

    Raises:
        TypeError: the adapter returns something other than :class:`ObsTerm` entries.
        ValueError: the adapter's layout does not add up to ``spec.obs_dim``.
    """
    method = getattr(env, "observation_layout", None)
    found: Any = method() if callable(method) else ()
    layout = tuple(found)
    if any(not isinstance(term, ObsTerm) for term in layout):
        raise TypeError(f"{env.spec.task}: observation_layout() must return ObsTerm entries.")
    if layout and sum(term.size for term in layout) != env.spec.obs_dim:
        raise ValueError(
            f"{env.spec.task}: observation_layout() sizes sum to {sum(term.size for term in layout)}, but "
            f"obs_dim is {env.spec.obs_dim}; fix the adapter's layout."
        )
    return layout


def env_pd_gains(env: Any) -> PDGains | None:
    """The env's nominal PD gains where its adapter exposes them, else ``None``.

    Raises:
        TypeError: the adapter returns something other than :class:`PDGains` or ``None``.
    """
    method = getattr(env, "pd_gains", None)
    gains = method() if callable(method) else None
    if gains is not None and not isinstance(gains, PDGains):
        raise TypeError(f"{env.spec.task}: pd_gains() returned {type(gains).__name__}, not PDGains or None.")
    return gains

"""Soft joint limits, default pose and action scale of Playground's joint-position robots, per action dimension.

Playground's G1 and T1 joystick tasks apply ``motor_targets = default_pose + action * action_scale``
(``locomotion/g1/joystick.py``, ``t1/joystick.py``: ``Joystick.step``), and penalise leaving the soft limits
``c +- 0.5 * r * soft_joint_pos_limit_factor`` around each joint's range centre ``c`` and width ``r``
(``Joystick._post_init``). Action ``i`` drives actuator ``i``, whose joint is ``actuator_trnid[i, 0]``; its range
is ``jnt_range`` of that joint. Everything is read from the task's own model and config, never written down here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from flashsac.envs.action_bounds import JointLimits

__all__ = ["joint_limits_from_model"]

_MJTRN_JOINT = 0


def joint_limits_from_model(model: Any, default_pose: Any, action_scale: float, soft_factor: float) -> JointLimits:
    """The :class:`JointLimits` of a joint-position action space, one entry per actuator.

    Args:
        model: A ``mujoco.MjModel`` (or anything with ``nu``, ``actuator_trntype``, ``actuator_trnid``,
            ``jnt_range`` and ``jnt_limited`` arrays of the same meaning).
        default_pose: ``(nu,)`` the pose actions are offsets from, in action order (the env's ``_default_pose``).
        action_scale: The config's ``action_scale`` (one scale for every joint in Playground).
        soft_factor: The config's ``soft_joint_pos_limit_factor`` (the share of each range that is "soft").

    Raises:
        ValueError: when an actuator does not drive a joint, or drives an unlimited one.
    """
    nu = int(model.nu)
    trntype = np.asarray(model.actuator_trntype).reshape(nu)
    if (trntype != _MJTRN_JOINT).any():
        bad = int(np.flatnonzero(trntype != _MJTRN_JOINT)[0])
        raise ValueError(f"actuator {bad} does not drive a joint: joint limits do not apply to this action space.")
    joints = np.asarray(model.actuator_trnid).reshape(nu, 2)[:, 0]
    limited = np.asarray(model.jnt_limited).reshape(-1)[joints].astype(bool)
    if not limited.all():
        bad = int(joints[int(np.flatnonzero(~limited)[0])])
        raise ValueError(f"joint {bad} has no range (jnt_limited=0): joint limits do not apply to it.")
    low, high = np.asarray(model.jnt_range, dtype=np.float64).reshape(-1, 2)[joints].T
    centre, width = (low + high) / 2, high - low
    q0 = np.asarray(default_pose, dtype=np.float64).reshape(-1)
    if q0.shape != (nu,):
        raise ValueError(f"default_pose has {q0.shape[0]} entries for {nu} actuators.")
    return JointLimits(
        q_min=_float32(centre - 0.5 * width * soft_factor),
        q_max=_float32(centre + 0.5 * width * soft_factor),
        q0=_float32(q0),
        scale=_float32(np.full(nu, float(action_scale))),
    )


def _float32(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float32)

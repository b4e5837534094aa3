"""Action bounds for joint-position robots, and the choice of which bounds a run trains with.

A joint-position robot applies ``q_target = q0 + s * a``: default pose ``q0``, action scale ``s`` and policy
action ``a``. Simulators often declare ``a`` unbounded or ``+-100`` (the IsaacLab trap): a tanh policy mapped onto
such a box puts almost every action far beyond the joints' limits, so the robot spends training slammed against
its stops. The right box is the one whose endpoints reproduce the soft joint limits exactly, per joint and
generally asymmetric because ``q0`` is rarely centred:

    a_min = -|q_min - q0| / s,        a_max = |q_max - q0| / s.

``fraction`` shrinks the box towards ``q0`` (1.0 reaches the soft limits). Everything here is a pure function of
tensors; adapters provide :class:`JointLimits`, :func:`select_bounds` picks the box for ``env.action_bounds``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["JointLimits", "joint_limit_bounds", "select_bounds"]


@dataclass(frozen=True)
class JointLimits:
    """What a joint-position action space needs to derive its bounds, one entry per action dimension.

    Attributes:
        q_min: Soft lower joint limits (rad or m).
        q_max: Soft upper joint limits, above ``q_min``.
        q0: Default joint positions the action is an offset from (inside the limits).
        scale: Action scale ``s`` (positive): ``q_target = q0 + scale * a``.
    """

    q_min: torch.Tensor
    q_max: torch.Tensor
    q0: torch.Tensor
    scale: torch.Tensor


def joint_limit_bounds(limits: JointLimits, fraction: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-joint action bounds whose endpoints map exactly onto the soft joint limits (times ``fraction``).

    Returns:
        ``(a_min, a_max)`` float32 tensors: ``q0 + scale * a_min == q0 - fraction * |q_min - q0|`` and
        ``q0 + scale * a_max == q0 + fraction * |q_max - q0|``.

    Raises:
        ValueError: naming the offending joint when a limit pair is inverted, ``q0`` lies outside the limits or a
            scale is not positive (``fraction`` obeys ``env.joint_limit_fraction``'s rule, checked with the config).
    """
    q_min, q_max, q0, scale = (t.to(torch.float64) for t in (limits.q_min, limits.q_max, limits.q0, limits.scale))
    checks = (
        (q_max > q_min, "q_max must exceed q_min"),
        ((q0 >= q_min) & (q0 <= q_max), "the default pose q0 must lie inside [q_min, q_max]"),
        (scale > 0, "the action scale must be positive"),
    )
    for ok, message in checks:
        if not bool(ok.all()):
            joint = int((~ok).nonzero()[0, 0])
            raise ValueError(
                f"joint {joint}: {message} (q_min={float(q_min[joint])}, q_max={float(q_max[joint])}, "
                f"q0={float(q0[joint])}, scale={float(scale[joint])})."
            )
    # Why |.|: the formula is the distance from q0 to each limit in action units, signed by construction.
    low = -fraction * (q_min - q0).abs() / scale
    high = fraction * (q_max - q0).abs() / scale
    return low.to(torch.float32), high.to(torch.float32)


def select_bounds(
    mode: str,
    env_low: torch.Tensor,
    env_high: torch.Tensor,
    limits: JointLimits | None = None,
    scalar: float = 1.0,
    fraction: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The action box a run trains with, for ``env.action_bounds`` = ``mode``.

    Args:
        mode: ``env`` (the env's declared bounds), ``joint_limits`` (:func:`joint_limit_bounds`), ``symmetric``
            (``+-max(|low|, |high|)`` per dimension) or ``scalar`` (``+-scalar`` on every dimension).
        env_low: The env's declared lower bounds.
        env_high: The env's declared upper bounds.
        limits: The env's joint limits (needed for ``joint_limits``).
        scalar: The half-width for ``scalar``.
        fraction: The share of the soft-limit range for ``joint_limits``.

    Raises:
        ValueError: for ``joint_limits`` on an env without joint limits (the message names ``env.action_bounds``
            and the choices), or joint limits that do not make a box (:func:`joint_limit_bounds`).
    """
    if mode == "env":
        return env_low.to(torch.float32), env_high.to(torch.float32)
    if mode == "joint_limits":
        if limits is None:
            raise ValueError(
                "env.action_bounds=joint_limits needs an env that exposes its soft joint limits, default pose and "
                "action scale; this one does not. Use env.action_bounds=env, symmetric or scalar."
            )
        return joint_limit_bounds(limits, fraction)
    if mode == "symmetric":
        half = torch.maximum(env_low.abs(), env_high.abs()).to(torch.float32)
        return -half, half
    # The mode and the half-width obey env.action_bounds' and env.action_bound's rules (checked with the config).
    assert mode == "scalar", mode
    half = torch.full_like(env_low, float(scalar), dtype=torch.float32)
    return -half, half

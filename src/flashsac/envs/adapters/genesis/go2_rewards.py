"""The Go2 reward terms as pure functions of one control step's state (legged_gym conventions).

Each term returns ``(N,)``; :func:`total_reward` weights them by the task's scales times the control period, as
the Genesis example and the FlashSAC reference do. ``feet_air_time`` carries state across steps, so it is the
separate :func:`feet_air_time`, which returns the updated state with the reward.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

__all__ = ["REWARD_TERMS", "Go2Frame", "feet_air_time", "total_reward"]


@dataclass(frozen=True)
class Go2Frame:
    """What the stateless reward terms read after a control step; every tensor has leading dimension ``N``.

    Attributes:
        commands: ``(N, 3)`` commanded forward, lateral (m/s) and yaw (rad/s) velocity.
        lin_vel: ``(N, 3)`` base linear velocity in the task's frame (body or heading).
        ang_vel: ``(N, 3)`` base angular velocity, body frame.
        projected_gravity: ``(N, 3)`` unit gravity in the body frame.
        base_height: ``(N,)`` base z (m).
        dof_pos: ``(N, 12)`` joint angles.
        dof_vel: ``(N, 12)`` joint velocities.
        last_dof_vel: ``(N, 12)`` joint velocities one control step earlier.
        default_dof_pos: ``(12,)`` the default pose.
        actions: ``(N, 12)`` this step's action.
        last_actions: ``(N, 12)`` the previous step's action.
        torques: ``(N, 12)`` the last commanded joint torques (explicit PD only, else zeros).
        penalized_contact: ``(N, K, 3)`` contact forces on the links whose contacts are penalised.
        control_dt: Control period (s).
        tracking_sigma: Width of the exponential tracking kernels.
        base_height_target: Target base height (m).
    """

    commands: torch.Tensor
    lin_vel: torch.Tensor
    ang_vel: torch.Tensor
    projected_gravity: torch.Tensor
    base_height: torch.Tensor
    dof_pos: torch.Tensor
    dof_vel: torch.Tensor
    last_dof_vel: torch.Tensor
    default_dof_pos: torch.Tensor
    actions: torch.Tensor
    last_actions: torch.Tensor
    torques: torch.Tensor
    penalized_contact: torch.Tensor
    control_dt: float
    tracking_sigma: float
    base_height_target: float


def _tracking_lin_vel(f: Go2Frame) -> torch.Tensor:
    return torch.exp(-(f.commands[:, :2] - f.lin_vel[:, :2]).square().sum(1) / f.tracking_sigma)


def _tracking_ang_vel(f: Go2Frame) -> torch.Tensor:
    return torch.exp(-(f.commands[:, 2] - f.ang_vel[:, 2]).square() / f.tracking_sigma)


def _lin_vel_z(f: Go2Frame) -> torch.Tensor:
    return f.lin_vel[:, 2].square()


def _ang_vel_xy(f: Go2Frame) -> torch.Tensor:
    return f.ang_vel[:, :2].square().sum(1)


def _orientation(f: Go2Frame) -> torch.Tensor:
    return f.projected_gravity[:, :2].square().sum(1)


def _base_height(f: Go2Frame) -> torch.Tensor:
    return (f.base_height - f.base_height_target).square()


def _torques(f: Go2Frame) -> torch.Tensor:
    return f.torques.square().sum(1)


def _collision(f: Go2Frame) -> torch.Tensor:
    return (f.penalized_contact.norm(dim=-1) > 0.1).float().sum(1)


def _dof_acc(f: Go2Frame) -> torch.Tensor:
    return ((f.last_dof_vel - f.dof_vel) / f.control_dt).square().sum(1)


def _action_rate(f: Go2Frame) -> torch.Tensor:
    return (f.last_actions - f.actions).square().sum(1)


def _similar_to_default(f: Go2Frame) -> torch.Tensor:
    return (f.dof_pos - f.default_dof_pos).abs().sum(1)


REWARD_TERMS: dict[str, Callable[[Go2Frame], torch.Tensor]] = {
    "tracking_lin_vel": _tracking_lin_vel,
    "tracking_ang_vel": _tracking_ang_vel,
    "lin_vel_z": _lin_vel_z,
    "ang_vel_xy": _ang_vel_xy,
    "orientation": _orientation,
    "base_height": _base_height,
    "torques": _torques,
    "collision": _collision,
    "dof_acc": _dof_acc,
    "action_rate": _action_rate,
    "similar_to_default": _similar_to_default,
}
"""The stateless terms by name: exp tracking kernels, squared penalties, contact counts."""


def feet_air_time(
    air_time: torch.Tensor,
    last_contact: torch.Tensor,
    foot_force_z: torch.Tensor,
    commands: torch.Tensor,
    control_dt: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Reward steps that last more than 0.5 s, paid at touchdown, only while a planar command is given.

    A foot is in contact above 1 N vertical force; contact is or-ed with the previous step's to filter the
    flicker of the contact solver.

    Args:
        air_time: ``(N, 4)`` seconds each foot has been in the air.
        last_contact: ``(N, 4)`` bool raw contact of the previous step.
        foot_force_z: ``(N, 4)`` vertical contact force on each foot (N).
        commands: ``(N, 3)`` commands; no reward where the planar command is below 0.1 m/s.
        control_dt: Control period (s).

    Returns:
        ``(reward (N,), new air_time, new last_contact)``.
    """
    contact = foot_force_z > 1.0
    contact_filtered = contact | last_contact
    first_contact = (air_time > 0.0) & contact_filtered
    air_time = air_time + control_dt
    reward = ((air_time - 0.5) * first_contact).sum(1) * (commands[:, :2].norm(dim=1) > 0.1)
    return reward, air_time * ~contact_filtered, contact


def total_reward(frame: Go2Frame, scales: Mapping[str, float], extra: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """``sum_k scale_k * control_dt * term_k``, over the stateless terms and the precomputed ``extra`` ones."""
    total = torch.zeros_like(frame.base_height)
    for name, scale in scales.items():
        term = extra[name] if name in extra else REWARD_TERMS[name](frame)
        total = total + (scale * frame.control_dt) * term
    return total

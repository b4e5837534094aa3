"""Batched quaternion maths on torch tensors, in Genesis' convention: ``(w, x, y, z)``, unit norm.

Pure torch (no Genesis import), so the task maths can be tested where Genesis is not installed, and so the
helpers need no initialised Genesis runtime (``genesis.utils.geom`` reads ``gs.EPS``).
"""

from __future__ import annotations

import torch

__all__ = ["euler_to_quat", "quat_mul", "quat_rotate", "quat_rotate_inverse", "quat_to_euler", "rotate_z"]


def quat_rotate(quat: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """Rotate ``vec`` ``(..., 3)`` by ``quat`` ``(..., 4)``: body frame -> world frame."""
    w, u = quat[..., :1], quat[..., 1:]
    t = 2.0 * torch.cross(u, vec, dim=-1)
    return vec + w * t + torch.cross(u, t, dim=-1)


def quat_rotate_inverse(quat: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """Rotate ``vec`` by the inverse of ``quat``: world frame -> body frame."""
    conjugate = torch.cat((quat[..., :1], -quat[..., 1:]), dim=-1)
    return quat_rotate(conjugate, vec)


def quat_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product ``a * b`` (apply ``b``, then ``a``)."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack(
        (
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ),
        dim=-1,
    )


def quat_to_euler(quat: torch.Tensor) -> torch.Tensor:
    """Roll, pitch, yaw (rad) of ``quat``, extrinsic x-y-z; pitch saturates at +-pi/2 (gimbal lock)."""
    w, x, y, z = quat.unbind(-1)
    roll = torch.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = torch.asin((2.0 * (w * y - z * x)).clamp(-1.0, 1.0))
    yaw = torch.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return torch.stack((roll, pitch, yaw), dim=-1)


def euler_to_quat(euler: torch.Tensor) -> torch.Tensor:
    """The quaternion of roll, pitch, yaw ``(..., 3)`` (rad); inverse of :func:`quat_to_euler`."""
    half = 0.5 * euler
    cr, cp, cy = half.cos().unbind(-1)
    sr, sp, sy = half.sin().unbind(-1)
    return torch.stack(
        (
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
        ),
        dim=-1,
    )


def rotate_z(vec: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotate ``vec`` ``(N, 3)`` about the world z axis by ``angle`` ``(N,)`` (rad)."""
    cos, sin = angle.cos(), angle.sin()
    x, y, z = vec.unbind(-1)
    return torch.stack((cos * x - sin * y, sin * x + cos * y, z), dim=-1)

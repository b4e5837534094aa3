"""``panda-grasp`` maths as pure torch: damped-least-squares IK and the keypoint reward.

Facts from Genesis' manipulation example (``examples/manipulation/grasp_env.py``, ``grasp_train.py``) as the
FlashSAC reference wraps it (``flash_rl/envs/genesis_envs/panda_grasp.py``).
"""

from __future__ import annotations

import torch

from flashsac.envs.adapters.genesis.geometry import quat_rotate

__all__ = ["KEYPOINT_OFFSETS", "dls_delta_q", "keypoint_reward", "keypoints"]

DLS_DAMPING = 0.01
"""lambda of the damped least squares: ``dq = J^T (J J^T + lambda^2 I)^-1 dx``."""

KEYPOINT_OFFSETS = 0.5 * torch.tensor(
    [
        [0.0, 0.0, 0.0],
        [-1.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, -1.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, -1.0],
        [0, 0, 1.0],
    ]
)
"""Seven keypoints: the frame origin and +-0.5 m along each axis (``unit_length`` 0.5)."""


def dls_delta_q(jacobian: torch.Tensor, delta_pose: torch.Tensor, damping: float = DLS_DAMPING) -> torch.Tensor:
    """Joint step ``(N, n_dofs)`` realising the end-effector twist ``delta_pose`` ``(N, 6)`` to first order.

    Args:
        jacobian: ``(N, 6, n_dofs)`` end-effector Jacobian (linear rows first).
        delta_pose: ``(N, 6)`` position (m) and rotation-vector (rad) increments.
        damping: The DLS damping lambda.
    """
    eye = torch.eye(jacobian.shape[1], device=jacobian.device, dtype=jacobian.dtype)
    jjt = jacobian @ jacobian.transpose(1, 2) + damping**2 * eye
    return (jacobian.transpose(1, 2) @ torch.linalg.solve(jjt, delta_pose.unsqueeze(-1))).squeeze(-1)


def keypoints(pos: torch.Tensor, quat: torch.Tensor) -> torch.Tensor:
    """The seven keypoints ``(N, 7, 3)`` of a frame at ``pos`` ``(N, 3)`` with orientation ``quat`` ``(N, 4)``."""
    offsets = KEYPOINT_OFFSETS.to(device=pos.device, dtype=pos.dtype).expand(pos.shape[0], -1, -1)
    return pos[:, None, :] + quat_rotate(quat[:, None, :].expand(-1, offsets.shape[1], -1), offsets)


def keypoint_reward(
    finger_pos: torch.Tensor, finger_quat: torch.Tensor, object_pos: torch.Tensor, object_quat: torch.Tensor
) -> torch.Tensor:
    """``exp(-sum_k |p_k(fingers) - p_k(object)|)`` over the seven keypoints: 1 when the frames coincide.

    The gripper frame is taken 6 cm below the finger centre along world z (the fingertip offset of the source).
    """
    tip = finger_pos + torch.tensor([0.0, 0.0, -0.06], device=finger_pos.device, dtype=finger_pos.dtype)
    distance = (keypoints(tip, finger_quat) - keypoints(object_pos, object_quat)).norm(dim=-1).sum(-1)
    return torch.exp(-distance)

"""A cheap H1 body: 19 position-servoed joints and a pelvis that balances like an inverted pendulum.

Actuator facts (order, ``ctrlrange``, ``kp``, ``kv``, ``forcerange``) and the joint damping/armature come from
``humanoid_bench/assets/robots/h1_pos.xml``; the timestep (0.002 s) from ``assets/envs/h1_pos_*.xml``. The rest
is invented: a planar servo per joint, pitch/roll of the whole body as inverted pendulums that the ankle and hip
torques push against, a pelvis height that follows knee bend and tilt, and a forward speed driven by alternating
hip pitch. It falls under random actions within a few hundred steps and stays up for a while at rest, which is all
the adapter's tests need from it.
"""

from __future__ import annotations

import numpy as np

TIMESTEP = 0.002
GRAVITY = 9.81
# name, ctrlrange low, high, actuator class; robots/h1_pos.xml <actuator>, in action order.
ACTUATORS: tuple[tuple[str, float, float, str], ...] = (
    ("left_hip_yaw", -0.43, 0.43, "hip"),
    ("left_hip_roll", -0.43, 0.43, "hip"),
    ("left_hip_pitch", -3.14, 2.53, "hip"),
    ("left_knee", -0.26, 2.05, "knee"),
    ("left_ankle", -0.87, 0.52, "ankle"),
    ("right_hip_yaw", -0.43, 0.43, "hip"),
    ("right_hip_roll", -0.43, 0.43, "hip"),
    ("right_hip_pitch", -3.14, 2.53, "hip"),
    ("right_knee", -0.26, 2.05, "knee"),
    ("right_ankle", -0.87, 0.52, "ankle"),
    ("torso", -2.35, 2.35, "torso"),
    ("left_shoulder_pitch", -2.87, 2.87, "shoulder1"),
    ("left_shoulder_roll", -0.34, 3.11, "shoulder1"),
    ("left_shoulder_yaw", -1.3, 4.45, "shoulder2"),
    ("left_elbow", -1.25, 2.61, "elbow"),
    ("right_shoulder_pitch", -2.87, 2.87, "shoulder1"),
    ("right_shoulder_roll", -3.11, 0.34, "shoulder1"),
    ("right_shoulder_yaw", -4.45, 1.3, "shoulder2"),
    ("right_elbow", -1.25, 2.61, "elbow"),
)
# class: kp, kv, force limit (robots/h1_pos.xml <default class=...><position .../>).
_GAINS = {
    "hip": (200.0, 5.0, 200.0),
    "knee": (300.0, 6.0, 300.0),
    "ankle": (40.0, 2.0, 40.0),
    "torso": (300.0, 6.0, 200.0),
    "shoulder1": (100.0, 2.0, 40.0),
    "shoulder2": (100.0, 2.0, 18.0),
    "elbow": (100.0, 2.0, 18.0),
}
NU = len(ACTUATORS)
CTRL_LOW = np.array([a[1] for a in ACTUATORS])
CTRL_HIGH = np.array([a[2] for a in ACTUATORS])
KP = np.array([_GAINS[a[3]][0] for a in ACTUATORS])
KV = np.array([_GAINS[a[3]][1] for a in ACTUATORS])
FORCE = np.array([_GAINS[a[3]][2] for a in ACTUATORS])
DAMPING = 1.0  # <joint damping="1" armature="0.1"/>
INERTIA = 0.1 + 0.4  # armature plus an invented link inertia
_L_HIP_YAW, _L_HIP_ROLL, _L_HIP_PITCH, _L_KNEE, _L_ANKLE = 0, 1, 2, 3, 4
_R_HIP_YAW, _R_HIP_ROLL, _R_HIP_PITCH, _R_KNEE, _R_ANKLE = 5, 6, 7, 8, 9
_L_SHOULDER_PITCH, _L_SHOULDER_ROLL, _L_ELBOW = 11, 12, 14
_PENDULUM_LENGTH = 0.5
_BODY_INERTIA = 60.0  # mass * length^2 of the pendulum, kg m^2
_FALLEN_TILT = 1.45  # rad: lying on the floor


def quat_from_euler(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """(w, x, y, z) quaternion of intrinsic z-y-x (yaw, pitch, roll) rotations."""
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    return np.array(
        [
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
        ]
    )


def euler_from_quat(quat: np.ndarray) -> tuple[float, float, float]:
    """(roll, pitch, yaw) of a (w, x, y, z) quaternion (normalised first)."""
    w, x, y, z = quat / max(float(np.linalg.norm(quat)), 1e-9)
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return float(roll), float(pitch), float(yaw)


class Body:
    """The H1 state: pelvis pose/velocity (the free joint) and 19 joints, stepped ``frame_skip`` times per action."""

    def __init__(self, qpos: np.ndarray) -> None:
        self.set_qpos(qpos)

    def set_qpos(self, qpos: np.ndarray) -> None:
        """Place the body at ``qpos[:26]`` (free joint then joints) at rest."""
        self.pos = np.array(qpos[:3], dtype=np.float64)
        self.roll, self.pitch, self.yaw = euler_from_quat(np.asarray(qpos[3:7], dtype=np.float64))
        self.q = np.array(qpos[7:26], dtype=np.float64)
        self.qd = np.zeros(NU)
        self.lin_vel = np.zeros(3)
        self.ang_vel = np.zeros(3)  # roll, pitch, yaw rates
        self.force = np.zeros(NU)
        self.stand_height = float(qpos[2])

    @property
    def upright(self) -> float:
        """The zz entry of the pelvis rotation matrix (1 upright, 0 lying)."""
        return float(np.cos(self.roll) * np.cos(self.pitch))

    @property
    def quat(self) -> np.ndarray:
        """The pelvis orientation as a (w, x, y, z) quaternion."""
        return quat_from_euler(self.roll, self.pitch, self.yaw)

    def head_height(self) -> float:
        """Height of the head site (0.7 m above the torso on the real robot)."""
        return float(self.pos[2] + 0.72 * self.upright)

    def left_hand_position(self) -> np.ndarray:
        """World position of the left hand from a two-link arm hung at the left shoulder."""
        pitch, roll = self.q[_L_SHOULDER_PITCH], self.q[_L_SHOULDER_ROLL]
        elbow = pitch + self.q[_L_ELBOW]
        local = np.array([0.0, 0.2, 0.45]) + 0.3 * np.array(
            [np.sin(pitch) + np.sin(elbow), 2 * np.sin(roll), -np.cos(pitch) - np.cos(elbow)]
        )
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        return self.pos + np.array([c * local[0] - s * local[1], s * local[0] + c * local[1], local[2] * self.upright])

    def step(self, ctrl: np.ndarray, frame_skip: int) -> None:
        """Apply position targets ``ctrl`` (clipped to ``ctrlrange``) for ``frame_skip`` timesteps."""
        ctrl = np.clip(ctrl, CTRL_LOW, CTRL_HIGH)
        for _ in range(frame_skip):
            self._substep(ctrl)

    def _substep(self, ctrl: np.ndarray) -> None:
        h = TIMESTEP
        self.force = np.clip(KP * (ctrl - self.q) - KV * self.qd, -FORCE, FORCE)
        self.qd += h * (self.force - DAMPING * self.qd) / INERTIA
        self.q += h * self.qd
        self.qd = np.where((self.q < CTRL_LOW) | (self.q > CTRL_HIGH), 0.0, self.qd)
        self.q = np.clip(self.q, CTRL_LOW, CTRL_HIGH)
        fallen = abs(self.pitch) >= _FALLEN_TILT or abs(self.roll) >= _FALLEN_TILT
        if not fallen:
            f = self.force
            pitch_push = f[_L_ANKLE] + f[_R_ANKLE] + 0.5 * (f[_L_HIP_PITCH] + f[_R_HIP_PITCH])
            roll_push = 0.5 * (f[_L_HIP_ROLL] + f[_R_HIP_ROLL])
            self.ang_vel[0] += h * (GRAVITY / _PENDULUM_LENGTH * np.sin(self.roll) - roll_push / _BODY_INERTIA)
            self.ang_vel[1] += h * (GRAVITY / _PENDULUM_LENGTH * np.sin(self.pitch) - pitch_push / _BODY_INERTIA)
            self.ang_vel[2] = 0.5 * (self.qd[_L_HIP_YAW] + self.qd[_R_HIP_YAW]) * self.upright
        self.roll = float(np.clip(self.roll + h * self.ang_vel[0], -_FALLEN_TILT, _FALLEN_TILT))
        self.pitch = float(np.clip(self.pitch + h * self.ang_vel[1], -_FALLEN_TILT, _FALLEN_TILT))
        self.yaw += h * self.ang_vel[2]
        if abs(self.pitch) >= _FALLEN_TILT or abs(self.roll) >= _FALLEN_TILT:
            self.ang_vel[:] = 0.0
        self._move_pelvis(h)

    def _move_pelvis(self, h: float) -> None:
        knee_bend = 0.5 * (self.q[_L_KNEE] + self.q[_R_KNEE]) - 0.8
        legs = self.stand_height - 0.35 * max(knee_bend, 0.0)
        target_z = max(0.12, legs * self.upright)
        stride = 0.25 * abs(self.qd[_L_HIP_PITCH] - self.qd[_R_HIP_PITCH]) * max(self.upright, 0.0)
        forward = stride + _PENDULUM_LENGTH * self.ang_vel[1] * np.cos(self.pitch)
        sideways = -_PENDULUM_LENGTH * self.ang_vel[0] * np.cos(self.roll)
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        target = np.array([c * forward - s * sideways, s * forward + c * sideways, (target_z - self.pos[2]) / 0.05])
        self.lin_vel += (target - self.lin_vel) * min(1.0, h / 0.02)
        self.pos += h * self.lin_vel

"""The two Go2 velocity-tracking tasks of the paper, as data: ``go2-walk_easy`` and ``go2-walk``.

Sources (read for facts, nothing copied):

* ``go2-walk_easy`` is Genesis' own locomotion example (``examples/locomotion/go2_train.py`` and ``go2_env.py``
  of Genesis-Embodied-AI/Genesis), which the FlashSAC reference wraps unchanged apart from clipping actions at
  ``action_range`` 3.0 instead of ``clip_actions`` 100 (``flash_rl/envs/genesis_envs/go2_walk_easy.py``): a fixed
  forward command of 0.5 m/s, implicit PD (kp 20, kd 0.5) at 50 Hz with two substeps, roll/pitch termination
  at 10 degrees, six reward terms, and no randomness at all at a reset.
* ``go2-walk`` is the FlashSAC reference's ``go2_walk.py`` on ``go2_base.py``, ported from the Genesis-backflip
  repository (ziyanx02/Genesis-backflip): random commands in ``[-1, 1]`` (m/s, m/s, rad/s) resampled every 4 s,
  explicit torque PD (kp 30, kd 1.5) at 200 Hz physics with decimation 4, randomised initial states, observation
  noise, domain randomisation, eleven reward terms, terminations on base contact and on roll/pitch beyond
  0.4 rad, and a 60-d privileged critic observation.

Shared by both: Genesis' ``urdf/go2/urdf/go2.urdf``, the default joint angles and joint order below, action
scale 0.25 around the default pose with one control step of action latency, 50 Hz control, 20 s episodes
(1000 steps), the 45-d actor observation and every reward scale multiplied by the control period 0.02 s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_JOINT_ANGLES", "GO2_TASKS", "JOINT_NAMES", "Go2Config"]

JOINT_NAMES = (
    "FR_hip_joint",
    "FR_thigh_joint",
    "FR_calf_joint",
    "FL_hip_joint",
    "FL_thigh_joint",
    "FL_calf_joint",
    "RR_hip_joint",
    "RR_thigh_joint",
    "RR_calf_joint",
    "RL_hip_joint",
    "RL_thigh_joint",
    "RL_calf_joint",
)
"""The action order (Genesis example ``dof_names``)."""

DEFAULT_JOINT_ANGLES = {"hip": 0.0, "FR_thigh": 0.8, "FL_thigh": 0.8, "RR_thigh": 1.0, "RL_thigh": 1.0, "calf": -1.5}
"""Default pose q0 (rad): hips 0, front thighs 0.8, rear thighs 1.0, calves -1.5 (Genesis example)."""


def default_angle(joint: str) -> float:
    """q0 of one joint by name, from :data:`DEFAULT_JOINT_ANGLES`."""
    leg, part, _ = joint.split("_")
    return DEFAULT_JOINT_ANGLES.get(f"{leg}_{part}", DEFAULT_JOINT_ANGLES.get(part, 0.0))


@dataclass(frozen=True)
class Go2Config:
    """Everything that tells ``go2-walk_easy`` and ``go2-walk`` apart (shared facts are module constants).

    Attributes:
        sim_dt: Physics step (s); ``decimation * sim_dt`` is the 0.02 s control period.
        substeps: Genesis substeps per physics step.
        decimation: Physics steps per control step.
        implicit_pd: Genesis' own PD position control (``control_dofs_position``); else explicit torques.
        kp: Proportional gain (N m / rad).
        kd: Derivative gain (N m s / rad).
        self_collision: Collide the robot's links with each other.
        keep_feet: Keep the fixed foot links when merging (their contact forces feed rewards).
        lin_vel_x: Command range, forward velocity (m/s).
        lin_vel_y: Command range, lateral velocity (m/s).
        ang_vel_yaw: Command range, yaw rate (rad/s).
        command_deadband: Planar commands with norm below it, and yaw commands below it, become 0.
        heading_frame_lin_vel: Base linear velocity in the yaw-only (heading) frame, else in the body frame.
        max_roll: Termination beyond this |roll| (rad).
        max_pitch: Termination beyond this |pitch| (rad).
        terminate_on_base_contact: Termination when the base link touches anything (> 1 N).
        min_base_height: Termination below this base height (m), or ``None``.
        joint_noise: Half-width of the uniform joint-angle noise at a reset (rad).
        base_xy_noise: Half-width of the uniform base x/y offset at a reset (m).
        base_tilt_noise: Half-width of the uniform initial roll and pitch (rad).
        base_yaw_range: Range of the uniform initial yaw (rad).
        observation_noise: Uniform noise half-widths on the scaled (ang_vel, gravity, dof_pos, dof_vel) blocks.
        clip_observations: Observations are clipped to +- this, or not at all (``None``).
        privileged: Offer the 60-d privileged critic observation.
        domain_randomization: Friction, base mass and COM, motor offsets and PD-gain scales are drawn per env.
        reward_scales: Reward term -> scale (multiplied by the control period when summed).
    """

    sim_dt: float
    substeps: int
    decimation: int
    implicit_pd: bool
    kp: float
    kd: float
    self_collision: bool
    keep_feet: bool
    lin_vel_x: tuple[float, float]
    lin_vel_y: tuple[float, float]
    ang_vel_yaw: tuple[float, float]
    command_deadband: float
    heading_frame_lin_vel: bool
    max_roll: float
    max_pitch: float
    terminate_on_base_contact: bool
    min_base_height: float | None
    joint_noise: float
    base_xy_noise: float
    base_tilt_noise: float
    base_yaw_range: tuple[float, float]
    observation_noise: tuple[float, float, float, float] | None
    clip_observations: float | None
    privileged: bool
    domain_randomization: bool
    reward_scales: dict[str, float] = field(default_factory=dict)


CONTROL_DT = 0.02
EPISODE_STEPS = 1000
ACTION_SCALE = 0.25
DECLARED_ACTION_BOUND = 100.0
"""Genesis' example clips actions at ``clip_actions`` 100: the box the simulator itself declares."""
PAPER_ACTION_BOUND = 3.0
"""The reference's ``action_range``: the paper's policies act in ``[-1, 1] * 3.0``."""
RESAMPLING_STEPS = 200
"""Commands (and, in ``go2-walk``, domain randomisation) are redrawn every 4 s."""
BASE_INIT_POS = (0.0, 0.0, 0.42)
BASE_INIT_QUAT = (1.0, 0.0, 0.0, 0.0)
TRACKING_SIGMA = 0.25
BASE_HEIGHT_TARGET = 0.3
OBS_SCALES = {"lin_vel": 2.0, "ang_vel": 0.25, "dof_pos": 1.0, "dof_vel": 0.05}

# Domain randomisation ranges of go2-walk (reference go2_walk.py): uniform draws per env.
FRICTION_RANGE = (0.2, 1.5)
ADDED_MASS_RANGE = (-1.0, 3.0)
COM_SHIFT_RANGE = (-0.01, 0.01)
MOTOR_OFFSET_RANGE = (-0.02, 0.02)
GAIN_SCALE_RANGE = (0.8, 1.2)

GO2_TASKS: dict[str, Go2Config] = {
    "go2-walk_easy": Go2Config(
        sim_dt=0.02,
        substeps=2,
        decimation=1,
        implicit_pd=True,
        kp=20.0,
        kd=0.5,
        self_collision=False,
        keep_feet=False,
        lin_vel_x=(0.5, 0.5),
        lin_vel_y=(0.0, 0.0),
        ang_vel_yaw=(0.0, 0.0),
        command_deadband=0.0,
        heading_frame_lin_vel=False,
        max_roll=0.17453292519943295,  # 10 degrees
        max_pitch=0.17453292519943295,
        terminate_on_base_contact=False,
        min_base_height=None,
        joint_noise=0.0,
        base_xy_noise=0.0,
        base_tilt_noise=0.0,
        base_yaw_range=(0.0, 0.0),
        observation_noise=None,
        clip_observations=None,
        privileged=False,
        domain_randomization=False,
        reward_scales={
            "tracking_lin_vel": 1.0,
            "tracking_ang_vel": 0.2,
            "lin_vel_z": -1.0,
            "base_height": -50.0,
            "action_rate": -0.005,
            "similar_to_default": -0.1,
        },
    ),
    "go2-walk": Go2Config(
        sim_dt=0.005,
        substeps=1,
        decimation=4,
        implicit_pd=False,
        kp=30.0,
        kd=1.5,
        self_collision=True,
        keep_feet=True,
        lin_vel_x=(-1.0, 1.0),
        lin_vel_y=(-1.0, 1.0),
        ang_vel_yaw=(-1.0, 1.0),
        command_deadband=0.2,
        heading_frame_lin_vel=True,
        max_roll=0.4,
        max_pitch=0.4,
        terminate_on_base_contact=True,
        min_base_height=0.0,
        joint_noise=0.3,
        base_xy_noise=1.0,
        base_tilt_noise=0.1,
        base_yaw_range=(0.0, 3.14),
        observation_noise=(0.1, 0.02, 0.01, 0.5),
        clip_observations=100.0,
        privileged=True,
        domain_randomization=True,
        reward_scales={
            "tracking_lin_vel": 1.0,
            "tracking_ang_vel": 0.5,
            "lin_vel_z": -2.0,
            "ang_vel_xy": -0.05,
            "orientation": -10.0,
            "base_height": -50.0,
            "torques": -0.0002,
            "collision": -1.0,
            "dof_acc": -2.5e-7,
            "feet_air_time": 1.0,
            "action_rate": -0.01,
        },
    ),
}
"""Paper task name -> its configuration."""

"""Manager-based task configs of the stand-in: the real action terms and soft-limit factors, invented robots.

Real facts: velocity tasks drive every joint with ``JointPositionActionCfg(asset_name="robot", joint_names=[".*"],
scale=0.5, use_default_offset=True)`` (manager_based/locomotion/velocity/velocity_env_cfg.py); Franka lift uses
``arm_action`` on ``panda_joint.*`` with scale 0.5 and cabinet with scale 1.0, both plus a
``BinaryJointPositionActionCfg`` ``gripper_action`` on ``panda_finger.*`` (manipulation/{lift,cabinet}/config/
franka/joint_pos_env_cfg.py); soft-limit factors are 0.95 for ANYmal, 0.9 for the Unitree robots and 1.0 for the
Franka (isaaclab_assets/robots/{anymal,unitree,franka}.py); the velocity policy group corrupts with ``Unoise``
and there is no critic group. Invented: every limit and default pose, the observation terms' selection, rewards,
the joint-0 termination, and the rough variants (same as the flat ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isaaclab.assets import ArticulationCfg
from isaaclab.envs.manager_based_rl_env import ManagerBasedRLEnvCfg, SimulationCfg
from isaaclab.envs.mdp import (
    generated_commands,
    joint_pos_out_of_limit,
    joint_pos_rel,
    joint_vel_rel,
    last_action,
    time_out,
    track_command,
)
from isaaclab.envs.mdp.actions import BinaryJointPositionActionCfg, JointPositionActionCfg
from isaaclab.managers import (
    ObservationGroupCfg,
    ObservationTermCfg,
    RewardTermCfg,
    TerminationTermCfg,
    UniformNoiseCfg,
)
from isaaclab.scene import InteractiveSceneCfg


def invented_robot(names: list[str], factor: float) -> ArticulationCfg:
    """Asymmetric invented limits around an off-centre default pose, one pattern per joint index."""
    limits = tuple((-1.0 - 0.1 * (i % 3), 0.8 + 0.15 * (i % 4)) for i in range(len(names)))
    default = tuple(0.1 * ((i % 5) - 2) for i in range(len(names)))
    return ArticulationCfg(tuple(names), limits, default, soft_joint_pos_limit_factor=factor)


ANYMAL = [f"{leg}_{j}" for leg in ("LF", "RF", "LH", "RH") for j in ("HAA", "HFE", "KFE")]
FRANKA = [f"panda_joint{i}" for i in range(1, 8)] + ["panda_finger_joint1", "panda_finger_joint2"]


def _policy(command: str | None) -> ObservationGroupCfg:
    terms = {}
    if command is not None:
        terms["velocity_commands"] = ObservationTermCfg(func=generated_commands, params={"command_name": command})
    terms["joint_pos"] = ObservationTermCfg(func=joint_pos_rel, noise=UniformNoiseCfg(-0.01, 0.01))
    terms["joint_vel"] = ObservationTermCfg(func=joint_vel_rel, noise=UniformNoiseCfg(-0.1, 0.1))
    terms["actions"] = ObservationTermCfg(func=last_action)
    return ObservationGroupCfg(terms=terms, enable_corruption=True)


def _terminations() -> dict[str, TerminationTermCfg]:
    return {
        "time_out": TerminationTermCfg(func=time_out, time_out=True),
        "joint_limit": TerminationTermCfg(func=joint_pos_out_of_limit),
    }


@dataclass
class LocomotionVelocityEnvCfg(ManagerBasedRLEnvCfg):
    """Velocity tracking: 20 s episodes, ``sim.dt`` 0.005, decimation 4 (real values)."""

    sim: SimulationCfg = field(default_factory=lambda: SimulationCfg(dt=0.005))
    decimation: int = 4
    episode_length_s: float = 20.0

    def __post_init__(self) -> None:
        self.observations = {"policy": _policy("base_velocity")}
        self.actions = {
            "joint_pos": JointPositionActionCfg(
                asset_name="robot", joint_names=[".*"], scale=0.5, use_default_offset=True
            )
        }
        self.commands = {"base_velocity": 3}
        self.rewards = {"track": RewardTermCfg(func=track_command, weight=1.0)}
        self.terminations = _terminations()


def _velocity(names: list[str], factor: float) -> type[LocomotionVelocityEnvCfg]:
    robot = invented_robot(names, factor)

    @dataclass
    class Cfg(LocomotionVelocityEnvCfg):
        scene: InteractiveSceneCfg = field(default_factory=lambda: InteractiveSceneCfg(num_envs=4096, robot=robot))

    return Cfg


AnymalCFlatEnvCfg = AnymalCRoughEnvCfg = _velocity(ANYMAL, 0.95)
AnymalDFlatEnvCfg = AnymalDRoughEnvCfg = _velocity(ANYMAL, 0.95)
G1FlatEnvCfg = G1RoughEnvCfg = _velocity([f"g1_joint_{i}" for i in range(37)], 0.9)
H1FlatEnvCfg = H1RoughEnvCfg = _velocity([f"h1_joint_{i}" for i in range(19)], 0.9)


def _franka(arm_scale: float, command: str | None) -> type[ManagerBasedRLEnvCfg]:
    robot = invented_robot(FRANKA, 1.0)

    @dataclass
    class Cfg(ManagerBasedRLEnvCfg):
        scene: InteractiveSceneCfg = field(default_factory=lambda: InteractiveSceneCfg(num_envs=4096, robot=robot))
        sim: SimulationCfg = field(default_factory=lambda: SimulationCfg(dt=0.01))
        decimation: int = 2
        episode_length_s: float = 5.0

        def __post_init__(self) -> None:
            self.observations = {"policy": _policy(command)}
            self.actions = {
                "arm_action": JointPositionActionCfg(
                    asset_name="robot", joint_names=["panda_joint.*"], scale=arm_scale, use_default_offset=True
                ),
                "gripper_action": BinaryJointPositionActionCfg(asset_name="robot", joint_names=["panda_finger.*"]),
            }
            self.commands = {command: 7} if command is not None else {}
            self.rewards = {"track": RewardTermCfg(func=track_command, weight=1.0)}
            self.terminations = _terminations()

    return Cfg


FrankaCubeLiftEnvCfg = _franka(0.5, "object_pose")
FrankaCabinetEnvCfg = _franka(1.0, None)

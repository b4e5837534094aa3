"""The paper's eight ManiSkill3 tasks, with their real registrations and sizes and invented dynamics.

Per task, from the real source (``mani_skill/envs/tasks/...`` of the 3.0.1 wheel):

================================  ====  ==========================================  ====  ====  ==========
id                                 T    robot (default ``robot_uids``)               obs   act   max reward
================================  ====  ==========================================  ====  ====  ==========
PickSingleYCB-v1                   50   panda_wristcam (tabletop/pick_single_ycb)    45    8     6
PegInsertionSide-v1               100   panda_wristcam (tabletop/peg_insertion_side) 43    8     10
UnitreeG1TransportBox-v1          100   G1 upper body (humanoid/transport_box)       77    25    5
UnitreeG1PlaceAppleInBowl-v1      100   G1 upper body (humanoid/humanoid_pick_place) 74    25    10
LiftPegUpright-v1                  50   panda (tabletop/lift_peg_upright)            32    8     3
PokeCube-v1                        50   panda (tabletop/poke_cube)                   54    8     10
PullCube-v1                        50   panda (tabletop/pull_cube)                   35    8     3
RollBall-v1                        80   panda (tabletop/roll_ball)                   44    8     30
================================  ====  ==========================================  ====  ====  ==========

T is the registered ``max_episode_steps``. Observation sizes are derived from the source, not measured: the
agent's ``qpos`` and ``qvel`` (Panda 9 + 9, agents/robots/panda/panda.py; G1 upper body 25 + 25,
agents/robots/unitree_g1/g1_upper_body.py) plus each task's ``_get_obs_extra`` in state mode (e.g. PokeCube:
tcp_pose 7, cube_pose 7, peg_pose 7, goal_pos 3 and four 3-vectors = 36). Actions: ``pd_joint_delta_pos``, the
robots' first (default) controller: Panda 7 arm deltas in +-0.1 rad plus one gripper target in [-0.01, 0.04]
driving both mimic fingers; G1 25 joint deltas, +-0.2 for the 11 body/arm joints and +-0.5 for the 14 finger joints.
Max reward: the divisor of each task's ``compute_normalized_dense_reward``. PickSingleYCB and PegInsertionSide
default ``reconfiguration_freq`` to 1 for one env and 0 otherwise. Goal radii are invented where the task has
none (PokeCube's 0.05 and PullCube/RollBall's 0.1 are real). No paper task reports ``fail``.
"""

from __future__ import annotations

from typing import Any

from mani_skill.envs.sapien_env import BaseEnv, Robot
from mani_skill.utils.registration import register_env

__all__ = [
    "LiftPegUprightEnv",
    "PegInsertionSideEnv",
    "PickSingleYCBEnv",
    "PokeCubeEnv",
    "PullCubeEnv",
    "RollBallEnv",
    "TransportBoxEnv",
    "UnitreeG1PlaceAppleInBowlEnv",
]

PANDA = Robot("panda", 9, (-0.1,) * 7 + (-0.01,), (0.1,) * 7 + (0.04,), gripper=True)
PANDA_WRISTCAM = Robot("panda_wristcam", 9, PANDA.delta_low, PANDA.delta_high, gripper=True)
G1 = Robot(
    "unitree_g1_simplified_upper_body_with_head_camera",
    25,
    (-0.2,) * 11 + (-0.5,) * 14,
    (0.2,) * 11 + (0.5,) * 14,
    gripper=False,
)


class _Task(BaseEnv):
    """A stand-in task: its robot is fixed by the class, other keywords go to :class:`BaseEnv`."""

    def __init__(self, *args: Any, robot_uids: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, robot_uids=robot_uids or self.robot.uid, **kwargs)


class _ReconfiguringTask(_Task):
    """Tasks whose ``reconfiguration_freq`` defaults to 1 for a single env and 0 otherwise."""

    def __init__(self, *args: Any, num_envs: int = 1, reconfiguration_freq: int | None = None, **kwargs: Any) -> None:
        if reconfiguration_freq is None:
            reconfiguration_freq = 1 if num_envs == 1 else 0
        super().__init__(*args, num_envs=num_envs, reconfiguration_freq=reconfiguration_freq, **kwargs)


@register_env("PickSingleYCB-v1", max_episode_steps=50, asset_download_ids=["ycb"])
class PickSingleYCBEnv(_ReconfiguringTask):
    """Pick a YCB object and lift it to a goal (stand-in dynamics: push it to the goal)."""

    SUPPORTED_ROBOTS = ["panda", "panda_wristcam", "fetch"]
    robot, obs_dim, max_reward, goal_radius = PANDA_WRISTCAM, 45, 6.0, 0.025


@register_env("PegInsertionSide-v1", max_episode_steps=100)
class PegInsertionSideEnv(_ReconfiguringTask):
    """Insert a peg into a box's side hole (stand-in dynamics: push it to the goal)."""

    SUPPORTED_ROBOTS = ["panda_wristcam"]
    robot, obs_dim, max_reward, goal_radius = PANDA_WRISTCAM, 43, 10.0, 0.02


@register_env("UnitreeG1TransportBox-v1", max_episode_steps=100)
class TransportBoxEnv(_Task):
    """G1 carries a box from one table to the other (stand-in dynamics: push it to the goal)."""

    SUPPORTED_ROBOTS = ["unitree_g1_simplified_upper_body_with_head_camera"]
    robot, obs_dim, max_reward, goal_radius = G1, 77, 5.0, 0.1


@register_env("UnitreeG1PlaceAppleInBowl-v1", max_episode_steps=100)
class UnitreeG1PlaceAppleInBowlEnv(_Task):
    """G1 places an apple in a bowl (stand-in dynamics: push it to the goal)."""

    SUPPORTED_ROBOTS = ["unitree_g1_simplified_upper_body_with_head_camera"]
    robot, obs_dim, max_reward, goal_radius = G1, 74, 10.0, 0.05


@register_env("LiftPegUpright-v1", max_episode_steps=50)
class LiftPegUprightEnv(_Task):
    """Stand a lying peg upright (stand-in dynamics: push it to the goal)."""

    SUPPORTED_ROBOTS = ["panda", "fetch"]
    robot, obs_dim, max_reward, goal_radius = PANDA, 32, 3.0, 0.05


@register_env("PokeCube-v1", max_episode_steps=50)
class PokeCubeEnv(_Task):
    """Poke a cube with a peg to a goal region."""

    SUPPORTED_ROBOTS = ["panda", "fetch"]
    robot, obs_dim, max_reward, goal_radius = PANDA, 54, 10.0, 0.05


@register_env("PullCube-v1", max_episode_steps=50)
class PullCubeEnv(_Task):
    """Pull a cube back to a goal region."""

    SUPPORTED_ROBOTS = ["panda", "fetch"]
    robot, obs_dim, max_reward, goal_radius = PANDA, 35, 3.0, 0.1


@register_env("RollBall-v1", max_episode_steps=80)
class RollBallEnv(_Task):
    """Roll a ball into a goal region."""

    SUPPORTED_ROBOTS = ["panda"]
    robot, obs_dim, max_reward, goal_radius = PANDA, 44, 30.0, 0.1

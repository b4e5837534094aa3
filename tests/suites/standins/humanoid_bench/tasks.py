"""The 14 H1 tasks of the stand-in, with the real package's facts and rewards computed on the cheap body.

Real facts, per task (file of the real repository, commit 791405f5):

* ``Task`` base: ``frame_skip`` 10, ``max_episode_steps`` 1000, observation = ``qpos`` then ``qvel``, step info
  = ``{"per_timestep_reward": reward, **reward_info, **terminated_info}``, truncation never set by the task
  (humanoid_bench/tasks.py).
* walk/stand/run/crawl/hurdle/stair/slide and sit_simple/sit_hard: move speeds, reward terms and their info
  keys, ``success_bar`` and terminations (humanoid_bench/envs/basic_locomotion_envs.py); sit_hard's start pose is
  drawn from NumPy's global generator.
* balance_simple/hard: 7/14 extra ``qpos`` and 6/12 extra ``qvel`` entries (free bodies), terminations
  (humanoid_bench/envs/balance.py). maze: checkpoints and stage bonus (humanoid_bench/envs/maze.py). pole:
  humanoid_bench/envs/pole.py. reach: observation = robot ``qpos``, ``qvel``, left hand and goal (57 entries),
  goal from NumPy's global generator, no termination (humanoid_bench/envs/reach.py).
* Start poses: the ``qpos0`` keyframes of humanoid_bench/assets/envs/h1_pos_<task>.xml; the sit chair sits at
  x = -0.25 (assets/tasks/sit_simple.xml).

Invented here: everything measured on the body (see body.py). Contact-based terms (wall/pole collision discounts)
are always 1 and balance's "board or sphere touches the floor" terminations become "the body tilts past 0.6 rad",
since the stand-in has no geometry.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Box

from .rewards import tolerance

_STAND_HEIGHT = 1.65
_CRAWL_HEIGHT = 0.8
_H1_QPOS0 = "0 0 0.98 1 0 0 0 0 0 -0.4 0.8 -0.4 0 0 -0.4 0.8 -0.4 0 0 0 0 0 0 0 0 0"
_BALANCE_QPOS0 = "-0.1 0 1.38 1 0 0 0 0 0 -0.4 0.8 -0.4 0 0 -0.4 0.8 -0.4 0 0 0 0 0 0 0 0 0"
ROBOT_DOF = 26  # H1.dof in humanoid_bench/robots.py: 7 free-joint + 19 joint qpos entries


class Task:
    """Base task: observation, step and info layout of humanoid_bench/tasks.py."""

    qpos0 = _H1_QPOS0
    dof = 0
    vels = 0
    frame_skip = 10
    camera_name = "cam_default"
    max_episode_steps = 1000
    success_bar = 0.0
    kwargs: dict[str, Any] = {}

    def __init__(self, env: Any) -> None:
        self._env = env

    @property
    def observation_space(self) -> Box:
        return Box(low=-np.inf, high=np.inf, shape=(ROBOT_DOF * 2 - 1 + self.dof + self.vels,), dtype=np.float64)

    def get_obs(self) -> np.ndarray:
        return np.concatenate((self._env.qpos(), self._env.qvel()))

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        return 0.0, {}

    def get_terminated(self) -> tuple[bool, dict[str, Any]]:
        return False, {}

    def reset_model(self) -> np.ndarray:
        return self.get_obs()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        env = self._env
        ctrl = (np.asarray(action, dtype=np.float64) + 1) / 2 * (env.action_high - env.action_low) + env.action_low
        env.body.step(ctrl, self.frame_skip)
        obs = self.get_obs()
        reward, reward_info = self.get_reward()
        terminated, terminated_info = self.get_terminated()
        info = {"per_timestep_reward": reward, **reward_info, **terminated_info}
        return obs, float(reward), bool(terminated), False, info

    # Shared reward terms (the same expressions in every locomotion file of the real package).
    def _small_control(self) -> float:
        forces = self._env.body.force
        return (4 + float(np.mean(tolerance(forces, margin=10, value_at_margin=0, sigmoid="quadratic")))) / 5

    def _standing(self, height: float = _STAND_HEIGHT) -> float:
        return float(tolerance(self._env.body.head_height(), bounds=(height, float("inf")), margin=height / 4))

    def _upright(self, bound: float = 0.9) -> float:
        body = self._env.body
        return float(
            tolerance(body.upright, bounds=(bound, float("inf")), sigmoid="linear", margin=1.9, value_at_margin=0)
        )

    def _move(self, speed: float, velocity: float | None = None) -> float:
        v = self._env.body.lin_vel[0] if velocity is None else velocity
        move = tolerance(v, bounds=(speed, float("inf")), margin=speed, value_at_margin=0, sigmoid="linear")
        return (5 * float(move) + 1) / 6

    def _dont_move(self) -> float:
        return float(np.mean(tolerance(self._env.body.lin_vel[:2], margin=2)))


class Walk(Task):
    _move_speed = 1.0
    success_bar = 700.0

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        standing, upright, small_control = self._standing(), self._upright(), self._small_control()
        stand_reward = standing * upright
        common = {"small_control": small_control, "stand_reward": stand_reward}
        if self._move_speed == 0:
            dont_move = self._dont_move()
            info = {**common, "dont_move": dont_move, "standing": standing, "upright": upright}
            return small_control * stand_reward * dont_move, info
        move = self._move(self._move_speed)
        info = {**common, "move": move, "standing": standing, "upright": upright}
        return small_control * stand_reward * move, info

    def get_terminated(self) -> tuple[bool, dict[str, Any]]:
        return bool(self._env.body.pos[2] < 0.2), {}


class Stand(Walk):
    _move_speed = 0.0
    success_bar = 800.0


class Run(Walk):
    _move_speed = 5.0


class Crawl(Walk):
    def get_reward(self) -> tuple[float, dict[str, Any]]:
        body = self._env.body
        small_control, move = self._small_control(), self._move(1.0)
        band = (_CRAWL_HEIGHT - 0.2, _CRAWL_HEIGHT + 0.2)
        crawling_head = float(tolerance(body.head_height(), bounds=band, margin=1))
        crawling = float(tolerance(body.pos[2], bounds=band, margin=1))
        reward_xquat = float(tolerance(np.linalg.norm(body.quat - np.array([0.75, 0, 0.65, 0])), margin=1))
        in_tunnel = float(tolerance(body.pos[1], bounds=(-1, 1), margin=0))
        reward = (
            0.1 * small_control + 0.25 * min(crawling, crawling_head) + 0.4 * move + 0.25 * reward_xquat
        ) * in_tunnel
        info = {"crawling": crawling, "crawling_head": crawling_head, "small_control": small_control, "move": move}
        return reward, {**info, "in_tunnel": in_tunnel}

    def get_terminated(self) -> tuple[bool, dict[str, Any]]:
        return False, {}


class ClimbingUpwards(Walk):
    def get_reward(self) -> tuple[float, dict[str, Any]]:
        # The real one measures head height above each foot; the stand-in's feet are on the floor.
        standing = float(tolerance(self._env.body.head_height(), bounds=(1.2, float("inf")), margin=0.45)) ** 2
        upright, small_control, move = self._upright(0.5), self._small_control(), self._move(1.0)
        stand_reward = standing * upright
        info = {"stand_reward": stand_reward, "small_control": small_control, "move": move}
        return stand_reward * small_control * move, {**info, "standing": standing, "upright": upright}

    def get_terminated(self) -> tuple[bool, dict[str, Any]]:
        return self._env.body.upright < 0.1, {}


class Stair(ClimbingUpwards):
    pass


class Slide(ClimbingUpwards):
    pass


class Hurdle(Walk):
    _move_speed = 5.0
    camera_name = "cam_hurdle"

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        standing, upright, small_control = self._standing(), self._upright(0.8), self._small_control()
        stand_reward, move = standing * upright, self._move(self._move_speed)
        wall_collision_discount = 1
        info = {"stand_reward": stand_reward, "small_control": small_control, "move": move, "standing": standing}
        info = {**info, "upright": upright, "wall_collision_discount": wall_collision_discount}
        return small_control * stand_reward * move * wall_collision_discount, info


class Sit(Task):
    success_bar = 750.0
    _chair_xy = np.array([-0.25, 0.0])  # assets/tasks/sit_simple.xml: <body name="chair" pos="-0.25 0 0">

    def chair_xy(self) -> np.ndarray:
        return self._chair_xy

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        body = self._env.body
        sitting = float(tolerance(body.pos[2], bounds=(0.68, 0.72), margin=0.2))
        offset = body.pos[:2] - self.chair_xy()
        on_chair = float(tolerance(offset[0], bounds=(-0.19, 0.19), margin=0.2) * tolerance(offset[1], margin=0.1))
        posture = float(tolerance(body.head_height() - body.pos[2], bounds=(0.35, 0.45), margin=0.3))
        upright = float(
            tolerance(body.upright, bounds=(0.95, float("inf")), sigmoid="linear", margin=0.9, value_at_margin=0)
        )
        sit_reward = (0.5 * sitting + 0.5 * on_chair) * upright * posture
        small_control, dont_move = self._small_control(), self._dont_move()
        info = {"small_control": small_control, "sit_reward": sit_reward, "dont_move": dont_move}
        info = {**info, "sitting": sitting, "upright": upright, "sitting_posture": posture}
        return small_control * sit_reward * dont_move, info

    def get_terminated(self) -> tuple[bool, dict[str, Any]]:
        return bool(self._env.body.pos[2] < 0.5), {}


class SitHard(Sit):
    qpos0 = _H1_QPOS0 + " -0.25 0 0 1 0 0 0"
    dof = 7
    vels = 6

    def chair_xy(self) -> np.ndarray:
        return self._env.extra_qpos[:2]

    def reset_model(self) -> np.ndarray:
        # The real task moves the robot with NumPy's global generator (not the env's seeded np_random).
        qpos = self._env.qpos()
        qpos[0] = np.random.uniform(0.2, 0.4)
        qpos[1] = np.random.uniform(-0.15, 0.15)
        yaw = np.random.uniform(-1.8, 1.8)
        qpos[3:7] = [np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)]
        self._env.set_state(qpos)
        return super().reset_model()


class BalanceBase(Task):
    success_bar = 800.0

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        standing, upright, small_control = self._standing(_STAND_HEIGHT + 0.37), self._upright(), self._small_control()
        stand_reward, dont_move = standing * upright, self._dont_move()
        info = {"small_control": small_control, "stand_reward": stand_reward, "dont_move": dont_move}
        return small_control * stand_reward * dont_move, {**info, "standing": standing, "upright": upright}

    def get_terminated(self) -> tuple[bool, dict[str, Any]]:
        body = self._env.body
        return bool(body.pos[2] < 0.8 or max(abs(body.roll), abs(body.pitch)) > 0.6), {}


class BalanceSimple(BalanceBase):
    qpos0 = _BALANCE_QPOS0 + " 0 0 0.37 1 0 0 0"
    dof = 7
    vels = 6


class BalanceHard(BalanceBase):
    qpos0 = _BALANCE_QPOS0 + " 0 0 0.37 1 0 0 0 0 0 0.17 1 0 0 0"
    dof = 14
    vels = 12


class Maze(Walk):
    camera_name = "cam_maze"
    success_bar = 1200.0
    checkpoints = np.array([[0, 0], [3, 0], [3, 6], [6, 6], [6, 6]], dtype=np.float64)
    _directions = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [0, 1]], dtype=np.float64)  # on reaching checkpoint i

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.move_direction, self.maze_stage = np.array([1.0, 0.0]), 0

    def reset_model(self) -> np.ndarray:
        self.move_direction, self.maze_stage = np.array([1.0, 0.0]), 0
        return super().reset_model()

    def _update_stage(self) -> float:
        if np.linalg.norm(self._env.body.pos[:2] - self.checkpoints[self.maze_stage]) >= 0.4:
            return 0.0
        self.move_direction = self._directions[self.maze_stage]
        previous, self.maze_stage = self.maze_stage, min(self.maze_stage + 1, 4)
        return 100.0 * self.maze_stage if self.maze_stage > previous else 0.0

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        body = self._env.body
        stand_reward, small_control = self._standing() * self._upright(), self._small_control()
        stage_convert_reward, wall_collision_discount = self._update_stage(), 1
        target = self.move_direction * 2.0
        move = float(
            tolerance(body.lin_vel[0] - target[0], margin=1, value_at_margin=0, sigmoid="linear")
            * tolerance(body.lin_vel[1] - target[1], margin=1, value_at_margin=0, sigmoid="linear")
        )
        move = (5 * (1.0 if self.maze_stage == len(self.checkpoints) - 1 else move) + 1) / 6
        proximity = float(tolerance(np.linalg.norm(self.checkpoints[self.maze_stage] - body.pos[:2]), margin=1))
        reward = (0.2 * stand_reward * small_control + 0.4 * move + 0.4 * proximity) * wall_collision_discount
        info = {"stand_reward": stand_reward, "small_control": small_control, "move": move}
        info = {
            **info,
            "wall_collision_discount": wall_collision_discount,
            "stage_convert_reward": stage_convert_reward,
        }
        info = {**info, "checkpoint_proximity_reward": proximity, "success_subtasks": self.maze_stage}
        return reward + stage_convert_reward, info


class Pole(Task):
    success_bar = 700.0

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        standing, upright, small_control = self._standing(), self._upright(), self._small_control()
        stand_reward, move, collision_discount = standing * upright, self._move(0.5), 1
        info = {"stand_reward": stand_reward, "small_control": small_control, "move": move, "standing": standing}
        info = {**info, "upright": upright, "collision_discount": collision_discount}
        return (0.5 * small_control * stand_reward + 0.5 * move) * collision_discount, info

    def get_terminated(self) -> tuple[bool, dict[str, Any]]:
        return bool(self._env.body.pos[2] < 0.5), {}


class Reach(Task):
    success_bar = 12000.0
    target_low = np.array([-2.0, -2.0, 0.2])
    target_high = np.array([2.0, 2.0, 2.0])

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.goal = np.zeros(3)

    @property
    def observation_space(self) -> Box:
        return Box(low=-np.inf, high=np.inf, shape=(ROBOT_DOF * 2 - 1 + 6,), dtype=np.float64)

    def get_obs(self) -> np.ndarray:
        qpos, qvel = self._env.qpos()[:ROBOT_DOF], self._env.qvel()[: ROBOT_DOF - 1]
        return np.concatenate((qpos, qvel, self._env.body.left_hand_position(), self.goal))

    def get_reward(self) -> tuple[float, dict[str, Any]]:
        hand_dist = float(np.linalg.norm(self._env.body.left_hand_position() - self.goal))
        healthy_reward = self._env.body.upright * 5.0
        motion_penalty = float(np.square(self._env.qvel()[: ROBOT_DOF - 1]).sum())
        reward_close = 5 if hand_dist < 1 else 0
        reward_success = 10 if hand_dist < 0.05 else 0
        reward = healthy_reward - 0.0001 * motion_penalty + reward_close + reward_success
        info = {"hand_dist": hand_dist, "healthy_reward": healthy_reward, "motion_penalty": motion_penalty}
        return reward, {**info, "reward_close": reward_close, "reward_success": reward_success}

    def reset_model(self) -> np.ndarray:
        self.goal = np.random.uniform(self.target_low, self.target_high, size=(3,))
        return self.get_obs()


TASKS: dict[str, type[Task]] = {
    "stand": Stand,
    "walk": Walk,
    "run": Run,
    "maze": Maze,
    "hurdle": Hurdle,
    "crawl": Crawl,
    "reach": Reach,
    "sit_simple": Sit,
    "sit_hard": SitHard,
    "balance_simple": BalanceSimple,
    "balance_hard": BalanceHard,
    "stair": Stair,
    "slide": Slide,
    "pole": Pole,
}

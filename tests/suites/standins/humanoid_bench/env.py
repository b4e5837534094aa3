"""``HumanoidEnv``: the stand-in for humanoid_bench/env.py, with the real constructor, spaces, reset and seed hook.

Real facts (humanoid_bench/env.py, commit 791405f5): keyword arguments ``robot``, ``control``, ``task``,
``render_mode="rgb_array"`` (the default: the real env opens an offscreen renderer unless told ``None``),
``width``/``height`` 256 and ``randomness`` 0.01; ``metadata`` render modes and ``render_fps`` 50 (so
``dt`` = 0.002 s x ``frame_skip`` 10 = 0.02 s); the action space replaced by ``Box(-1, 1, (nu,), float32)`` with
``action_low``/``action_high`` kept for un-normalising; reset = keyframe ``qpos0`` plus uniform noise of
+-``randomness`` on every ``qpos`` entry drawn from the env's seeded ``np_random``, zero velocities, then the task's
``reset_model``; ``step`` delegated to the task; ``seed(seed)`` seeds NumPy's global generator.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.spaces import Box

from .body import CTRL_HIGH, CTRL_LOW, NU, TIMESTEP, Body
from .tasks import ROBOT_DOF, TASKS, Task

DEFAULT_RANDOMNESS = 0.01
ROBOTS = ("h1",)  # the real package also has h1hand, h1simplehand, h1strong, h1touch and g1


class HumanoidEnv(gym.Env):
    """One H1 task on the cheap body, behind humanoid_bench's ``HumanoidEnv`` interface."""

    metadata: dict[str, Any] = {"render_modes": ["human", "rgb_array", "depth_array"], "render_fps": 50}

    def __init__(
        self,
        robot: str | None = None,
        control: str | None = None,
        task: str | None = None,
        render_mode: str | None = "rgb_array",
        width: int = 256,
        height: int = 256,
        randomness: float = DEFAULT_RANDOMNESS,
        **kwargs: Any,
    ) -> None:
        assert robot and control and task, f"{robot} {control} {task}"
        if robot not in ROBOTS or control != "pos":
            raise ValueError(f"The stand-in has only the position-controlled H1, not {robot}/{control}.")
        self.render_mode, self.width, self.height = render_mode, width, height
        self.task: Task = TASKS[task](self)
        self.frame_skip = self.task.frame_skip
        self.observation_space = self.task.observation_space
        self.action_low, self.action_high = CTRL_LOW.astype(np.float32), CTRL_HIGH.astype(np.float32)
        self.action_space = Box(low=-1, high=1, shape=(NU,), dtype=np.float32)
        self.randomness = randomness
        self.init_qpos = np.array(self.task.qpos0.split(), dtype=np.float64)
        self.body = Body(self.init_qpos)
        self.extra_qpos = self.init_qpos[ROBOT_DOF:].copy()

    @property
    def dt(self) -> float:
        """Seconds of simulated time per step."""
        return TIMESTEP * self.frame_skip

    def qpos(self) -> np.ndarray:
        """Generalised positions: pelvis position and quaternion, 19 joints, then the task's free bodies."""
        body = self.body
        return np.concatenate((body.pos, body.quat, body.q, self.extra_qpos))

    def qvel(self) -> np.ndarray:
        """Generalised velocities: pelvis linear and angular, 19 joints, then the task's (resting) free bodies."""
        body = self.body
        return np.concatenate((body.lin_vel, body.ang_vel, body.qd, np.zeros(self.task.vels)))

    def set_state(self, qpos: np.ndarray) -> None:
        """Place the robot and the task's bodies at ``qpos``, at rest."""
        self.body.set_qpos(qpos)
        self.extra_qpos = np.array(qpos[ROBOT_DOF:], dtype=np.float64)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        """Keyframe plus +-``randomness`` noise from the seeded ``np_random``, then the task's reset."""
        super().reset(seed=seed)
        r = self.randomness
        self.set_state(self.init_qpos + self.np_random.uniform(-r, r, size=self.init_qpos.size))
        return self.task.reset_model(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Delegate to the task, as the real env does."""
        return self.task.step(action)

    def seed(self, seed: int | None = None) -> None:
        """The real env's hook: seeds NumPy's global generator (reach goals, sit_hard start poses)."""
        np.random.seed(seed)

    def render(self) -> np.ndarray:  # pyright: ignore[reportIncompatibleMethodOverride]
        """A crude side view: a white bar from the floor to the head height, on black."""
        if self.render_mode != "rgb_array":
            raise RuntimeError(f"The stand-in renders only render_mode='rgb_array', not {self.render_mode!r}.")
        frame = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        top = int(self.height * (1 - min(max(self.body.head_height(), 0.0), 2.0) / 2.0))
        frame[top:, self.width // 2 - 4 : self.width // 2 + 4] = 255
        return frame

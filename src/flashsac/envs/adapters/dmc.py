"""The ``dmc`` family: every DeepMind Control suite task, named ``domain-task`` (``cartpole-swingup``).

Each dm_control environment sits behind a thin ``gymnasium.Env`` (:class:`DMCEnv`, below) and is lifted into
the contract by :class:`~flashsac.envs.gymnasium_vec.GymnasiumVecEnv`. ``shimmy[dm-control]`` 2.0.1 would
install cleanly next to gymnasium 1.4 and dm-control 1.0.50, but it returns dict observations (needing a
further ``FlattenObservation``, which orders keys alphabetically rather than as the task emits them) and
pulls in h5py, imageio and gymnasium's MuJoCo renderer; the ~60-line wrapper here avoids both. Its episode-end
mapping (LAST with discount 0 -> terminated, else truncated) is the same as below.

Episodes last 1000 env steps (the paper's setting, and the suite's own default for every task but LQR): the
suite's time limit is switched off and a gymnasium ``TimeLimit`` truncates instead, so
``EnvSpec.max_episode_steps`` is exactly the effective limit whatever the task's control timestep. dm_control
itself reports an episode end as step type LAST with discount 0 (terminal: ``terminated``) or discount > 0
(time limit: ``truncated``).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import gymnasium as gym
import numpy as np

from flashsac.envs.adapters.mujoco import RENDER_SIZE, actuated_joint_names, select_gl_backend
from flashsac.envs.gymnasium_vec import GymnasiumVecEnv
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = ["DEFAULT_EPISODE_STEPS", "SOLVED_RETURNS", "TASKS_HINT", "DMCEnv", "list_tasks", "make", "require"]

TASKS_HINT = "DeepMind Control suite tasks as domain-task, e.g. cartpole-swingup, walker-walk, humanoid-run, dog-trot"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
DEFAULT_EPISODE_STEPS = 1000
_FIX = "pip install 'flashsac[dmc]'"
# Tasks whose reset needs an OpenGL context (quadruped-escape re-uploads its heightfield to it).
_NEEDS_OPENGL = frozenset({"quadruped-escape"})


def _select_gl_backend() -> bool:
    """Pick ``MUJOCO_GL`` unless the user did; return ``True`` when this module chose a rendering backend.

    Frames are rendered offscreen (``make(..., render=True)``), and quadruped-escape uploads its random
    terrain to an OpenGL context at every reset, so a headless backend is chosen: EGL, else OSMesa (see
    :func:`~flashsac.envs.adapters.mujoco.select_gl_backend`). Where neither exists rendering is disabled,
    because without any choice dm_control would probe GLFW, which needs a display.
    """
    chosen = select_gl_backend()
    if chosen is None and "MUJOCO_GL" not in os.environ:
        os.environ["MUJOCO_GL"] = "disable"
    return chosen is not None


def _suite() -> ModuleType:
    """Import ``dm_control.suite`` (no simulator starts), translating any failure into the install command."""
    chose_backend = _select_gl_backend()
    try:
        return importlib.import_module("dm_control.suite")
    except Exception as exc:  # ImportError, or e.g. AttributeError from an incompatible mujoco
        if chose_backend:
            # libEGL/libOSMesa is installed but unusable (e.g. no GPU visible): drop the half-imported package and
            # simulate without rendering, which every task but quadruped-escape supports.
            for name in [m for m in sys.modules if m == "dm_control" or m.startswith("dm_control.")]:
                del sys.modules[name]
            os.environ["MUJOCO_GL"] = "disable"
            return _suite()
        reason = " ".join(str(exc).split())
        raise MissingSimulatorError(
            f"env=dmc needs dm_control, which cannot be imported ({type(exc).__name__}: {reason}); fix: {_FIX}"
        ) from exc


def require() -> None:
    """Check that dm_control imports.

    Raises:
        MissingSimulatorError: with the reason and the install command.
    """
    _suite()


def list_tasks() -> list[str]:
    """Every suite task as ``domain-task`` (domain and task names keep their underscores)."""
    return [f"{domain}-{task}" for domain, task in _suite().ALL_TASKS]


def _flatten(observation: dict[str, Any]) -> np.ndarray:
    """Concatenate a dm_control observation dict, in the dict's order, into one float32 vector."""
    return np.concatenate([np.asarray(value, dtype=np.float32).ravel() for value in observation.values()])


class DMCEnv(gym.Env):
    """One dm_control suite environment as a ``gymnasium.Env`` with a flat float32 observation.

    Args:
        domain: Suite domain, e.g. ``"cartpole"``.
        task: Suite task of that domain, e.g. ``"swingup"``.
        seed: Seed of the task's random state (``task_kwargs={"random": seed}``); ``reset(seed=s)``
            reseeds it.
        time_limit: The suite's own time limit in seconds; ``inf`` leaves episode length to a ``TimeLimit``.
        render_mode: ``"rgb_array"`` to offer :meth:`render`, else ``None``.
        render_size: Width and height of rendered frames in pixels.
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"]}

    def __init__(
        self,
        domain: str,
        task: str,
        seed: int | None = None,
        time_limit: float = float("inf"),
        render_mode: str | None = None,
        render_size: int = RENDER_SIZE,
    ) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"DMCEnv supports render_mode 'rgb_array' or None, got {render_mode!r}.")
        self.render_mode = render_mode
        self._render_size = render_size
        self._env = _suite().load(domain, task, task_kwargs={"random": seed, "time_limit": time_limit})
        size = sum(int(np.prod(spec.shape)) for spec in self._env.observation_spec().values())
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(size,), dtype=np.float32)
        action_spec = self._env.action_spec()
        low = np.broadcast_to(action_spec.minimum, action_spec.shape).astype(np.float32)
        high = np.broadcast_to(action_spec.maximum, action_spec.shape).astype(np.float32)
        self.action_space = gym.spaces.Box(low, high, dtype=np.float32)

    @property
    def dt(self) -> float:
        """Seconds of simulated time per env step."""
        return float(self._env.control_timestep())

    def joint_names(self) -> tuple[str, ...]:
        """Return what each actuator drives, in action order."""
        return actuated_joint_names(self._env.physics.model.ptr)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode; a seed reseeds the task's random state exactly as ``task_kwargs`` would."""
        super().reset(seed=seed)
        if seed is not None:
            self._env.task.random.seed(seed)
        return _flatten(self._env.reset().observation), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Advance one control step; LAST with discount 0 is terminal, LAST with discount > 0 a time limit."""
        timestep = self._env.step(np.asarray(action, dtype=np.float64))
        ended = timestep.last()
        terminated = bool(ended and timestep.discount == 0.0)
        truncated = bool(ended and not terminated)
        return _flatten(timestep.observation), float(timestep.reward or 0.0), terminated, truncated, {}

    def render(self) -> np.ndarray:  # pyright: ignore[reportIncompatibleMethodOverride]
        """The current state from the task's first camera as an ``(H, W, 3)`` uint8 frame (offscreen)."""
        if self.render_mode != "rgb_array":
            raise RuntimeError("DMCEnv was created without render_mode='rgb_array'.")
        size = self._render_size
        return self._env.physics.render(height=size, width=size, camera_id=0)

    def close(self) -> None:
        """Release the dm_control environment."""
        self._env.close()


def _joint_names(env: gym.Env) -> tuple[str, ...]:
    unwrapped = env.unwrapped
    return unwrapped.joint_names() if isinstance(unwrapped, DMCEnv) else ()


def make(request: EnvRequest) -> GymnasiumVecEnv:
    """Build ``num_envs`` copies of the suite task ``task`` (``domain-task``); env ``i`` gets ``seed + i``.

    Args:
        request: ``task`` is ``domain-task``, e.g. ``"ball_in_cup-catch"``; ``max_episode_steps=None`` gives the
            paper's 1000; ``render`` offers ``render(env_index)`` (camera 0, ``RENDER_SIZE`` square frames, through
            ``MUJOCO_GL``).
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    names = {f"{d}-{t}": (d, t) for d, t in _suite().ALL_TASKS}
    if task not in names:
        raise UnknownTaskError(f"env.task={task!r} is not a task of env=dmc. Valid choices: {', '.join(names)}.")
    domain, suite_task = names[task]
    if task in _NEEDS_OPENGL and importlib.import_module("dm_control._render").BACKEND == "off":
        raise MissingSimulatorError(
            f"env.task={task} uploads its random terrain to an OpenGL context at every reset, but rendering "
            f"is disabled (MUJOCO_GL={os.environ.get('MUJOCO_GL')}); fix: install libEGL (e.g. apt-get "
            "install libegl1) and set MUJOCO_GL=egl, or MUJOCO_GL=osmesa with libOSMesa."
        )

    def factory(env_seed: int) -> Callable[[], gym.Env]:
        return lambda: DMCEnv(domain, suite_task, seed=env_seed, render_mode="rgb_array" if render else None)

    env = GymnasiumVecEnv(
        task,
        [factory(seed + i) for i in range(num_envs)],
        device,
        max_episode_steps=max_episode_steps or DEFAULT_EPISODE_STEPS,
        joint_names=_joint_names,
    )
    env.reset(seed)
    return env

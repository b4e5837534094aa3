"""The ``myosuite`` family: the ten MyoSuite hand tasks of the FlashSAC paper, under the paper's names.

``myo-reach``, ``myo-pose``, ``myo-obj-hold``, ``myo-key-turn`` and ``myo-pen-twirl`` are MyoSuite's
``myoHand...Fixed-v0`` envs (a constant target and initial state); the ``-hard`` variants are the
``myoHand...Random-v0`` envs (targets, key angle, object and pen goal drawn at every reset). Each is made with
``gymnasium.make`` and lifted into the contract by :class:`~flashsac.envs.gymnasium_vec.GymnasiumVecEnv`:

* Seeds reach the simulator (the reference wrapper ignored them): env ``i`` is reset with ``seed + i`` and
  MyoSuite draws every random part of a reset from the env's own seeded ``np_random``. In the fixed variants
  a reset draws nothing, so every seed gives the same episode start.
* MyoSuite's per-step ``info["solved"]`` becomes ``info["success"]`` (bool) and is the only info key kept:
  the rest (observation and reward dicts) would be stacked by the vector env at every step for nothing.
* Episodes keep the package's own lengths (reach and pose 100 steps, obj-hold 75, key-turn 200, pen-twirl
  50); the task's ``done`` (fingertips too far, object or pen dropped, simulation diverged) is ``terminated``
  and the time limit ``truncated``. Actions are normalised muscle commands in ``[-1, 1]``.

MyoSuite 3.0 ships its models in the ``myo-sim`` wheel: these tasks need no download, git or network at
import or reset. It needs mujoco >= 3.7 (3.6 and older fail to build the hand models) and gymnasium < 1.3;
the extra pins mujoco 3.17.0 so that it shares a venv with the ``mujoco`` and ``dmc`` extras.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import gymnasium as gym
import numpy as np

from flashsac.envs.adapters.mujoco import RENDER_SIZE, gym_joint_names, select_gl_backend
from flashsac.envs.adapters.package_info import import_simulator, installed_version, release_parts
from flashsac.envs.gymnasium_vec import GymnasiumVecEnv
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = ["TASKS", "SOLVED_RETURNS", "TASKS_HINT", "MyoSuccess", "list_tasks", "make", "require"]

TASKS: dict[str, str] = {
    "myo-reach": "myoHandReachFixed-v0",
    "myo-reach-hard": "myoHandReachRandom-v0",
    "myo-pose": "myoHandPoseFixed-v0",
    "myo-pose-hard": "myoHandPoseRandom-v0",
    "myo-obj-hold": "myoHandObjHoldFixed-v0",
    "myo-obj-hold-hard": "myoHandObjHoldRandom-v0",
    "myo-key-turn": "myoHandKeyTurnFixed-v0",
    "myo-key-turn-hard": "myoHandKeyTurnRandom-v0",
    "myo-pen-twirl": "myoHandPenTwirlFixed-v0",
    "myo-pen-twirl-hard": "myoHandPenTwirlRandom-v0",
}
"""Paper task name -> MyoSuite gymnasium id."""

TASKS_HINT = "MyoSuite hand tasks myo-{reach,pose,obj-hold,key-turn,pen-twirl}[-hard], e.g. myo-key-turn-hard"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
_FIX = "pip install 'flashsac[myosuite]'"
_MYOSUITE_MAJOR = 3
# Oldest mujoco that builds every hand model of myosuite 3.0.0 (3.6.0 fails in MjSpec calls); 5.x is unknown.
_MUJOCO_MIN = (3, 7)
_MUJOCO_BELOW = (5, 0)
# A camera beside the hand (all ten models have it); other models render from the free camera.
_CAMERA = "hand_side_inter"


def _myosuite() -> ModuleType:
    """Check versions, then import ``myosuite`` (which registers its envs); any failure names the fix.

    Versions are read from package metadata first, so an incompatible mujoco is reported as such rather than
    as whatever attribute error the import or the first model build would raise.
    """
    myosuite_version = installed_version("myosuite")
    if myosuite_version is None:
        raise MissingSimulatorError(f"env=myosuite needs the myosuite package, which is not installed; fix: {_FIX}")
    if release_parts(myosuite_version)[:1] != (_MYOSUITE_MAJOR,):
        raise MissingSimulatorError(
            f"env=myosuite needs myosuite {_MYOSUITE_MAJOR}.x, found myosuite {myosuite_version}; fix: {_FIX}"
        )
    mujoco_version = installed_version("mujoco") or "none"
    if not _MUJOCO_MIN <= release_parts(mujoco_version)[:2] < _MUJOCO_BELOW:
        raise MissingSimulatorError(
            f"env=myosuite needs mujoco >= {'.'.join(map(str, _MUJOCO_MIN))} and < "
            f"{'.'.join(map(str, _MUJOCO_BELOW))}, found mujoco {mujoco_version}; fix: {_FIX}"
        )
    # mujoco picks its OpenGL backend when first imported, and myosuite imports it.
    select_gl_backend()
    return import_simulator("myosuite", "myosuite", _FIX, myosuite_version)


def require() -> None:
    """Check that myosuite 3.x imports next to a supported mujoco.

    Raises:
        MissingSimulatorError: naming what is missing or at which version, and the install command.
    """
    _myosuite()


def list_tasks() -> list[str]:
    """The paper's ten MyoSuite task names (nothing is imported)."""
    return list(TASKS)


class MyoSuccess(gym.Wrapper):
    """Keep only MyoSuite's ``solved`` flag, as ``info["success"]``; render at ``RENDER_SIZE`` beside the hand.

    Args:
        env: A MyoSuite env made with ``gymnasium.make``.
    """

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the wrapped env; its (empty) reset info is dropped."""
        obs, _ = self.env.reset(seed=seed, options=options)
        return obs, {}

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        """Step the wrapped env; info becomes ``{"success": bool(info["solved"])}``."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        # pen-twirl reports solved as 0/1, the other tasks as bool.
        return obs, reward, terminated, truncated, {"success": bool(np.asarray(info["solved"]).item())}

    def render(self) -> Any:
        """The current state as an ``(H, W, 3)`` uint8 frame (``None`` unless made with ``rgb_array``)."""
        unwrapped: Any = self.env.unwrapped
        cameras = [unwrapped.model.camera(i).name for i in range(unwrapped.model.ncam)]
        view: dict[str, Any] = {"camera_name": _CAMERA} if _CAMERA in cameras else {"camera_id": -1}
        return unwrapped.render(width=RENDER_SIZE, height=RENDER_SIZE, **view)


def make(request: EnvRequest) -> GymnasiumVecEnv:
    """Build ``num_envs`` copies of the MyoSuite task ``task``; env ``i`` is reset with ``seed + i``.

    Args:
        request: ``task`` is a paper task name, e.g. ``"myo-key-turn-hard"`` (see :data:`TASKS`);
            ``max_episode_steps=None`` keeps the package's limit; ``render`` builds the envs with
            ``render_mode="rgb_array"``.

    Raises:
        UnknownTaskError: if ``task`` is not one of :data:`TASKS`.
        MissingSimulatorError: if myosuite or mujoco is missing or at an unsupported version.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    if task not in TASKS:
        raise UnknownTaskError(f"env.task={task!r} is not a task of env=myosuite. Valid choices: {', '.join(TASKS)}.")
    _myosuite()
    env_id = TASKS[task]
    render_kwargs: dict[str, Any] = {"render_mode": "rgb_array"} if render else {}

    def factory() -> gym.Env:
        with warnings.catch_warnings():
            # mujoco warns about an empty attach prefix at every hand-model build; harmless and repeated per env.
            warnings.filterwarnings("ignore", message="Attaching a spec with an empty prefix")
            return MyoSuccess(gym.make(env_id, max_episode_steps=max_episode_steps, **render_kwargs))

    factories: list[Callable[[], gym.Env]] = [factory] * num_envs
    env = GymnasiumVecEnv(task, factories, device, max_episode_steps=max_episode_steps, joint_names=gym_joint_names)
    env.reset(seed)
    return env

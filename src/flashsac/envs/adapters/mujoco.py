"""The ``mujoco`` family: gymnasium MuJoCo v5 tasks (HalfCheetah-v5, Hopper-v5, Humanoid-v5, ...).

Tasks are gymnasium ids; the envs are lifted into the contract by
:class:`~flashsac.envs.gymnasium_vec.GymnasiumVecEnv` with their own action bounds and registered time limits.
``mujoco`` is imported only by :func:`require` and :func:`make`.

``make(..., render=True)`` builds the envs with ``render_mode="rgb_array"``; frames are drawn offscreen through
the OpenGL backend named by ``MUJOCO_GL``, which :func:`select_gl_backend` sets to a headless one (EGL, else
OSMesa) before ``mujoco`` is first imported, unless the user chose one.
"""

from __future__ import annotations

import ctypes.util
import importlib
import os
from typing import Any

import gymnasium as gym

from flashsac.envs.gymnasium_vec import GymnasiumVecEnv
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import MissingSimulatorError

__all__ = [
    "RENDER_SIZE",
    "SOLVED_RETURNS",
    "TASKS_HINT",
    "actuated_joint_names",
    "gym_joint_names",
    "list_tasks",
    "make",
    "require",
    "select_gl_backend",
]

TASKS_HINT = "gymnasium MuJoCo v5 ids, e.g. HalfCheetah-v5, Hopper-v5, Walker2d-v5, Ant-v5, Humanoid-v5"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
_FIX = "pip install 'flashsac[mujoco]'"
_SUPPORTED_MAJOR = 3
_ENTRY_POINT_PREFIX = "gymnasium.envs.mujoco"
RENDER_SIZE = 240
"""Width and height of rendered frames in pixels (a multiple of 16, so video encoders never rescale)."""


def select_gl_backend() -> str | None:
    """Point ``MUJOCO_GL`` at a headless OpenGL backend unless it is set already; return what this call set.

    EGL where libEGL exists (Mesa's EGL renders on the CPU when there is no GPU), else OSMesa where libOSMesa
    exists; ``None`` when ``MUJOCO_GL`` was already set (by the user or an earlier call) or neither library
    exists. It must run before ``mujoco`` is first imported: ``mujoco`` picks its ``GLContext`` class, and
    PyOpenGL its platform, at import time.
    """
    if "MUJOCO_GL" in os.environ:
        return None
    for backend, library in (("egl", "EGL"), ("osmesa", "OSMesa")):
        if ctypes.util.find_library(library) is not None:
            os.environ["MUJOCO_GL"] = backend
            return backend
    return None


def list_tasks() -> list[str]:
    """Gymnasium's registered MuJoCo v5 ids (read from gymnasium's registry; ``mujoco`` is not imported)."""
    return sorted(
        env_id
        for env_id, spec in gym.registry.items()
        if env_id.endswith("-v5")
        and isinstance(spec.entry_point, str)
        and spec.entry_point.startswith(_ENTRY_POINT_PREFIX)
    )


def require() -> None:
    """Check that ``mujoco`` is importable at a supported major version.

    Raises:
        MissingSimulatorError: with the install command, when ``mujoco`` is absent or incompatible.
    """
    select_gl_backend()
    try:
        mujoco = importlib.import_module("mujoco")
    except ImportError as exc:
        raise MissingSimulatorError(
            f"env=mujoco needs the mujoco package, which cannot be imported ({exc}); fix: {_FIX}"
        ) from exc
    version = str(getattr(mujoco, "__version__", "0"))
    if not version.split(".")[0].isdigit() or int(version.split(".")[0]) != _SUPPORTED_MAJOR:
        raise MissingSimulatorError(
            f"env=mujoco needs mujoco {_SUPPORTED_MAJOR}.x, found mujoco {version}; fix: {_FIX}"
        )
    try:
        importlib.import_module("gymnasium.envs.mujoco.mujoco_env")
    except Exception as exc:  # any failure here means the gymnasium/mujoco pair is unusable
        reason = " ".join(str(exc).split())
        raise MissingSimulatorError(
            f"env=mujoco: gymnasium's MuJoCo envs fail to import ({type(exc).__name__}: {reason}); fix: {_FIX}"
        ) from exc


def actuated_joint_names(model: Any) -> tuple[str, ...]:
    """Names of what each actuator of a ``mujoco.MjModel`` drives, in action order.

    The joint's name where the actuator drives a joint (the usual case), else the actuator's own name
    (tendon or site transmissions), so export manifests can map actions onto the robot.
    """
    names = []
    for i in range(model.nu):
        joint_transmission = int(model.actuator_trntype[i]) == 0  # mjTRN_JOINT
        names.append(
            model.joint(int(model.actuator_trnid[i, 0])).name if joint_transmission else model.actuator(i).name
        )
    return tuple(names)


def gym_joint_names(env: gym.Env) -> tuple[str, ...]:
    """Actuated joint names of a gymnasium MuJoCo env (any env with ``unwrapped.model``), else ``()``."""
    model = getattr(env.unwrapped, "model", None)
    return () if model is None else actuated_joint_names(model)


def make(request: EnvRequest) -> GymnasiumVecEnv:
    """Build ``num_envs`` copies of the gymnasium MuJoCo task ``task``; env ``i`` gets ``seed + i``.

    Args:
        request: ``task`` is a gymnasium MuJoCo v5 id, e.g. ``"Hopper-v5"``; ``max_episode_steps=None`` keeps the
            registered limit (1000 for most tasks); ``render`` builds the envs with ``render_mode="rgb_array"``
            (``RENDER_SIZE`` square frames); the OpenGL context is created at the first frame.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    require()
    # Only asked-for rendering sets a render mode: gymnasium then keeps an offscreen renderer per env.
    render_kwargs: dict[str, Any] = (
        {"render_mode": "rgb_array", "width": RENDER_SIZE, "height": RENDER_SIZE} if render else {}
    )

    def factory() -> gym.Env:
        return gym.make(task, max_episode_steps=max_episode_steps, **render_kwargs)

    env = GymnasiumVecEnv(
        task, [factory] * num_envs, device, max_episode_steps=max_episode_steps, joint_names=gym_joint_names
    )
    env.reset(seed)
    return env

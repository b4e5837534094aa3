"""The ``playground`` family: MuJoCo Playground (MJX on JAX) tasks under Playground's own names.

Two groups of tasks:

* the DeepMind Control suite as Playground re-implements it in MJX (``CartpoleBalance``, ``PendulumSwingup``,
  ``CheetahRun``, ...: Playground's ``dm_control_suite`` registry); their models ship inside the package;
* the paper's four locomotion tasks ``G1JoystickFlatTerrain``, ``G1JoystickRoughTerrain``,
  ``T1JoystickFlatTerrain`` and ``T1JoystickRoughTerrain`` (docs/algorithm.md section 8), with pushes off and no
  domain randomisation. Their robots come from MuJoCo Menagerie, which Playground clones from GitHub at first
  use; :mod:`.assets` checks for it first and names the fix when it is absent.

Every task runs as one jit-compiled, vmapped JAX program per step (:class:`.vec_env.PlaygroundVecEnv`) with
same-step autoreset that keeps the true final observation; observations come to torch through DLPack. The
declared action box is ``[-1, 1]``, as Playground's own torch wrapper clips it (``wrapper_torch.py``).

The PyPI distribution is ``playground`` (import name ``mujoco_playground``), by Google DeepMind.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from flashsac.envs.adapters.mujoco import select_gl_backend
from flashsac.envs.adapters.package_info import import_simulator, installed_version, release_parts
from flashsac.envs.protocol import EnvRequest, VecEnv
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = ["JOYSTICK_TASKS", "SOLVED_RETURNS", "TASKS_HINT", "list_tasks", "make", "require"]

TASKS_HINT = (
    "MuJoCo Playground tasks by Playground's names: the DM Control suite (CartpoleBalance, PendulumSwingup, "
    "CheetahRun, ...) and G1JoystickFlatTerrain, G1JoystickRoughTerrain, T1JoystickFlatTerrain, T1JoystickRoughTerrain"
)
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
JOYSTICK_TASKS = (
    "G1JoystickFlatTerrain",
    "G1JoystickRoughTerrain",
    "T1JoystickFlatTerrain",
    "T1JoystickRoughTerrain",
)
"""The paper's Playground tasks (joint-position controlled humanoids, privileged critic observations)."""

_FIX = "pip install 'flashsac[playground]'"
_PLAYGROUND_VERSION = (0, 2)
_MJX_MAJOR = 3


def _playground() -> ModuleType:
    """Check versions from package metadata, then import ``mujoco_playground``; any failure names the fix."""
    version = installed_version("playground")
    if version is None:
        raise MissingSimulatorError(
            f"env=playground needs MuJoCo Playground (PyPI package 'playground'), which is not installed; fix: {_FIX}"
        )
    if release_parts(version)[:2] != _PLAYGROUND_VERSION:
        wanted = ".".join(map(str, _PLAYGROUND_VERSION))
        raise MissingSimulatorError(
            f"env=playground needs playground {wanted}.x, found playground {version}; fix: {_FIX}"
        )
    mjx_version = installed_version("mujoco-mjx") or "none"
    if release_parts(mjx_version)[:1] != (_MJX_MAJOR,):
        raise MissingSimulatorError(
            f"env=playground needs mujoco-mjx {_MJX_MAJOR}.x, found mujoco-mjx {mjx_version}; fix: {_FIX}"
        )
    # mujoco picks its OpenGL backend when first imported (for render()), and Playground imports it.
    select_gl_backend()
    # JAX would otherwise claim 75% of the GPU's memory at its first use, starving the torch learner beside it.
    # Read when jax is first imported; an explicit setting by the user wins.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    return import_simulator("playground", "mujoco_playground", _FIX, version)


def require() -> None:
    """Check that MuJoCo Playground 0.2.x imports next to mujoco-mjx 3.x.

    Raises:
        MissingSimulatorError: naming what is missing or at which version, and the install command.
    """
    _playground()


def list_tasks() -> list[str]:
    """Playground's DM Control suite task names, then the four joystick tasks (imports, never starts, it)."""
    suite: Any = _playground().dm_control_suite
    return [*suite.ALL_ENVS, *JOYSTICK_TASKS]


def make(request: EnvRequest) -> VecEnv:
    """Build ``num_envs`` copies of the Playground task ``task`` as one batched JAX program.

    Args:
        request: ``task`` is a Playground task name, e.g. ``"CartpoleBalance"`` or ``"G1JoystickFlatTerrain"``;
            the envs are vmapped together; ``seed`` is a JAX PRNG key, split per env; tensors are zero-copy where
            ``device`` is the JAX device; ``max_episode_steps=None`` keeps the task config's ``episode_length``
            (1000); ``render`` offers ``render(env_index)`` (MuJoCo's offscreen renderer, through ``MUJOCO_GL``).

    Raises:
        UnknownTaskError: if ``task`` is not one of :func:`list_tasks`.
        MissingSimulatorError: if the package is missing, or a joystick task's robot model is absent.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    tasks = list_tasks()
    if task not in tasks:
        raise UnknownTaskError(f"env.task={task!r} is not a task of env=playground. Valid choices: {', '.join(tasks)}.")
    from flashsac.envs.adapters.playground.vec_env import PlaygroundVecEnv  # imports jax: only once it is needed

    return PlaygroundVecEnv(
        task, num_envs, seed, device, max_episode_steps=max_episode_steps, render=render, package=_playground()
    )

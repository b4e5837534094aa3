"""The ``metaworld`` family: every Meta-World v3 MT1 task, named ``mw-<task>`` (``mw-reach`` is ``reach-v3``).

Each env is ``gymnasium.make("Meta-World/MT1", env_name=..., seed=...)`` from Meta-World 3.x, lifted into the
contract by :class:`~flashsac.envs.gymnasium_vec.GymnasiumVecEnv`. Observations are Meta-World's 39-d
goal-observable vectors (hand, gripper, two objects, the previous frame of those, the goal); the 4-d action is
an end-effector position delta plus gripper effort in ``[-1, 1]``, so ``EnvSpec.joint_names`` stays empty.

Goal randomisation (MT1 semantics): building an env with seed ``s`` draws Meta-World's 50 task variations
(object and goal positions) from the task's reset distribution with ``s``; every reset then picks one of those
50 uniformly with the env's own random generator, and the episode starts exactly there. Env ``i`` of a batch is
built with ``seed + i`` and so has its own 50 variations. Meta-World ignores the ``seed`` of ``reset``;
:class:`ReseedOnReset` makes it reseed that generator, so the same reset seed gives the same sequence of
variations (the contract's determinism). flashsac builds its evaluation envs from a different seed than its
training envs, so evaluation episodes use variations drawn from the same distribution but not among the 50
trained on.

Episodes last 200 env steps (docs/algorithm.md section 8; Meta-World's own horizon is 500, the most an env allows)
and end only by truncation: success does not terminate. Meta-World's ``info["success"]`` (0.0/1.0) becomes the
contract's bool ``info["success"]``. The ``_sparse`` variants (``mw-assembly_sparse``) replace the dense
reward (Meta-World's v2 reward functions, 0 to 10 per step) by the success flag, 1.0 or 0.0.

Meta-World 3.1.1 pins ``mujoco==3.3.0`` and fails on other MuJoCo versions (mujoco 3.17.0: every task raises
``ValueError: could not broadcast input array from shape (11,) into shape (12,)`` when it sets its mocap welds),
so it cannot share a virtual environment with the ``mujoco`` or ``dmc`` extras (``mujoco==3.17.0``);
:func:`require` checks both versions before anything is imported.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from collections.abc import Callable
from typing import Any, SupportsFloat

import gymnasium as gym

from flashsac.config.validate import ConfigError
from flashsac.envs.adapters.mujoco import RENDER_SIZE, select_gl_backend
from flashsac.envs.adapters.package_info import import_simulator, installed_version
from flashsac.envs.gymnasium_vec import GymnasiumVecEnv
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = [
    "DEFAULT_EPISODE_STEPS",
    "MAX_EPISODE_STEPS",
    "SOLVED_RETURNS",
    "TASKS_HINT",
    "ReseedOnReset",
    "SuccessReward",
    "list_tasks",
    "make",
    "metaworld_name",
    "require",
]

TASKS_HINT = "Meta-World v3 MT1 tasks as mw-<task>, e.g. mw-reach, mw-assembly, mw-pick-place, mw-assembly_sparse"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
DEFAULT_EPISODE_STEPS = 200
"""The paper's episode length (Meta-World's own default is 500)."""
MAX_EPISODE_STEPS = 500
"""Meta-World's ``max_path_length``: its envs refuse to step further without a reset."""
SPARSE_SUFFIX = "_sparse"
_PREFIX = "mw-"
_VERSION_SUFFIX = "-v3"
_SUPPORTED_MAJOR = 3
_FALLBACK_MUJOCO_PIN = "3.3.0"  # what metaworld 3.1.1 declares, used if its metadata names no pin
_FIX = "pip install 'flashsac[metaworld]'"
_FIX_VENV = (
    "python -m venv .venv-metaworld && .venv-metaworld/bin/pip install 'flashsac[metaworld]' "
    "(Meta-World cannot share a venv with the mujoco/dmc extras)"
)


def _mujoco_pin() -> str:
    """The exact ``mujoco==X`` version the installed Meta-World declares (read from its metadata)."""
    try:
        requirements = importlib.metadata.requires("metaworld") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    for requirement in requirements:
        match = re.fullmatch(r"mujoco\s*==\s*([0-9][0-9A-Za-z.]*)\s*(;.*)?", requirement.strip())
        if match and not match.group(2):
            return match.group(1)
    return _FALLBACK_MUJOCO_PIN


def require() -> None:
    """Check that Meta-World 3.x and the MuJoCo version it pins are installed, then import it.

    The versions are read from package metadata first, so a wrong MuJoCo is reported as such rather than as
    whatever error importing Meta-World on it would raise.

    Raises:
        MissingSimulatorError: with the install command, when either package is absent or incompatible.
    """
    select_gl_backend()  # before mujoco is first imported: it picks its OpenGL backend at import time
    version = installed_version("metaworld")
    if version is None:
        raise MissingSimulatorError(f"env=metaworld needs the metaworld package, which is not installed; fix: {_FIX}")
    major = version.split(".")[0]
    if not major.isdigit() or int(major) != _SUPPORTED_MAJOR:
        raise MissingSimulatorError(
            f"env=metaworld needs metaworld {_SUPPORTED_MAJOR}.x (v3 tasks, gymnasium API), found metaworld "
            f"{version}; fix: {_FIX}"
        )
    pin, mujoco_version = _mujoco_pin(), installed_version("mujoco")
    if mujoco_version != pin:
        raise MissingSimulatorError(
            f"env=metaworld: metaworld {version} needs mujoco=={pin}, found mujoco {mujoco_version or '(none)'}; "
            f"fix: {_FIX_VENV}"
        )
    import_simulator("metaworld", "metaworld", _FIX, version)


def _metaworld_tasks() -> list[str]:
    require()
    return list(importlib.import_module("metaworld").MT1.ENV_NAMES)


def list_tasks() -> list[str]:
    """Every MT1 v3 task as ``mw-<task>``, then each one's ``_sparse`` variant (100 names)."""
    dense = [_PREFIX + name.removesuffix(_VERSION_SUFFIX) for name in _metaworld_tasks()]
    return dense + [name + SPARSE_SUFFIX for name in dense]


def metaworld_name(task: str) -> tuple[str, bool]:
    """Split a flashsac task name into Meta-World's env name and whether the reward is sparse.

    ``"mw-assembly_sparse"`` -> ``("assembly-v3", True)``; ``"mw-reach"`` -> ``("reach-v3", False)``.

    Raises:
        UnknownTaskError: listing the valid names, when ``task`` is not an MT1 v3 task.
    """
    sparse = task.endswith(SPARSE_SUFFIX)
    base = task.removesuffix(SPARSE_SUFFIX)
    name = base.removeprefix(_PREFIX) + _VERSION_SUFFIX
    if not base.startswith(_PREFIX) or name not in _metaworld_tasks():
        raise UnknownTaskError(
            f"env.task={task!r} is not a task of env=metaworld. Valid choices: {', '.join(list_tasks())}."
        )
    return name, sparse


class ReseedOnReset(gym.Wrapper):
    """Reseed a Meta-World env's random generator at ``reset(seed=s)``, which Meta-World itself ignores.

    The generator picks the task variation of each reset, so seeding it makes resets reproducible.
    """

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reseed (when a seed is given), then reset the wrapped env."""
        if seed is not None:
            self.env.unwrapped.seed(seed)  # pyright: ignore[reportAttributeAccessIssue]  (SawyerXYZEnv.seed)
        return self.env.reset(seed=seed, options=options)


class SuccessReward(gym.Wrapper):
    """Replace the reward by Meta-World's success flag: 1.0 on steps where the task is solved, else 0.0."""

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the wrapped env and return ``float(info["success"])`` as the reward."""
        obs, _, terminated, truncated, info = self.env.step(action)
        return obs, float(bool(info["success"])), terminated, truncated, info


def make(request: EnvRequest) -> GymnasiumVecEnv:
    """Build ``num_envs`` copies of the MT1 task ``task`` (``mw-<task>[_sparse]``); env ``i`` gets ``seed + i``.

    Args:
        request: ``task`` is e.g. ``"mw-reach"`` or ``"mw-assembly_sparse"``; ``seed`` also seeds env 0's task
            variations; ``max_episode_steps`` is at most 500, ``None`` gives the paper's 200; ``render`` offers
            ``render(env_index)`` (the ``topview`` camera, ``RENDER_SIZE`` square frames, through ``MUJOCO_GL``;
            Meta-World's ``corner`` cameras render upside down).

    Raises:
        UnknownTaskError: when ``task`` is not an MT1 v3 task.
        ConfigError: when ``max_episode_steps`` exceeds Meta-World's 500-step horizon (a ``ValueError``).
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    name, sparse = metaworld_name(task)
    limit = max_episode_steps or DEFAULT_EPISODE_STEPS
    if limit > MAX_EPISODE_STEPS:
        raise ConfigError(
            f"env.max_episode_steps={limit} exceeds Meta-World's {MAX_EPISODE_STEPS}-step episode horizon "
            f"(its envs refuse to step further); set env.max_episode_steps to at most {MAX_EPISODE_STEPS}."
        )
    render_kwargs: dict[str, Any] = (
        {"render_mode": "rgb_array", "width": RENDER_SIZE, "height": RENDER_SIZE, "camera_name": "topview"}
        if render
        else {}
    )

    def factory(env_seed: int) -> Callable[[], gym.Env]:
        def build() -> gym.Env:
            # The passive checker only warns that Meta-World's observation bounds omit the goal coordinates.
            env: gym.Env = ReseedOnReset(
                gym.make(
                    "Meta-World/MT1",
                    env_name=name,
                    seed=env_seed,
                    max_episode_steps=limit,
                    disable_env_checker=True,
                    **render_kwargs,
                )
            )
            return SuccessReward(env) if sparse else env

        return build

    env = GymnasiumVecEnv(task, [factory(seed + i) for i in range(num_envs)], device, max_episode_steps=limit)
    env.reset(seed)
    return env

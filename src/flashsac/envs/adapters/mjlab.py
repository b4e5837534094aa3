"""The ``mjlab`` family: the FlashSAC paper's mjlab tasks under mjlab's own registered ids.

mjlab reimplements IsaacLab's manager-based API on MuJoCo-Warp, so its ``ManagerBasedRlEnv`` goes through the same
core as IsaacLab (:class:`~flashsac.envs.adapters.manager_based.ManagerBasedVecEnv`; see that module for flags,
bounds and the final observation). What differs:

* Observation groups are ``"actor"`` and ``"critic"`` (every paper task has both; the critic group is noise-free
  and, for the velocity tasks, privileged). The actor gets ``"actor"`` only (the reference wrapper handed the
  critic group to the actor too, docs/algorithm.md section 12.7).
* ``cfg.auto_reset = False`` (mjlab 1.6 envs/manager_based_rl_env.py): ``step`` returns the true terminal
  observation and the adapter resets finished envs itself with ``reset(env_ids=...)``.
* Actions are declared ``Box(-inf, inf)`` (``_configure_gym_env_spaces``): the paper trains in ``[-1, 1]``
  (``env.action_bounds=scalar``). The velocity and lift tasks are joint-position robots
  (``JointPositionAction``: ``q0 + scale * a`` with ``q0`` the default pose), so ``joint_limits`` works there;
  cartpole pushes its cart with an effort term and has none.
* The Yam lift task's command term reports per-env success (``compute_success()``) as ``info["success"]``.

Building a task: ``import mjlab.tasks`` registers every task, ``load_env_cfg(id)`` returns a copy of its config, in
which ``scene.num_envs``, ``seed`` and (for a time-limit override) ``episode_length_s`` are set before
``ManagerBasedRlEnv(cfg, device)``. mjlab runs on CUDA or, slowly, on warp's CPU backend (``device=cpu``).
"""

from __future__ import annotations

import importlib
from typing import Any

import torch

from flashsac.envs.adapters.manager_based import (
    FinalObs,
    JointPositionTerm,
    ManagerBasedVecEnv,
    episode_length_s,
    joint_position_terms,
)
from flashsac.envs.adapters.package_info import installed_version, release_parts
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = ["TASKS", "SOLVED_RETURNS", "TASKS_HINT", "list_tasks", "make", "require"]

TASKS = (
    "Mjlab-Velocity-Flat-Unitree-G1",
    "Mjlab-Velocity-Rough-Unitree-G1",
    "Mjlab-Velocity-Flat-Unitree-Go1",
    "Mjlab-Velocity-Rough-Unitree-Go1",
    "Mjlab-Lift-Cube-Yam",
    "Mjlab-Cartpole-Balance",
    "Mjlab-Cartpole-Swingup",
)
"""The paper's mjlab tasks (docs/algorithm.md section 8), by their ids in ``mjlab.tasks.registry``."""

TASKS_HINT = "mjlab task ids, e.g. Mjlab-Velocity-Flat-Unitree-Go1 or Mjlab-Cartpole-Balance"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
_FIX = "pip install 'flashsac[mjlab]' (mjlab pins mujoco 3.11: use a venv of its own)"
# cfg.auto_reset, on which the exact final observation rests, is in mjlab 1.6.
_MIN_VERSION = (1, 6)


def require() -> None:
    """Check that mjlab >= 1.6 is installed (nothing is imported).

    Raises:
        MissingSimulatorError: naming what is missing and the install command.
    """
    version = installed_version("mjlab")
    if version is None:
        raise MissingSimulatorError(f"env=mjlab needs the mjlab package, which is not installed; fix: {_FIX}")
    if release_parts(version)[:2] < _MIN_VERSION:
        raise MissingSimulatorError(
            f"env=mjlab needs mjlab >= 1.6 (cfg.auto_reset), found mjlab {version}; fix: {_FIX}"
        )


def list_tasks() -> list[str]:
    """The paper's mjlab task ids (nothing is imported)."""
    return list(TASKS)


def _joint_terms(env: Any) -> list[JointPositionTerm] | None:
    """Every action term as a joint-position term, or ``None`` if one is not (mjlab envs/mdp/actions/actions.py).

    A ``JointPositionAction`` drives the joints ``target_ids`` of ``scene[cfg.entity_name]`` with
    ``scale * a + offset`` (``offset`` the default pose with ``use_default_offset``); limits are the entity's
    ``data.soft_joint_pos_limits`` (joint ranges shrunk by ``soft_joint_pos_limit_factor``).
    """
    joint_position = importlib.import_module("mjlab.envs.mdp.actions").JointPositionAction

    def read(term: Any) -> tuple[Any, torch.Tensor, Any, Any]:
        soft = env.scene[term.cfg.entity_name].data.soft_joint_pos_limits[0][term.target_ids]
        return term.target_names, soft, term.offset, term.scale

    return joint_position_terms(env.action_manager, joint_position, read)


def make(request: EnvRequest) -> ManagerBasedVecEnv:
    """Build ``num_envs`` parallel envs of the mjlab task ``task`` on ``device`` and reset them with ``seed``.

    Args:
        request: ``task`` is an mjlab task id from :data:`TASKS`; ``num_envs`` sets ``cfg.scene.num_envs``,
            ``seed`` ``cfg.seed`` (and ``reset(seed)``); ``device`` is ``cuda[:i]`` or ``cpu`` (warp's CPU
            backend); ``max_episode_steps`` replaces ``cfg.episode_length_s``. ``render`` is ignored (no frames).

    Raises:
        UnknownTaskError: if ``task`` is not one of :data:`TASKS`.
        MissingSimulatorError: if mjlab is missing or too old.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps = request.max_episode_steps
    if task not in TASKS:
        raise UnknownTaskError(f"env.task={task!r} is not a task of env=mjlab. Valid choices: {', '.join(TASKS)}.")
    require()
    importlib.import_module("mjlab.tasks")  # registers every task
    load_env_cfg = importlib.import_module("mjlab.tasks.registry").load_env_cfg
    env_class = importlib.import_module("mjlab.envs").ManagerBasedRlEnv
    cfg = load_env_cfg(task)
    cfg.scene.num_envs = num_envs
    cfg.seed = seed
    if max_episode_steps is not None:
        cfg.episode_length_s = episode_length_s(max_episode_steps, cfg.sim.mujoco.timestep * cfg.decimation)
    env = env_class(cfg=cfg, device=str(device))
    vec = ManagerBasedVecEnv(
        env,
        task,
        actor_group="actor",
        critic_group="critic",
        final_obs=FinalObs.MANUAL_RESET,
        read_joint_terms=_joint_terms,
    )
    vec.reset(seed)
    return vec

"""The ``isaaclab`` family: the FlashSAC paper's 12 IsaacLab tasks under their IsaacLab 2.x gym ids.

Each task is built the way IsaacLab's own scripts build one: ``AppLauncher(headless=True, device=...)`` starts
Isaac Sim once per process (before any ``isaaclab_tasks`` import: task modules import Omniverse packages that only
exist inside the running app), ``parse_env_cfg(id, device, num_envs)`` loads the registered config, the seed
and time limit are set in it, and ``gymnasium.make(id, cfg=cfg)`` builds the env. The env is lifted into the
contract by :class:`~flashsac.envs.adapters.manager_based.ManagerBasedVecEnv` (actor group ``"policy"``, critic
group ``"critic"`` where the task has one; see that module for the final-observation hooks, flags and bounds):

* IsaacLab 3.x renamed the ids (no ``-v0``, ``Repose`` -> ``Reorient``, contributed tasks under
  ``IsaacContrib-``; isaaclab_tasks CHANGELOG); :data:`TASKS` maps each paper id to its 3.x id and the one that
  is registered is built. 3.x also offers ``cfg.compute_final_obs`` (used there); 2.x gets the ``_reset_idx`` hook.
* Actions are declared ``Box(-inf, inf)``: train with ``env.action_bounds=scalar`` (the paper: 1.0, 3.0 for the
  two Franka tasks) or ``joint_limits`` (velocity tasks; the Franka tasks' binary gripper term and the in-hand
  direct envs' own target mapping have none).
* The two in-hand tasks are direct envs whose ``_get_dones`` times out at ``max_episode_length - 1``
  (direct/inhand_manipulation/inhand_manipulation_env.py); ``spec.max_episode_steps`` is that effective limit.
* The simulator app stays up until the process exits (Kit cannot be restarted in a process), so train and eval
  share one env (``spec.shares_instance``).

IsaacLab is not a pip one-liner: it needs NVIDIA Isaac Sim, a CUDA GPU and Linux (see :data:`INSTALL`).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import torch

from flashsac.envs.adapters.manager_based import (
    FinalObs,
    JointPositionTerm,
    ManagerBasedVecEnv,
    as_torch,
    episode_length_s,
    joint_position_terms,
)
from flashsac.envs.adapters.package_info import installed_version
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = ["INSTALL", "TASKS", "SOLVED_RETURNS", "TASKS_HINT", "list_tasks", "make", "require"]

TASKS: dict[str, str] = {
    "Isaac-Repose-Cube-Shadow-Direct-v0": "Isaac-Reorient-Cube-Shadow-Direct",
    "Isaac-Repose-Cube-Allegro-Direct-v0": "Isaac-Reorient-Cube-Allegro-Direct",
    "Isaac-Velocity-Flat-G1-v0": "Isaac-Velocity-Flat-G1",
    "Isaac-Velocity-Rough-G1-v0": "Isaac-Velocity-Rough-G1",
    "Isaac-Velocity-Flat-H1-v0": "Isaac-Velocity-Flat-H1",
    "Isaac-Velocity-Rough-H1-v0": "Isaac-Velocity-Rough-H1",
    "Isaac-Velocity-Flat-Anymal-C-v0": "IsaacContrib-Velocity-Flat-AnymalC",
    "Isaac-Velocity-Rough-Anymal-C-v0": "IsaacContrib-Velocity-Rough-AnymalC",
    "Isaac-Velocity-Flat-Anymal-D-v0": "Isaac-Velocity-Flat-AnymalD",
    "Isaac-Velocity-Rough-Anymal-D-v0": "Isaac-Velocity-Rough-AnymalD",
    "Isaac-Lift-Cube-Franka-v0": "IsaacContrib-Lift-Cube-Franka",
    "Isaac-Open-Drawer-Franka-v0": "Isaac-Open-Drawer-Franka",
}
"""Paper task (IsaacLab 2.x gym id) -> the same task's IsaacLab 3.x id."""

TASKS_HINT = "the paper's IsaacLab tasks by their 2.x gym ids, e.g. Isaac-Velocity-Flat-Anymal-D-v0"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
# Direct envs whose _get_dones tests episode_length_buf >= max_episode_length - 1.
_TIME_LIMIT_OFFSET = {"Isaac-Repose-Cube-Shadow-Direct-v0": 1, "Isaac-Repose-Cube-Allegro-Direct-v0": 1}
_MAJORS = (2, 3)
INSTALL = (
    "IsaacLab needs NVIDIA Isaac Sim, a CUDA GPU and Linux, and installs from NVIDIA's index, not as a flashsac "
    "extra: in a Python 3.11 venv, pip install 'isaaclab[isaacsim,all]==2.3.2.post1' --extra-index-url "
    "https://pypi.nvidia.com (IsaacLab 3.x: Python 3.12, see its install guide), then pip install -e <flashsac> "
    "and accept the Isaac Sim EULA (OMNI_KIT_ACCEPT_EULA=YES) on first start"
)
_APP: dict[str, Any] = {}


def require() -> None:
    """Check that IsaacLab 2.x or 3.x and its task package are installed (nothing is imported or started).

    Raises:
        MissingSimulatorError: naming what is missing and how to install IsaacLab.
    """
    version = installed_version("isaaclab")
    if version is None:
        raise MissingSimulatorError(f"env=isaaclab needs the isaaclab package, which is not installed; fix: {INSTALL}")
    major = version.split(".")[0]
    if not major.isdigit() or int(major) not in _MAJORS:
        raise MissingSimulatorError(f"env=isaaclab needs isaaclab 2.x or 3.x, found isaaclab {version}; fix: {INSTALL}")
    if not _tasks_installed():
        raise MissingSimulatorError(
            f"env=isaaclab: isaaclab {version} is installed without its isaaclab_tasks package; fix: {INSTALL}"
        )


def _tasks_installed() -> bool:
    """Whether the ``isaaclab_tasks`` package can be found (without importing it: it needs the running app)."""
    return importlib.util.find_spec("isaaclab_tasks") is not None


def list_tasks() -> list[str]:
    """The paper's 12 IsaacLab task ids (nothing is imported)."""
    return list(TASKS)


def _launch(device: torch.device) -> None:
    """Start the simulator app headless on ``device``, once per process (Kit cannot run twice in one process)."""
    if "device" in _APP:
        if _APP["device"] != str(device):
            raise RuntimeError(
                f"env=isaaclab: Isaac Sim already runs on {_APP['device']} in this process; it cannot move to "
                f"{device}. Use one env.device per process."
            )
        return
    app_module = importlib.import_module("isaaclab.app")
    _APP["launcher"] = app_module.AppLauncher(headless=True, device=str(device))
    _APP["device"] = str(device)


def _registered_id(task: str, registry: Any) -> str:
    """The task's gym id in the installed IsaacLab: the 2.x id, else its 3.x rename."""
    for env_id in (task, TASKS[task]):
        if env_id in registry:
            return env_id
    raise UnknownTaskError(
        f"env.task={task!r}: neither {task} nor {TASKS[task]} is registered by the installed isaaclab_tasks."
    )


def _joint_terms(env: Any) -> list[JointPositionTerm] | None:
    """Every action term as a joint-position term (soft limits, offset, scale), or ``None`` if one is not.

    Reads what ``JointPositionAction`` itself uses (envs/mdp/actions/joint_actions.py): its asset
    ``scene[cfg.asset_name]``, joint ids ``_joint_ids`` (a slice when it drives every joint), names
    ``_joint_names``, and the ``_scale``/``_offset`` it applies (``_offset`` is the default pose with
    ``use_default_offset``); limits are the asset's ``data.soft_joint_pos_limits`` (a ``ProxyArray`` in 3.x).
    """
    manager = getattr(env, "action_manager", None)
    if manager is None:  # direct envs map actions to joint targets in their own code
        return None
    joint_position = importlib.import_module("isaaclab.envs.mdp.actions").JointPositionAction

    def read(term: Any) -> tuple[Any, torch.Tensor, Any, Any]:
        soft = as_torch(env.scene[term.cfg.asset_name].data.soft_joint_pos_limits)[0]
        ids = term._joint_ids
        soft = soft[ids] if isinstance(ids, slice) else soft[torch.as_tensor(ids, device=soft.device)]
        return term._joint_names, soft, term._offset, term._scale

    return joint_position_terms(manager, joint_position, read)


def make(request: EnvRequest) -> ManagerBasedVecEnv:
    """Build ``num_envs`` parallel envs of the IsaacLab task ``task`` on ``device`` and reset them with ``seed``.

    Args:
        request: ``task`` is a paper task id, e.g. ``"Isaac-Velocity-Flat-Anymal-D-v0"`` (see :data:`TASKS`);
            ``num_envs`` sets ``cfg.scene.num_envs``, ``seed`` ``cfg.seed`` (and ``reset(seed)``); ``device`` is the
            simulation device (``cfg.sim.device``), fixed for the process once Isaac Sim runs;
            ``max_episode_steps`` replaces ``cfg.episode_length_s``. ``render`` is ignored (no frames).

    Raises:
        UnknownTaskError: if ``task`` is not one of :data:`TASKS`.
        MissingSimulatorError: if IsaacLab is not installed.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps = request.max_episode_steps
    if task not in TASKS:
        raise UnknownTaskError(f"env.task={task!r} is not a task of env=isaaclab. Valid choices: {', '.join(TASKS)}.")
    require()
    _launch(device)
    import gymnasium as gym

    importlib.import_module("isaaclab_tasks")  # registers the gym ids; needs the running app
    parse_env_cfg = importlib.import_module("isaaclab_tasks.utils.parse_cfg").parse_env_cfg
    env_id = _registered_id(task, gym.registry)
    cfg = parse_env_cfg(env_id, device=str(device), num_envs=num_envs)
    cfg.seed = seed
    offset = _TIME_LIMIT_OFFSET.get(task, 0)
    if max_episode_steps is not None:
        cfg.episode_length_s = episode_length_s(max_episode_steps + offset, cfg.sim.dt * cfg.decimation)
    env = gym.make(env_id, cfg=cfg).unwrapped
    final_obs = FinalObs.EXTRAS if hasattr(cfg, "compute_final_obs") else FinalObs.RESET_HOOK
    vec = ManagerBasedVecEnv(
        env,
        task,
        actor_group="policy",
        critic_group="critic",
        final_obs=final_obs,
        time_limit_offset=offset,
        read_joint_terms=_joint_terms,
    )
    vec.reset(seed)
    return vec

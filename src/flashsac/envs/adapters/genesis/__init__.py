"""The ``genesis`` family: the paper's three Genesis tasks, defined here on Genesis' batched scenes.

* ``go2-walk_easy`` -- Genesis' own Go2 locomotion example: walk forward at 0.5 m/s (:mod:`.go2_config`).
* ``go2-walk`` -- Go2 velocity tracking with random commands, randomised starts, observation noise, domain
  randomisation and a 60-d privileged critic observation (:mod:`.go2_config`).
* ``panda-grasp`` -- Franka Panda brings its gripper onto a randomly placed cube (:mod:`.panda`).

Genesis ships both robots (``urdf/go2`` and ``xml/franka_emika_panda``); nothing is downloaded. Each task is one
Genesis scene of ``num_envs`` envs stepped by batched torch code on Genesis' device (:mod:`.vec_env`), with
same-step autoreset and the true final observation. Genesis is initialised once per process, on the backend
``env.device`` implies (:mod:`.runtime`); building a second scene in the same process (training and evaluation
envs) takes ~10 s once its kernels are compiled, so the two are separate instances.

Action bounds: the spec declares what Genesis declares -- +-100 for Go2 (the example's ``clip_actions``), an
infinite box for Panda (the example clips nothing). The paper trains in ``[-1, 1] * action_range``:
:data:`PAPER_ACTION_BOUNDS` (3.0 for Go2, 1.0 for Panda), which ``config/yaml/env/genesis.yaml`` sets as
``env.action_bounds=scalar`` with the Go2 value.
"""

from __future__ import annotations

import dataclasses

import torch

from flashsac.envs.adapters.genesis.runtime import init_genesis, require
from flashsac.envs.protocol import EnvRequest, VecEnv
from flashsac.envs.registry import UnknownTaskError

__all__ = ["PAPER_ACTION_BOUNDS", "TASKS", "SOLVED_RETURNS", "TASKS_HINT", "list_tasks", "make", "require"]

TASKS = ("go2-walk_easy", "go2-walk", "panda-grasp")
TASKS_HINT = "Genesis tasks go2-walk_easy, go2-walk, panda-grasp"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
PAPER_ACTION_BOUNDS: dict[str, float] = {"go2-walk_easy": 3.0, "go2-walk": 3.0, "panda-grasp": 1.0}
"""The reference's ``action_range`` per task: the half-width of the paper's ``env.action_bounds=scalar`` box."""


def list_tasks() -> list[str]:
    """The paper's three Genesis task names (nothing is imported)."""
    return list(TASKS)


def make(request: EnvRequest, privileged_critic: bool | None = None) -> VecEnv:
    """Build ``num_envs`` envs of ``task`` as one Genesis scene, reset with ``seed``.

    Args:
        request: ``task`` is ``go2-walk_easy``, ``go2-walk`` or ``panda-grasp``; every random draw of the task
            comes from a generator seeded with ``seed``; ``device`` is ``cpu`` or ``cuda`` (Genesis is initialised
            for it on first use, once per process); ``max_episode_steps=None`` keeps the task's own (1000 for Go2,
            300 for Panda); ``render`` adds a camera on env 0 so that ``render(0)`` returns frames.
        privileged_critic: Go2 only (``env.options.privileged_critic``): give the critic the 60-d privileged
            observation (the actor's 45-d one, the base linear velocity * 2 and the previous action), or not;
            ``None`` keeps the task's own choice (``go2-walk`` yes, ``go2-walk_easy`` no, as in the paper). The
            actor's observation is unchanged, so a policy trained either way deploys the same.

    Raises:
        UnknownTaskError: if ``task`` is not one of :data:`TASKS`.
        MissingSimulatorError: if genesis-world 1.4.x is not installed.
        GenesisBackendError: if Genesis already runs on another device in this process.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    if task not in TASKS:
        raise UnknownTaskError(f"env.task={task!r} is not a task of env=genesis. Valid choices: {', '.join(TASKS)}.")
    if num_envs < 1:
        raise ValueError(f"env.num_envs={num_envs} must be >= 1 for env=genesis.")
    if privileged_critic is not None and not isinstance(privileged_critic, bool):
        # bool("false") is True: a string from a YAML file or a script must not silently turn the critic on.
        raise ValueError(
            f"env.options.privileged_critic={privileged_critic!r} must be true, false or null (the task's own)."
        )
    if privileged_critic is not None and task == "panda-grasp":
        raise ValueError(
            "env.options.privileged_critic applies to the Go2 tasks only; panda-grasp has no privileged "
            "observation. Remove the option for env.task=panda-grasp."
        )
    genesis_device = init_genesis(torch.device(device))
    if task == "panda-grasp":
        from flashsac.envs.adapters.genesis.panda import PandaGraspEnv

        return PandaGraspEnv(num_envs, seed, genesis_device, max_episode_steps, render)
    from flashsac.envs.adapters.genesis.go2 import Go2Env
    from flashsac.envs.adapters.genesis.go2_config import GO2_TASKS

    cfg = GO2_TASKS[task]
    if privileged_critic is not None:
        cfg = dataclasses.replace(cfg, privileged=privileged_critic)
    return Go2Env(task, cfg, num_envs, seed, genesis_device, max_episode_steps, render)

"""Simulator families by name: task lists, install checks and factories, all imported lazily.

A family is a module under ``flashsac.envs.adapters`` (or ``flashsac.envs.torch_tasks``) that satisfies
:class:`EnvFamily`; :mod:`flashsac.envs.adapters.families` lists every one typed as such, so pyright reports a family
that lacks a member or has a wrong signature.

The trainer and CLI only ever call :func:`check_env` (before anything starts) and :func:`make_env_from_config`;
:func:`make_env` is the same by plain arguments (tests, adapters, benchmarks of one family).
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

import torch

from flashsac.config.schema import EnvConfig
from flashsac.envs.bounded import apply_bounds
from flashsac.envs.protocol import EnvRequest, VecEnv, validate_spec

__all__ = [
    "FAMILIES",
    "EnvFamily",
    "MissingSimulatorError",
    "RenderError",
    "UnknownTaskError",
    "check_env",
    "family",
    "make_env",
    "make_env_from_config",
    "make_raw_env",
    "solved_return",
]


class MissingSimulatorError(RuntimeError):
    """A simulator package is not installed (or at an incompatible version); says how to fix it."""


class UnknownTaskError(ValueError):
    """The task name is not one of the family's tasks; lists the valid ones."""


class RenderError(RuntimeError):
    """An env cannot render frames (not built for it, or no usable offscreen OpenGL); says how to fix it."""

    @classmethod
    def offscreen_gl(cls, task: str, exc: Exception) -> RenderError:
        """The error for a MuJoCo offscreen render of ``task`` that failed with ``exc``.

        Whatever the GL backend raised, the fix is the same: an EGL or OSMesa library and ``MUJOCO_GL``.
        """
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return cls(
            f"Task {task!r} cannot render offscreen with MUJOCO_GL={os.environ.get('MUJOCO_GL', '<unset>')} "
            f"({type(exc).__name__}: {reason}); fix: install libEGL (apt-get install libegl1) and set "
            "MUJOCO_GL=egl, or install libOSMesa (apt-get install libosmesa6) and set MUJOCO_GL=osmesa."
        )


@runtime_checkable
class EnvFamily(Protocol):
    """What a simulator family module offers the registry (module-level names, checked by pyright)."""

    @property
    def TASKS_HINT(self) -> str:
        """A short human description of the task names, for error messages."""
        ...

    @property
    def SOLVED_RETURNS(self) -> Mapping[str, float]:
        """Mean evaluation return at which a task counts as solved (tasks without one are absent)."""
        ...

    def require(self) -> None:
        """Raise :class:`MissingSimulatorError` with the install command when the simulator is absent."""
        ...

    def list_tasks(self) -> list[str]:
        """Valid task names (may import the simulator package, never starts it)."""
        ...

    def make(self, request: EnvRequest) -> VecEnv:
        """Build ``request.num_envs`` environments of ``request.task`` behind the env contract.

        Family options (``env.options``) are further keywords, by name or as ``**options``; :func:`make_raw_env`
        passes only keywords the family's ``make`` takes.
        """
        ...


@dataclass(frozen=True)
class _Family:
    module: str
    description: str


FAMILIES: dict[str, _Family] = {
    "torch": _Family("flashsac.envs.torch_tasks", "built-in batched torch tasks (any device, no extra install)"),
    "mujoco": _Family("flashsac.envs.adapters.mujoco", "gymnasium MuJoCo v5 tasks (pip install 'flashsac[mujoco]')"),
    "dmc": _Family("flashsac.envs.adapters.dmc", "DeepMind Control suite (pip install 'flashsac[dmc]')"),
    "myosuite": _Family(
        "flashsac.envs.adapters.myosuite", "MyoSuite musculoskeletal tasks (pip install 'flashsac[myosuite]')"
    ),
    "metaworld": _Family(
        "flashsac.envs.adapters.metaworld", "Meta-World v3 MT1 tasks (pip install 'flashsac[metaworld]')"
    ),
    "humanoid_bench": _Family(
        "flashsac.envs.adapters.humanoid_bench",
        "HumanoidBench H1 tasks (installed from its repository, see docs/install.md)",
    ),
    "isaaclab": _Family(
        "flashsac.envs.adapters.isaaclab", "IsaacLab tasks, Isaac Sim + CUDA GPU needed (install: see docs/install.md)"
    ),
    "mjlab": _Family("flashsac.envs.adapters.mjlab", "mjlab (MuJoCo-Warp) tasks (pip install 'flashsac[mjlab]')"),
    "playground": _Family(
        "flashsac.envs.adapters.playground", "MuJoCo Playground MJX tasks on JAX (pip install 'flashsac[playground]')"
    ),
    "maniskill": _Family(
        "flashsac.envs.adapters.maniskill",
        "ManiSkill3 GPU tasks, Vulkan GPU needed (pip install 'flashsac[maniskill]')",
    ),
    "genesis": _Family(
        "flashsac.envs.adapters.genesis", "Genesis Go2 and Panda tasks, CPU or CUDA (pip install 'flashsac[genesis]')"
    ),
}


def family(name: str) -> EnvFamily:
    """Import and return the family module for ``env.name``.

    Raises:
        UnknownTaskError: if ``name`` is not a known family.
    """
    if name not in FAMILIES:
        choices = ", ".join(f"{k} ({v.description})" for k, v in FAMILIES.items())
        raise UnknownTaskError(f"env.name={name!r} is not a simulator family. Valid choices: {choices}.")
    # Why the cast: pyright checks every family module against EnvFamily in flashsac.envs.adapters.families.
    return cast(EnvFamily, importlib.import_module(FAMILIES[name].module))


def check_env(name: str, task: str) -> None:
    """Fail fast, before any simulator starts, if the family is unknown/missing or the task is unknown.

    Raises:
        UnknownTaskError: naming ``env.name`` or ``env.task`` and the valid choices.
        MissingSimulatorError: with the install command.
    """
    module = family(name)
    module.require()
    tasks = module.list_tasks()
    if task not in tasks:
        raise UnknownTaskError(
            f"env.task={task!r} is not a task of env={name}. Valid choices: {', '.join(sorted(tasks))}."
        )


def _checked_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` if the family's ``make`` takes them all (by name or ``**options``), else a clear error."""
    if not options:
        return options
    params = inspect.signature(family(name).make).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return options  # the family checks its own options
    fixed = {"request"}
    unknown = sorted(k for k in options if k not in params or k in fixed)
    if unknown:
        takes = sorted(set(params) - fixed)
        raise UnknownTaskError(
            f"env.options has {unknown}, which env={name} does not take; it takes {takes or 'no options'}."
        )
    return options


def make_raw_env(
    env_cfg: EnvConfig, seed: int, device: torch.device, *, num_envs: int | None = None, render: bool = False
) -> VecEnv:
    """The family's env for ``env_cfg`` as the simulator declares it: no action box applied, spec not checked.

    Only ``flashsac doctor`` needs this (it reports the declared box); everything else uses
    :func:`make_env_from_config`. Arguments as there.
    """
    check_env(env_cfg.name, env_cfg.task)
    options = _checked_options(env_cfg.name, dict(env_cfg.options))
    request = EnvRequest(
        task=env_cfg.task,
        num_envs=env_cfg.num_envs if num_envs is None else num_envs,
        seed=seed,
        device=device,
        max_episode_steps=env_cfg.max_episode_steps,
        render=render,
    )
    return family(env_cfg.name).make(request, **options)


def make_env_from_config(
    env_cfg: EnvConfig, seed: int, device: torch.device, *, num_envs: int | None = None, render: bool = False
) -> VecEnv:
    """Build the run's batched env from its ``env`` config: family, task, time limit, options and action box.

    Args:
        env_cfg: The run's ``env`` section (``name``, ``task``, ``max_episode_steps``, ``options`` and the
            action-box keys ``action_bounds``, ``action_bound``, ``joint_limit_fraction``,
            ``allow_suspicious_bounds``, ``final_obs``).
        seed: Seed of the first reset.
        device: Device of the returned tensors (``env.device`` resolved).
        num_envs: Number of environments stepped together; ``None`` takes ``env_cfg.num_envs`` (evaluation
            passes ``env.num_eval_envs``, videos 1).
        render: Build the env so that ``env.render(env_index)`` returns RGB frames (simulators that render
            through OpenGL only set that up when asked). Whether it can is ``env.spec.can_render``.

    Raises:
        BoundsError: the resulting box is infinite (e.g. an IsaacLab env with ``env.action_bounds=env``).
    """
    env = make_raw_env(env_cfg, seed, device, num_envs=num_envs, render=render)
    try:
        env = apply_bounds(env, env_cfg)
        validate_spec(env.spec)
    except ValueError:
        env.close()
        raise
    return env


def make_env(
    name: str,
    task: str,
    num_envs: int,
    seed: int,
    device: torch.device,
    max_episode_steps: int | None = None,
    render: bool = False,
    options: dict[str, Any] | None = None,
) -> VecEnv:
    """:func:`make_env_from_config` by plain arguments, with the env's declared action box (``action_bounds=env``).

    Args:
        name: Simulator family (``env.name``).
        task: Task of that family (``env.task``).
        num_envs: Number of environments stepped together.
        seed: Seed of the first reset.
        device: Device of the returned tensors.
        max_episode_steps: Time-limit override, or ``None`` for the task's own.
        render: As in :func:`make_env_from_config`.
        options: Family-specific keywords for the family's ``make`` (``env.options``).

    Raises:
        BoundsError: the declared box is infinite (e.g. any IsaacLab env): build it with
            :func:`make_env_from_config` and another ``action_bounds``.
    """
    env_cfg = EnvConfig(name=name, task=task, max_episode_steps=max_episode_steps, options=dict(options or {}))
    return make_env_from_config(env_cfg, seed, device, num_envs=num_envs, render=render)


def solved_return(name: str, task: str) -> float | None:
    """The family's "solved" evaluation-return threshold for ``task``, or ``None`` if it defines none."""
    return family(name).SOLVED_RETURNS.get(task)

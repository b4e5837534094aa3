"""FlashSAC variants of mjlab's tasks in mjlab's own task registry, trained by mjlab's unchanged scripts.

For each of mjlab's tasks below, ``<task id>-FlashSAC`` is registered with the same env configs (training and
play) and a :class:`MjlabFlashSACRunnerCfg` with :class:`~flashsac.integrations.rsl_rl.runner.FlashSACRunner` as its
runner class. mjlab imports this module through the ``mjlab.tasks`` entry point that flashsac declares, so with
flashsac installed beside mjlab::

    uv run train Mjlab-Velocity-Flat-Unitree-Go1-FlashSAC --env.scene.num-envs 1024
    uv run train Mjlab-Velocity-Flat-Unitree-Go1-FlashSAC --agent.resume True           # continue the latest run
    uv run play Mjlab-Velocity-Flat-Unitree-Go1-FlashSAC --checkpoint-file logs/rsl_rl/.../model_1999.pt

One's own task switches with one line: ``register_flashsac_variant("My-Task")`` after ``My-Task`` is registered,
or ``rl_cfg=flashsac_runner_cfg("My-Task-PPO-cfg-source")`` plus ``runner_cls=FlashSACRunner`` in one's own
``register_mjlab_task`` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import mjlab.tasks  # noqa: F401  # registers mjlab's own tasks, whose configs the variants reuse
from mjlab.rl import RslRlBaseRunnerCfg
from mjlab.tasks.registry import list_tasks, load_env_cfg, load_rl_cfg, register_mjlab_task

from flashsac.integrations.rsl_rl.runner import FlashSACRunner
from flashsac.integrations.rsl_rl.runner_cfg import FlashSACAlgorithmCfg, FlashSACRunnerKeys

__all__ = ["SUFFIX", "VARIANTS", "MjlabFlashSACRunnerCfg", "flashsac_runner_cfg", "register_flashsac_variant"]

SUFFIX = "-FlashSAC"
"""Appended to an mjlab task id to name its FlashSAC variant."""


@dataclass
class MjlabFlashSACRunnerCfg(RslRlBaseRunnerCfg, FlashSACRunnerKeys):
    """mjlab's runner config (``RslRlBaseRunnerCfg``: seed, iterations, logging, resume keys) for FlashSAC."""

    class_name: str = "FlashSACRunner"
    """The runner class; mjlab takes it from the task registry (``runner_cls``)."""
    algorithm: FlashSACAlgorithmCfg = field(default_factory=FlashSACAlgorithmCfg)
    """FlashSAC's hyper-parameters, replay buffer and update rate."""


_KEPT = ("seed", "obs_groups", "save_interval", "logger", "wandb_project", "wandb_tags", "clip_actions", "upload_model")

VARIANTS: dict[str, dict[str, Any]] = {
    "Mjlab-Cartpole-Balance": {"num_steps_per_env": 32, "max_iterations": 150},
    "Mjlab-Cartpole-Swingup": {"num_steps_per_env": 32, "max_iterations": 150},
    "Mjlab-Velocity-Flat-Unitree-Go1": {"num_steps_per_env": 24, "max_iterations": 2000},
    "Mjlab-Velocity-Rough-Unitree-Go1": {"num_steps_per_env": 24, "max_iterations": 2000},
    "Mjlab-Velocity-Flat-Unitree-G1": {"num_steps_per_env": 24, "max_iterations": 2000},
    "Mjlab-Velocity-Rough-Unitree-G1": {"num_steps_per_env": 24, "max_iterations": 2000},
    "Mjlab-Lift-Cube-Yam": {"num_steps_per_env": 24, "max_iterations": 2000},
}
"""mjlab task -> its variant's iteration settings. With 1024 envs (the paper's regime, docs/algorithm.md section
8) an iteration of 24 vector steps is 24,576 env steps, so 2000 iterations are the paper's 50M; the cartpoles
converge in a few million."""


def flashsac_runner_cfg(ppo_task: str, **changes: Any) -> MjlabFlashSACRunnerCfg:
    """A FlashSAC runner config for ``ppo_task``: its PPO config's run keys kept, ``_flashsac`` on the experiment.

    Args:
        ppo_task: A registered mjlab task id whose runner config supplies seed, observation groups, save interval,
            logger and action clipping.
        changes: Field values of :class:`MjlabFlashSACRunnerCfg` to set (e.g. ``max_iterations=500``).
    """
    ppo = load_rl_cfg(ppo_task)
    kept = {name: getattr(ppo, name) for name in _KEPT if hasattr(ppo, name)}
    known = {f.name for f in fields(MjlabFlashSACRunnerCfg)}
    return MjlabFlashSACRunnerCfg(
        experiment_name=f"{ppo.experiment_name}_flashsac", **{k: v for k, v in kept.items() if k in known}, **changes
    )


def register_flashsac_variant(task: str, variant: str | None = None, **changes: Any) -> str:
    """Register ``task``'s FlashSAC variant (same env configs, FlashSAC runner) and return its id.

    Args:
        task: A registered mjlab task id.
        variant: The variant's id (default ``task + SUFFIX``).
        changes: Runner config fields to set (see :func:`flashsac_runner_cfg`).
    """
    variant = variant or f"{task}{SUFFIX}"
    if variant not in list_tasks():
        register_mjlab_task(
            task_id=variant,
            env_cfg=load_env_cfg(task),
            play_env_cfg=load_env_cfg(task, play=True),
            rl_cfg=flashsac_runner_cfg(task, **changes),
            runner_cls=FlashSACRunner,
        )
    return variant


for _task, _settings in VARIANTS.items():
    if _task in list_tasks():
        register_flashsac_variant(_task, **_settings)

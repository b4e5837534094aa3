"""The flags of IsaacLab's rsl_rl ``train.py``/``play.py``, and the FlashSAC agent config they resolve to.

Flags (IsaacLab's ``scripts/reinforcement_learning/rsl_rl`` and its ``cli_args.py``): ``--task``,
``--num_envs``, ``--seed`` (``-1`` draws one), ``--max_iterations``, ``--video``, ``--video_length``,
``--video_interval``, ``--agent`` (the registry entry point of the agent config), the rsl_rl group
``--experiment_name``, ``--run_name``, ``--resume``, ``--load_run``, ``--checkpoint``, ``--logger``,
``--log_project_name``, and IsaacLab's ``AppLauncher`` flags (``--headless``, ``--device``, ...). As IsaacLab
hands leftover arguments to Hydra, leftover ``agent.<key>=<value>`` and ``env.<key>=<value>`` set fields of the
agent and env configs (``agent.algorithm.batch_size=4096``, ``env.episode_length_s=10``).

The agent config: the task's ``flashsac_cfg_entry_point`` where it registers one; else one derived from its
rsl_rl PPO config (seed, device, ``num_steps_per_env``, ``obs_groups``, ``clip_actions``, ``save_interval``,
logger and projects kept; ``experiment_name`` gets a ``_flashsac`` suffix so runs never mix); else the defaults of
:class:`~flashsac.integrations.rsl_rl.runner_cfg.FlashSACRunnerCfg`.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import random
from collections.abc import Sequence
from typing import Any

from flashsac.integrations.rsl_rl.runner_cfg import FlashSACRunnerCfg

__all__ = [
    "FLASHSAC_ENTRY_POINT",
    "apply_overrides",
    "build_parser",
    "load_agent_cfg",
    "update_agent_cfg",
]

FLASHSAC_ENTRY_POINT = "flashsac_cfg_entry_point"
"""The gym-registry kwarg under which a task may register its FlashSAC runner config (``"module:Class"``)."""
PPO_ENTRY_POINT = "rsl_rl_cfg_entry_point"
_FROM_PPO = (
    "seed",
    "device",
    "num_steps_per_env",
    "obs_groups",
    "clip_actions",
    "save_interval",
    "logger",
    "wandb_project",
    "neptune_project",
)


def build_parser(description: str, train: bool) -> argparse.ArgumentParser:
    """IsaacLab's rsl_rl flags (``train=False``: those of ``play.py``), without the ``AppLauncher`` ones."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--video", action="store_true", default=False, help="Record videos.")
    parser.add_argument("--video_length", type=int, default=200, help="Length of a recorded video (steps).")
    parser.add_argument("--num_envs", type=int, default=None, help="Number of environments to simulate.")
    parser.add_argument("--task", type=str, default=None, help="Name of the task.")
    parser.add_argument("--agent", type=str, default=FLASHSAC_ENTRY_POINT, help="Agent config entry point.")
    parser.add_argument("--seed", type=int, default=None, help="Seed of the run (-1: draw one).")
    if train:
        parser.add_argument("--video_interval", type=int, default=2000, help="Steps between recorded videos.")
        parser.add_argument("--max_iterations", type=int, default=None, help="Training iterations.")
        parser.add_argument("--distributed", action="store_true", default=False, help="Multi-GPU (not supported).")
    else:
        parser.add_argument("--real-time", action="store_true", default=False, help="Run in real time if possible.")
        parser.add_argument("--num_steps", type=int, default=None, help="Stop after this many env steps.")
    group = parser.add_argument_group("rsl_rl", description="Arguments for the RSL-RL agent.")
    group.add_argument("--experiment_name", type=str, default=None, help="Experiment folder of the logs.")
    group.add_argument("--run_name", type=str, default=None, help="Run name suffix of the log directory.")
    group.add_argument("--resume", action="store_true", default=False, help="Resume from a checkpoint.")
    group.add_argument("--load_run", type=str, default=None, help="Run folder to resume from.")
    group.add_argument("--checkpoint", type=str, default=None, help="Checkpoint file to resume from.")
    group.add_argument("--logger", type=str, default=None, choices={"wandb", "tensorboard", "neptune"})
    group.add_argument("--log_project_name", type=str, default=None, help="W&B or Neptune project.")
    return parser


def _from_ppo(ppo: Any) -> FlashSACRunnerCfg:
    kept = {key: getattr(ppo, key) for key in _FROM_PPO if _is_set(getattr(ppo, key, None))}
    if "obs_groups" in kept:
        kept["obs_groups"] = {k: list(v) for k, v in dict(kept["obs_groups"]).items()}
    return FlashSACRunnerCfg(experiment_name=f"{ppo.experiment_name}_flashsac", **kept)


def _is_set(value: Any) -> bool:
    # Why: IsaacLab's configclasses mark unset fields with dataclasses.MISSING.
    return value is not None and type(value).__name__ != "_MISSING_TYPE"


def load_agent_cfg(task: str, entry_point: str = FLASHSAC_ENTRY_POINT) -> Any:
    """The task's FlashSAC runner config (see the module docstring for where it comes from).

    Raises:
        ValueError: ``--agent`` names an entry point other than the FlashSAC one that the task does not register.
    """
    import gymnasium as gym

    load_cfg_from_registry = importlib.import_module("isaaclab_tasks.utils.parse_cfg").load_cfg_from_registry
    kwargs = gym.spec(task.split(":")[-1]).kwargs
    if entry_point in kwargs:
        return load_cfg_from_registry(task.split(":")[-1], entry_point)
    if entry_point != FLASHSAC_ENTRY_POINT:
        raise ValueError(f"--agent={entry_point}: task {task} registers no such config; it has {sorted(kwargs)}.")
    if PPO_ENTRY_POINT in kwargs:
        return _from_ppo(load_cfg_from_registry(task.split(":")[-1], PPO_ENTRY_POINT))
    return FlashSACRunnerCfg(experiment_name=task.split(":")[-1])


def update_agent_cfg(agent_cfg: Any, args: argparse.Namespace) -> Any:
    """IsaacLab's ``update_rsl_rl_cfg``: the rsl_rl flags override the agent config."""
    if getattr(args, "seed", None) is not None:
        agent_cfg.seed = random.randint(0, 10000) if args.seed == -1 else args.seed
    if args.resume:
        agent_cfg.resume = True
    flags = {"load_run": "load_run", "checkpoint": "load_checkpoint", "experiment_name": "experiment_name"}
    for flag, key in {**flags, "run_name": "run_name", "logger": "logger"}.items():
        if getattr(args, flag) is not None:
            setattr(agent_cfg, key, getattr(args, flag))
    if getattr(args, "max_iterations", None) is not None:
        agent_cfg.max_iterations = args.max_iterations
    if agent_cfg.logger in ("wandb", "neptune") and args.log_project_name:
        agent_cfg.wandb_project = agent_cfg.neptune_project = args.log_project_name
    return agent_cfg


def _value(text: str) -> Any:
    lowered = {"true": True, "false": False, "null": None, "none": None}
    if text.lower() in lowered:
        return lowered[text.lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def apply_overrides(overrides: Sequence[str], configs: dict[str, Any]) -> None:
    """Apply leftover ``<config>.<field>[.<field>...]=<value>`` arguments (``agent``, ``env``) to the configs.

    Raises:
        ValueError: naming an argument that is not ``key=value``, names another config, or a field that does
            not exist.
    """
    for override in overrides:
        path, sep, text = override.partition("=")
        root, *fields = path.split(".")
        if not sep or root not in configs or not fields:
            raise ValueError(
                f"unknown argument {override!r}: expected a flag or <config>.<field>=<value> with config one of "
                f"{sorted(configs)} (e.g. agent.algorithm.batch_size=4096)."
            )
        target = configs[root]
        for name in fields[:-1]:
            target = target[name] if isinstance(target, dict) else getattr(target, name)
        last = fields[-1]
        if isinstance(target, dict):
            target[last] = _value(text)
        elif hasattr(target, last):
            setattr(target, last, _value(text))
        else:
            raise ValueError(f"{override!r}: {type(target).__name__} has no field {last!r}.")

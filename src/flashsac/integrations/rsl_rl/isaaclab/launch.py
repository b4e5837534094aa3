"""What IsaacLab's rsl_rl scripts do around the runner: start the app, build the wrapped env, dump the configs."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["dump_params", "launch_app", "make_rsl_rl_env"]


def launch_app(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> tuple[argparse.Namespace, list[str], Any]:
    """Add ``AppLauncher``'s flags, parse, and start Isaac Sim (before any ``isaaclab_tasks`` import).

    Returns:
        ``(args, leftover config overrides, the running app)``.
    """
    app_launcher = importlib.import_module("isaaclab.app").AppLauncher
    app_launcher.add_app_launcher_args(parser)
    args, overrides = parser.parse_known_args(argv)
    if args.video:
        args.enable_cameras = True  # as IsaacLab's scripts: rendering needs the cameras
    return args, overrides, app_launcher(args).app


def make_rsl_rl_env(args: argparse.Namespace, env_cfg: Any, agent_cfg: Any, video_folder: Path, train: bool) -> Any:
    """``gym.make`` the task, wrap it for video when asked, then in IsaacLab's ``RslRlVecEnvWrapper``."""
    import gymnasium as gym

    env = gym.make(args.task, cfg=env_cfg, render_mode="rgb_array" if args.video else None)
    if args.video:
        trigger = (lambda step: step % args.video_interval == 0) if train else (lambda step: step == 0)
        env = gym.wrappers.RecordVideo(
            env,
            video_folder=str(video_folder),
            step_trigger=trigger,
            video_length=args.video_length,
            disable_logger=True,
        )
    wrapper = importlib.import_module("isaaclab_rl.rsl_rl").RslRlVecEnvWrapper
    return wrapper(env, clip_actions=agent_cfg.clip_actions)


def _plain(cfg: Any) -> Any:
    to_dict = getattr(cfg, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type) else cfg


def dump_params(log_dir: Path, env_cfg: Any, agent_cfg: Any) -> None:
    """``params/env.yaml`` and ``params/agent.yaml`` (IsaacLab's ``dump_yaml``; JSON where it is absent)."""
    params = log_dir / "params"
    params.mkdir(parents=True, exist_ok=True)
    try:
        dump_yaml = importlib.import_module("isaaclab.utils.io").dump_yaml
    except ModuleNotFoundError:
        dump_yaml = None
    for name, cfg in (("env", env_cfg), ("agent", agent_cfg)):
        if dump_yaml is not None:
            dump_yaml(str(params / f"{name}.yaml"), cfg)
        else:
            (params / f"{name}.json").write_text(json.dumps(_plain(cfg), indent=2, default=str))

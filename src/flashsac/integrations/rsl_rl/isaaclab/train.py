"""Train FlashSAC on an IsaacLab task with the flags of IsaacLab's rsl_rl ``train.py``.

IsaacLab's own script builds only ``OnPolicyRunner``/``DistillationRunner``, so this is its counterpart: same flags,
same log layout (``logs/rsl_rl/<experiment>/<time-stamp>[_<run name>]/``), same resume rules, the same
``RslRlVecEnvWrapper``; the runner is :class:`~flashsac.integrations.rsl_rl.runner.FlashSACRunner`. Run it in
IsaacLab's Python::

    python -m flashsac.integrations.rsl_rl.isaaclab.train --task Isaac-Velocity-Flat-Anymal-D-v0 --headless
    flashsac-isaaclab-train --task Isaac-Velocity-Flat-Anymal-D-v0 --headless --resume   # the same, installed

See :mod:`~flashsac.integrations.rsl_rl.isaaclab.cli_args` for the flags and the agent config.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from flashsac.integrations.rsl_rl.isaaclab.cli_args import (
    apply_overrides,
    build_parser,
    load_agent_cfg,
    update_agent_cfg,
)
from flashsac.integrations.rsl_rl.isaaclab.launch import dump_params, launch_app, make_rsl_rl_env
from flashsac.integrations.rsl_rl.log_dirs import latest_checkpoint, run_log_dir

__all__ = ["main", "train"]


def main() -> None:
    """The console entry point: train with the process's arguments."""
    train(sys.argv[1:])


def train(argv: Sequence[str] | None = None) -> Path:
    """Train with IsaacLab's rsl_rl flags ``argv``; return the run's log directory.

    Raises:
        SystemExit: on bad flags (argparse), or ``--distributed`` (FlashSAC trains on one device here).
    """
    parser = build_parser("Train a FlashSAC agent with IsaacLab's rsl_rl flags.", train=True)
    args, overrides, app = launch_app(parser, argv)
    if args.distributed:
        parser.error("--distributed: the FlashSAC runner trains on one device; drop the flag.")
    if args.task is None:
        parser.error("--task is required (an IsaacLab gym id, e.g. Isaac-Velocity-Flat-Anymal-D-v0).")
    importlib.import_module("isaaclab_tasks")  # registers the gym ids; needs the running app
    parse_env_cfg = importlib.import_module("isaaclab_tasks.utils.parse_cfg").parse_env_cfg
    env_cfg = parse_env_cfg(args.task, device=args.device or "cuda:0", num_envs=args.num_envs)
    agent_cfg = update_agent_cfg(load_agent_cfg(args.task, args.agent), args)
    apply_overrides(overrides, {"agent": agent_cfg, "env": env_cfg})
    env_cfg.seed = agent_cfg.seed
    if args.device is not None:
        agent_cfg.device = args.device
    experiment_dir = (Path("logs") / "rsl_rl" / agent_cfg.experiment_name).resolve()
    print(f"[INFO] Logging experiment in directory: {experiment_dir}")
    log_dir = run_log_dir(experiment_dir.parent, agent_cfg.experiment_name, agent_cfg.run_name)
    resume_path = (
        latest_checkpoint(experiment_dir, agent_cfg.load_run, agent_cfg.load_checkpoint) if (agent_cfg.resume) else None
    )
    if hasattr(env_cfg, "log_dir"):
        env_cfg.log_dir = str(log_dir)
    env = make_rsl_rl_env(args, env_cfg, agent_cfg, video_folder=log_dir / "videos" / "train", train=True)
    from flashsac.integrations.rsl_rl.runner import FlashSACRunner

    runner = FlashSACRunner(env, agent_cfg.to_dict(), log_dir=str(log_dir), device=agent_cfg.device)
    runner.add_git_repo_to_log(__file__)
    if resume_path is not None:
        print(f"[INFO]: Loading model checkpoint from: {resume_path}")
        runner.load(str(resume_path))
    dump_params(log_dir, env_cfg, agent_cfg)
    runner.learn(num_learning_iterations=agent_cfg.max_iterations, init_at_random_ep_len=True)
    env.close()
    app.close()
    return log_dir


if __name__ == "__main__":
    main()

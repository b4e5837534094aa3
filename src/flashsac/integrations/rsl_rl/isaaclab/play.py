"""Play a FlashSAC checkpoint on an IsaacLab task with the flags of IsaacLab's rsl_rl ``play.py``.

Loads the checkpoint (``--checkpoint <file>``, else the latest ``model_<it>.pt`` of ``--load_run`` under the
experiment), exports the policy to ``<run>/exported/policy.pt`` (TorchScript) and ``policy.onnx`` as IsaacLab's
script does, then runs the deterministic policy until the app closes (``--num_steps`` or one ``--video``)::

    python -m flashsac.integrations.rsl_rl.isaaclab.play --task Isaac-Velocity-Flat-Anymal-D-v0 --num_envs 32
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from flashsac.integrations.rsl_rl.isaaclab.cli_args import (
    apply_overrides,
    build_parser,
    load_agent_cfg,
    update_agent_cfg,
)
from flashsac.integrations.rsl_rl.isaaclab.launch import launch_app, make_rsl_rl_env
from flashsac.integrations.rsl_rl.log_dirs import latest_checkpoint

__all__ = ["main", "play"]


def main() -> None:
    """The console entry point: play with the process's arguments."""
    play(sys.argv[1:])


def play(argv: Sequence[str] | None = None) -> int:
    """Play with IsaacLab's rsl_rl flags ``argv``; return the number of env steps run."""
    parser = build_parser("Play a FlashSAC checkpoint with IsaacLab's rsl_rl flags.", train=False)
    args, overrides, app = launch_app(parser, argv)
    if args.task is None:
        parser.error("--task is required (an IsaacLab gym id, e.g. Isaac-Velocity-Flat-Anymal-D-v0).")
    importlib.import_module("isaaclab_tasks")
    parse_env_cfg = importlib.import_module("isaaclab_tasks.utils.parse_cfg").parse_env_cfg
    train_task = args.task.split(":")[-1].replace("-Play", "")
    env_cfg = parse_env_cfg(args.task, device=args.device or "cuda:0", num_envs=args.num_envs)
    agent_cfg = update_agent_cfg(load_agent_cfg(train_task, args.agent), args)
    apply_overrides(overrides, {"agent": agent_cfg, "env": env_cfg})
    env_cfg.seed = agent_cfg.seed
    if args.device is not None:
        agent_cfg.device = args.device
    if args.checkpoint and Path(args.checkpoint).is_file():
        resume_path = Path(args.checkpoint)
    else:
        experiment_dir = (Path("logs") / "rsl_rl" / agent_cfg.experiment_name).resolve()
        resume_path = latest_checkpoint(experiment_dir, agent_cfg.load_run, agent_cfg.load_checkpoint)
    log_dir = resume_path.parent
    if hasattr(env_cfg, "log_dir"):
        env_cfg.log_dir = str(log_dir)
    env = make_rsl_rl_env(args, env_cfg, agent_cfg, video_folder=log_dir / "videos" / "play", train=False)
    from flashsac.integrations.rsl_rl.runner import FlashSACRunner

    print(f"[INFO]: Loading model checkpoint from: {resume_path}")
    runner = FlashSACRunner(env, agent_cfg.to_dict(), log_dir=None, device=agent_cfg.device)
    runner.load(str(resume_path))
    policy = runner.get_inference_policy(device=str(env.unwrapped.device))
    export_dir = log_dir / "exported"
    runner.export_policy_to_jit(str(export_dir), filename="policy.pt")
    runner.export_policy_to_onnx(str(export_dir), filename="policy.onnx")
    step_dt = env.unwrapped.step_dt
    limit = args.video_length if args.video else args.num_steps
    obs = env.get_observations()
    steps = 0
    while _running(app) and (limit is None or steps < limit):
        start = time.time()
        with torch.inference_mode():
            obs, _, _, _ = env.step(policy(obs))
        steps += 1
        sleep = step_dt - (time.time() - start)
        if args.real_time and sleep > 0:
            time.sleep(sleep)
    env.close()
    app.close()
    return steps


def _running(app: object) -> bool:
    is_running = getattr(app, "is_running", None)
    return bool(is_running()) if callable(is_running) else True


if __name__ == "__main__":
    main()

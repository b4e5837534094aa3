"""``flashsac train``: compose, validate, check the task, then train into a fresh (or given) run directory."""

from __future__ import annotations

import time
from pathlib import Path

from flashsac.checkpointing.atomic import write_text_atomically
from flashsac.cli.compose import compose_config, config_to_yaml
from flashsac.config.schema import RunConfig
from flashsac.config.validate import validate
from flashsac.envs.registry import FAMILIES, check_env
from flashsac.runtime.device import check_devices

__all__ = ["run_train", "TRAIN_HELP"]

TRAIN_HELP = f"""usage: flashsac train [key=value ...]

Hydra override syntax. resume=<run_dir> continues a run from its newest checkpoint (only budgets,
intervals and logging may change then). Groups: env={"|".join(FAMILIES)} (the simulator family),
preset=cpu|gpu|small|quick|genesis_cpu (the regime; default: the one the family names). Keys: seed, device,
env.task, env.num_envs, env.action_bounds=env|joint_limits|symmetric|scalar, agent.*, buffer.*, train.*,
logging.* (see flashsac/config/schema.py). Add --dry-run to print the resolved config and exit. Before training on a new
robot, `flashsac doctor` with the same overrides shows how its actions meet their bounds. Data-parallel on N
GPUs or processes: torchrun --nproc_per_node=N --no-python flashsac train ... (env.num_envs and train.batch_size
per rank; docs/distributed.md).

examples:
  flashsac train                                        # built-in pendulum swing-up, small preset
  flashsac train env=dmc env.task=cartpole-swingup preset=small
  flashsac train env=mujoco env.task=Humanoid-v5 seed=3
  flashsac train env.task=arm-reach env.action_bounds=joint_limits   # joint-position arm, per-joint bounds
"""


def _run_dir(cfg: RunConfig) -> Path:
    if cfg.logging.run_dir:
        return Path(cfg.logging.run_dir)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(cfg.logging.root_dir) / cfg.logging.group / f"{cfg.env.name}-{cfg.env.task}" / f"{stamp}_s{cfg.seed}"


def _check(cfg: RunConfig) -> None:
    """Everything about ``cfg`` that can be checked before a file is written: values, devices, task."""
    validate(cfg)
    check_devices(cfg)
    check_env(cfg.env.name, cfg.env.task)


def prepare(overrides: list[str]) -> RunConfig:
    """Compose and validate a run configuration, check its devices and task, without starting anything."""
    cfg = compose_config(overrides)
    _check(cfg)
    return cfg


def _resume_value(overrides: list[str]) -> str | None:
    values = [o.split("=", 1)[1] for o in overrides if o.startswith("resume=")]
    return values[-1] if values and values[-1] not in ("", "null") else None


def run_train(overrides: list[str], dry_run: bool = False) -> int:
    """Entry point of ``flashsac train``; returns the process exit code."""
    resume = _resume_value(overrides)
    payload = None
    if resume is not None:
        from flashsac.cli.resume import prepare_resume

        cfg, run_dir, payload = prepare_resume(resume, overrides)
        _check(cfg)
    else:
        cfg = prepare(overrides)
        run_dir = _run_dir(cfg)
    if dry_run:
        print(config_to_yaml(cfg))
        return 0
    from flashsac.runtime.distributed import init_distributed  # imported late: torch
    from flashsac.trainer import Trainer  # imported late: it pulls in torch and the agent

    # Launched by torchrun with several processes this joins their group; otherwise it changes nothing.
    ranks = init_distributed(cfg.device)
    try:
        run_dir = Path(ranks.broadcast_object(str(run_dir)))  # rank 0's timestamp names the run for all
        if ranks.is_main:
            run_dir.mkdir(parents=True, exist_ok=True)
            write_text_atomically(run_dir / "config.yaml", config_to_yaml(cfg))
            where = f" on {ranks.world_size} ranks ({ranks.backend})" if ranks.distributed else ""
            print(f"flashsac: training {cfg.env.name}/{cfg.env.task}{where} -> {run_dir}", flush=True)
        ranks.barrier()  # the run directory exists before any rank writes into it
        result = Trainer(cfg, run_dir, resume_from=payload, ranks=ranks).run()
    except KeyboardInterrupt:
        if ranks.is_main:
            print(f"\nflashsac: interrupted; a checkpoint was written. Continue with: flashsac train resume={run_dir}")
        return 130
    finally:
        ranks.close()
    if not ranks.is_main:
        return 0
    final = result.final_eval.get("eval/avg_return", float("nan"))
    verdict = ""
    if result.solved is not None:
        verdict = f" | solved (>= {result.solved_return:g}): {'yes' if result.solved else 'NO'}"
    print(
        f"flashsac: done in {result.wall_time_s:.0f}s, {result.env_steps:,} env steps, "
        f"{result.update_steps:,} updates | final eval return {final:.1f}{verdict}\n"
        f"run directory: {run_dir}",
        flush=True,
    )
    return 0

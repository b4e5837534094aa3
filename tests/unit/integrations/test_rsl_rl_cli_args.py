"""IsaacLab's rsl_rl flags, the agent config they resolve to, config overrides and the rsl_rl log layout."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from flashsac.integrations.rsl_rl import FlashSACRunnerCfg
from flashsac.integrations.rsl_rl.isaaclab.cli_args import (
    _from_ppo,
    apply_overrides,
    build_parser,
    update_agent_cfg,
)
from flashsac.integrations.rsl_rl.log_dirs import checkpoint_file, latest_checkpoint, run_log_dir


@dataclasses.dataclass
class _PPOCfg:
    """The fields of IsaacLab's RslRlOnPolicyRunnerCfg that a FlashSAC config keeps (plus PPO's own)."""

    seed: int = 7
    device: str = "cuda:1"
    num_steps_per_env: int = 24
    max_iterations: int = 1500
    obs_groups: dict = dataclasses.field(default_factory=lambda: {"actor": ["policy"], "critic": ["privileged"]})
    clip_actions: float | None = 2.0
    save_interval: int = 100
    experiment_name: str = "anymal_d_flat"
    logger: str = "wandb"
    wandb_project: str = "mine"
    neptune_project: str = "isaaclab"
    algorithm: dict = dataclasses.field(default_factory=lambda: {"class_name": "PPO", "num_mini_batches": 4})


def test_a_ppo_config_swaps_to_flashsac_keeping_the_run_keys() -> None:
    cfg = _from_ppo(_PPOCfg())
    assert isinstance(cfg, FlashSACRunnerCfg) and cfg.experiment_name == "anymal_d_flat_flashsac"
    assert (cfg.seed, cfg.device, cfg.num_steps_per_env, cfg.save_interval) == (7, "cuda:1", 24, 100)
    assert cfg.obs_groups == {"actor": ["policy"], "critic": ["privileged"]} and cfg.clip_actions == 2.0
    assert (cfg.logger, cfg.wandb_project) == ("wandb", "mine")
    assert cfg.max_iterations == FlashSACRunnerCfg().max_iterations  # PPO's iteration count means nothing here
    assert cfg.algorithm.class_name == "FlashSAC"


def test_isaaclabs_flags_override_the_agent_config() -> None:
    args = build_parser("t", train=True).parse_args(
        ["--seed", "5", "--resume", "--load_run", "2026.*", "--checkpoint", "model_9.pt", "--run_name", "r"]
        + ["--max_iterations", "12", "--logger", "wandb", "--log_project_name", "proj", "--experiment_name", "e"]
    )
    cfg = update_agent_cfg(FlashSACRunnerCfg(), args)
    assert (cfg.seed, cfg.resume, cfg.load_run, cfg.load_checkpoint) == (5, True, "2026.*", "model_9.pt")
    assert (cfg.run_name, cfg.max_iterations, cfg.logger, cfg.wandb_project) == ("r", 12, "wandb", "proj")
    assert cfg.experiment_name == "e"
    drawn = update_agent_cfg(FlashSACRunnerCfg(), build_parser("t", train=True).parse_args(["--seed", "-1"]))
    assert 0 <= drawn.seed <= 10000


def test_leftover_arguments_set_config_fields_and_name_what_is_wrong() -> None:
    cfg, env = FlashSACRunnerCfg(), {"episode_length_s": 20.0}
    apply_overrides(
        ["agent.algorithm.batch_size=4096", "agent.clip_actions=null", "env.episode_length_s=10"],
        {
            "agent": cfg,
            "env": env,
        },
    )
    assert cfg.algorithm.batch_size == 4096 and cfg.clip_actions is None and env["episode_length_s"] == 10
    with pytest.raises(ValueError, match="has no field 'batchsize'"):
        apply_overrides(["agent.algorithm.batchsize=1"], {"agent": cfg})
    with pytest.raises(ValueError, match="unknown argument '--foo'"):
        apply_overrides(["--foo"], {"agent": cfg})


def test_run_directories_and_the_checkpoint_a_resume_picks(tmp_path: Path) -> None:
    run = run_log_dir(tmp_path, "exp", "tag", now=datetime(2026, 1, 2, 3, 4, 5))
    assert run == tmp_path / "exp" / "2026-01-02_03-04-05_tag"
    for name, its in (("2026-01-01_00-00-00", (0, 50)), ("2026-01-02_00-00-00", (0, 9, 10, 100))):
        for it in its:
            checkpoint_file(tmp_path / "exp" / name, it).parent.mkdir(parents=True, exist_ok=True)
            checkpoint_file(tmp_path / "exp" / name, it).touch()
    assert latest_checkpoint(tmp_path / "exp").name == "model_100.pt"  # numerically, not alphabetically
    assert latest_checkpoint(tmp_path / "exp", "2026-01-01.*").name == "model_50.pt"
    assert latest_checkpoint(tmp_path / "exp", ".*", r"model_9\.pt").name == "model_9.pt"
    with pytest.raises(FileNotFoundError, match="no run directory .* matches --load_run='x'"):
        latest_checkpoint(tmp_path / "exp", "x")

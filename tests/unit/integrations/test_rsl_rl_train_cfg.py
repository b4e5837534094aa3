"""rsl_rl's train_cfg dict read into flashsac's typed RunConfig: the mapping, unknown keys, errors named as written."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch

from flashsac.config.validate import ConfigError
from flashsac.integrations.rsl_rl import FlashSACAlgorithmCfg, FlashSACRunnerCfg, parse_train_cfg
from flashsac.integrations.rsl_rl.train_cfg import resolve_bounds

CPU = torch.device("cpu")


def _parse(cfg: dict[str, Any], device: str = "cpu", joint_limited: bool = False, num_envs: int = 64) -> Any:
    return parse_train_cfg(
        cfg, num_envs=num_envs, env_device=CPU, device=device, task="task", joint_limited=joint_limited, log_dir="d"
    )


def _cfg(**changes: Any) -> dict[str, Any]:
    algorithm = changes.pop("algorithm", {})
    cfg = FlashSACRunnerCfg(**changes).to_dict()
    cfg["algorithm"].update(algorithm)
    return cfg


def test_the_runner_keys_map_onto_the_run_config() -> None:
    settings = _parse(_cfg(seed=7, num_steps_per_env=10, max_iterations=300, save_interval=20, run_name="r"))
    run = settings.run
    assert run.seed == 7 and run.device == "cpu"
    assert run.train.num_env_steps == 300 * 10 * 64 and run.train.log_every_env_steps == 640
    assert run.train.checkpoint_every_env_steps == 20 * 640 and run.train.eval_every_env_steps == 0
    assert (run.env.name, run.env.task, run.env.num_envs) == ("rsl_rl", "task", 64)
    assert (settings.max_iterations, settings.save_interval, settings.run_name) == (300, 20, "r")
    assert settings.env_steps_per_iteration == 640
    assert settings.obs_groups == {"actor": ("policy",)}
    assert run.logging.run_dir == "d" and not run.logging.tensorboard and not run.logging.wandb


def test_algorithm_holds_every_agent_key_and_the_loop_and_buffer_keys() -> None:
    algorithm = {
        "gamma": 0.97,
        "critic_num_bins": 51,
        "batch_size": 256,
        "buffer_capacity": 5000,
        "buffer_min_size": 99,
    }
    run = _parse(_cfg(algorithm=algorithm)).run
    assert (run.agent.gamma, run.agent.critic_num_bins, run.agent.n_step) == (0.97, 51, 3)
    assert (run.train.batch_size, run.buffer.capacity, run.buffer.min_size) == (256, 5000, 99)
    agent_keys = {f.name for f in dataclasses.fields(FlashSACAlgorithmCfg)}
    assert {f.name for f in dataclasses.fields(type(run.agent))} <= agent_keys


def test_amp_and_compile_are_off_on_a_cpu_learner_and_kept_on_cuda() -> None:
    assert not _parse(_cfg()).run.agent.use_amp and not _parse(_cfg()).run.agent.use_compile
    cuda = _parse(_cfg(), device="cuda:0").run.agent
    assert cuda.use_amp and cuda.use_compile


def test_mjlabs_and_isaaclabs_extra_runner_keys_are_accepted() -> None:
    cfg = {**_cfg(), "wandb_tags": ("a",), "upload_model": True, "multi_gpu": None, "check_for_nan": True}
    assert _parse(cfg).logger_options["wandb_tags"] == ("a",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"foo": 1}, "train_cfg.foo is not a key of the FlashSAC runner; valid keys:"),
        ({"actor": {}}, "train_cfg.actor is not a key of the FlashSAC runner (a PPO key"),
        ({"algorithm": {"num_mini_batches": 4}}, "train_cfg.algorithm.num_mini_batches is not a key"),
        ({"algorithm": {"class_name": "PPO"}}, "train_cfg.algorithm.class_name='PPO' is not 'FlashSAC'"),
        ({"max_iterations": 0}, "train_cfg.max_iterations=0 is invalid: expected an integer >= 1"),
        ({"algorithm": {"gamma": 2.0}}, "train_cfg.algorithm.gamma=2.0 is invalid: expected a number in (0, 1]"),
        ({"algorithm": {"buffer_obs_dtype": "int8"}}, "train_cfg.algorithm.buffer_obs_dtype='int8' is invalid"),
        ({"action_bounds": "wide"}, "train_cfg.action_bounds='wide' is invalid"),
        ({"multi_gpu": {"world_size": 2}}, "train_cfg.multi_gpu is set"),
    ],
)
def test_a_bad_key_or_value_is_one_line_naming_the_train_cfg_key(change: dict[str, Any], message: str) -> None:
    cfg = _cfg()
    algorithm = change.pop("algorithm", None)
    cfg.update(change)
    if algorithm is not None:
        cfg["algorithm"].update(algorithm)
    with pytest.raises(ConfigError) as info:
        _parse(cfg)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_too_short_a_run_for_the_warm_up_names_max_iterations() -> None:
    with pytest.raises(ConfigError, match=r"^train_cfg.max_iterations \(times num_steps_per_env \* num_envs\)=6400"):
        _parse(_cfg(max_iterations=1, num_steps_per_env=100))


def test_auto_bounds_follow_clip_actions_then_joint_limits_then_the_scalar_box() -> None:
    assert resolve_bounds("auto", 2.5, 1.0, joint_limited=True) == ("scalar", 2.5)
    assert resolve_bounds("auto", None, 1.0, joint_limited=True) == ("joint_limits", 1.0)
    assert resolve_bounds("auto", None, 0.5, joint_limited=False) == ("scalar", 0.5)
    assert resolve_bounds("symmetric", 2.5, 1.0, joint_limited=True) == ("symmetric", 1.0)
    env = _parse(_cfg(clip_actions=3.0), joint_limited=True).run.env
    assert (env.action_bounds, env.action_bound) == ("scalar", 3.0)


def test_without_a_log_dir_the_training_budget_is_not_checked() -> None:
    cfg = _cfg(max_iterations=1, num_steps_per_env=1)  # far fewer env steps than the warm-up: fine for play
    settings = parse_train_cfg(
        cfg, num_envs=1, env_device=CPU, device="cpu", task="t", joint_limited=False, log_dir=None
    )
    assert settings.run.train.num_env_steps == 1
    cfg["algorithm"]["gamma"] = 2.0  # the agent's own rules still hold
    with pytest.raises(ConfigError, match="train_cfg.algorithm.gamma"):
        parse_train_cfg(cfg, num_envs=1, env_device=CPU, device="cpu", task="t", joint_limited=False, log_dir=None)

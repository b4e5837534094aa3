"""Config validation (every error names its key), packaged presets, and derived run quantities."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from flashsac.cli.compose import compose_config
from flashsac.config import ConfigError, RunConfig, derive, validate


def _with(**changes: Any) -> RunConfig:
    """A default RunConfig with dotted-path fields replaced: ``_with(**{"agent.gamma": 0.5})``."""
    cfg = RunConfig()
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = cfg
        for part in parents:
            node = getattr(node, part)
        assert leaf in {f.name for f in dataclasses.fields(node)}, dotted  # guard against typos in this table
        setattr(node, leaf, value)
    return cfg


def test_default_config_is_valid() -> None:
    validate(RunConfig())


# (expected key in the message, changes)
BAD_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("agent.gamma", {"agent.gamma": 0.0}),
    ("agent.gamma", {"agent.gamma": 1.5}),
    ("agent.gamma", {"agent.gamma": float("nan")}),
    ("agent.n_step", {"agent.n_step": 0}),
    ("agent.tau", {"agent.tau": -0.01}),
    ("agent.tau", {"agent.tau": 0.0}),
    ("agent.init_std", {"agent.init_std": 1.5}),  # log 1.5 > log_std_max = 0
    ("agent.init_std", {"agent.init_std": 0.001}),  # log 0.001 = -6.9 < log_std_min = -5
    ("agent.init_std", {"agent.init_std": 0.0}),
    ("agent.log_std_min", {"agent.log_std_min": 0.0, "agent.log_std_max": 0.0}),
    ("agent.log_std_min", {"agent.log_std_min": 1.0, "agent.log_std_max": -1.0}),
    ("agent.amp_dtype", {"agent.amp_dtype": "fp8"}),
    ("agent.critic_num_bins", {"agent.critic_num_bins": 1}),
    ("agent.normalized_g_max", {"agent.normalized_g_max": 0.0}),
    ("agent.actor_update_period", {"agent.actor_update_period": 0}),
    ("agent.temp_initial_value", {"agent.temp_initial_value": -0.1}),
    ("agent.temp_target_sigma", {"agent.temp_target_sigma": 0.0}),
    ("agent.noise_zeta_max", {"agent.noise_zeta_max": 0}),
    ("agent.lr_peak", {"agent.lr_peak": 0.0}),
    ("agent.lr_warmup_rate", {"agent.lr_warmup_rate": 1.5}),
    ("agent.actor_hidden_dim", {"agent.actor_hidden_dim": 0}),
    ("buffer.obs_dtype", {"buffer.obs_dtype": "int8"}),
    ("buffer.device", {"buffer.device": "tpu"}),
    ("buffer.min_size", {"buffer.min_size": 0}),
    ("buffer.min_size", {"buffer.capacity": 1000, "buffer.min_size": 2000, "train.batch_size": 64}),
    ("buffer.capacity", {"env.num_envs": 4, "agent.n_step": 3, "buffer.capacity": 15, "buffer.min_size": 10}),
    ("device", {"device": "gpu"}),
    ("device", {"device": "cuda:x"}),
    ("env.device", {"env.device": "gpu"}),
    ("env.num_envs", {"env.num_envs": 0}),
    ("seed", {"seed": -1}),
    ("train.batch_size", {"train.batch_size": 1}),
    ("train.batch_size", {"buffer.capacity": 100, "buffer.min_size": 10}),  # batch 512 > capacity 100
    ("train.num_eval_episodes", {"env.num_eval_envs": 4, "train.num_eval_episodes": 10}),
    ("train.num_eval_episodes", {"train.num_eval_episodes": 0}),
    ("train.num_env_steps", {"train.num_env_steps": 10_000}),  # == buffer.min_size: no update would happen
    ("train.num_env_steps", {"train.num_env_steps": 5_000}),
    ("train.updates_per_vector_step", {"train.updates_per_vector_step": -1.0}),  # 0 is valid: collect only
    ("train.log_every_env_steps", {"train.log_every_env_steps": 0}),
    ("train.solved_return", {"train.solved_return": float("inf")}),
]


@pytest.mark.parametrize(("key", "changes"), BAD_CONFIGS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BAD_CONFIGS)])
def test_bad_config_raises_config_error_naming_the_key(key: str, changes: dict[str, Any]) -> None:
    cfg = _with(**changes)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    message = str(err.value)
    assert message.startswith(f"{key}="), message  # the offending key leads the message
    assert "\n" not in message


def test_boundary_values_are_accepted() -> None:
    validate(_with(**{"agent.gamma": 1.0, "agent.tau": 1.0, "train.batch_size": 2}))
    validate(_with(**{"env.num_envs": 4, "agent.n_step": 3, "buffer.capacity": 16, "buffer.min_size": 10,
                      "train.batch_size": 16, "train.num_env_steps": 11}))  # fmt: skip
    validate(_with(**{"device": "cuda:1", "agent.amp_dtype": "bfloat16", "buffer.obs_dtype": "float16"}))


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


# ------------------------------------------------------------------ packaged presets


PRESETS = [
    ("torch", None),
    ("mujoco", None),
    ("dmc", None),
    ("torch", "small"),
    ("torch", "cpu"),
    ("torch", "gpu"),
    ("mujoco", "small"),
    ("mujoco", "cpu"),
    ("mujoco", "gpu"),
    ("dmc", "small"),
    ("dmc", "cpu"),
    ("dmc", "gpu"),
    ("myosuite", None),
    ("myosuite", "small"),
    ("metaworld", None),
    ("metaworld", "small"),
    ("humanoid_bench", None),
    ("humanoid_bench", "small"),
]


@pytest.mark.parametrize(("env", "preset"), PRESETS)
def test_every_packaged_preset_composes_and_validates(env: str, preset: str | None) -> None:
    overrides = [f"env={env}"] + ([f"preset={preset}"] if preset else [])
    cfg = compose_config(overrides)
    assert isinstance(cfg, RunConfig)
    assert cfg.env.name == env
    validate(cfg)
    derived = derive(cfg)
    assert derived.total_updates >= 1
    assert derived.warmup_iterations < derived.num_iterations


def test_gpu_preset_values_from_the_paper() -> None:
    cfg = compose_config(["env=mujoco", "preset=gpu"])
    assert cfg.env.num_envs == 1024
    assert cfg.train.batch_size == 2048
    assert cfg.train.num_env_steps == 50_000_896 == 48_829 * 1024
    assert cfg.train.updates_per_vector_step == 2.0
    assert cfg.agent.use_amp is True


def test_default_torch_run_composes_to_the_small_networks() -> None:
    cfg = compose_config([])
    assert (cfg.env.name, cfg.env.task) == ("torch", "pendulum-swingup")
    assert (cfg.agent.actor_hidden_dim, cfg.agent.critic_hidden_dim) == (64, 128)


# ------------------------------------------------------------------ derived values


def test_derive_hand_example() -> None:
    cfg = _with(
        **{
            "env.num_envs": 16,
            "train.num_env_steps": 1000,
            "buffer.min_size": 100,
            "buffer.capacity": 5000,
            "train.batch_size": 64,
            "train.updates_per_vector_step": 2.5,
        }
    )
    validate(cfg)
    derived = derive(cfg)
    assert derived.num_iterations == 63  # ceil(1000 / 16) = ceil(62.5)
    assert derived.warmup_iterations == 7  # ceil(100 / 16) = ceil(6.25)
    assert derived.total_updates == 140  # floor((63 - 7) * 2.5)


def test_derive_under_several_ranks_counts_env_steps_over_all_of_them() -> None:
    cfg = _with(**{"env.num_envs": 16, "train.num_env_steps": 1000, "buffer.min_size": 100})
    validate(cfg)
    derived = derive(cfg, world_size=4)  # 64 env steps per vector step; each rank's shard warms up alone
    assert derived.num_iterations == 16  # ceil(1000 / 64)
    assert derived.warmup_iterations == 7  # ceil(100 / 16), as for one rank
    assert derived.total_updates == 9  # floor((16 - 7) * 1)
    assert derive(cfg, world_size=1) == derive(cfg)


def test_derive_paper_cpu_regime() -> None:
    derived = derive(RunConfig())  # 1M steps, 1 env, 10k warm-up, U = 1
    assert derived.num_iterations == 1_000_000
    assert derived.warmup_iterations == 10_000
    assert derived.total_updates == 990_000


def test_derive_gpu_regime_by_hand() -> None:
    cfg = compose_config(["env=mujoco", "preset=gpu"])
    derived = derive(cfg)
    assert derived.num_iterations == 48_829
    assert derived.warmup_iterations == math.ceil(100_000 / 1024)  # 98
    assert derived.total_updates == (48_829 - 98) * 2


def test_derive_fractional_updates_round_down() -> None:
    cfg = _with(**{"train.num_env_steps": 10_007, "buffer.min_size": 7, "train.updates_per_vector_step": 0.25})
    derived = derive(cfg)
    assert derived.num_iterations == 10_007
    assert derived.total_updates == 2500  # floor(10000 * 0.25)


@pytest.mark.parametrize(
    ("num_eval_envs", "num_eval_episodes", "expected"),
    [
        (1, None, 10),  # automatic: the fewest whole rounds giving >= 10 episodes
        (4, None, 12),  # 3 rounds of 4
        (16, None, 16),  # 1 round of 16
        (3, 6, 6),  # explicit value kept
    ],
)
def test_derive_number_of_eval_episodes(num_eval_envs: int, num_eval_episodes: int | None, expected: int) -> None:
    cfg = _with(**{"env.num_eval_envs": num_eval_envs, "train.num_eval_episodes": num_eval_episodes})
    validate(cfg)
    assert derive(cfg).num_eval_episodes == expected

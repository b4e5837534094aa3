"""Validation of a composed run configuration: every error names the key and the fix.

Runs before any simulator starts or any file is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from flashsac.config.schema import BOUNDS_MODES, FINAL_OBS_MODES, RunConfig

__all__ = ["ConfigError", "validate"]

_DEVICES = ("auto", "cpu", "cuda")
_OBS_DTYPES = ("float32", "bfloat16", "float16")
_AMP_DTYPES = ("float16", "bfloat16")


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key and how to fix it."""


def _device_ok(value: str) -> bool:
    return value in _DEVICES or (value.startswith("cuda:") and value[5:].isdigit())


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


# (key, predicate on the value, what a valid value is)
_RULES: list[tuple[str, Callable[[Any], bool], str]] = [
    ("seed", lambda v: v >= 0, "an integer >= 0"),
    ("device", _device_ok, "auto, cpu, cuda or cuda:N"),
    ("num_threads", lambda v: v >= 0, "0 (torch default) or a positive thread count"),
    ("env.num_envs", lambda v: v >= 1, "an integer >= 1"),
    ("env.num_eval_envs", lambda v: v >= 1, "an integer >= 1"),
    ("env.max_episode_steps", lambda v: v is None or v >= 1, "null or an integer >= 1"),
    ("env.device", _device_ok, "auto, cpu, cuda or cuda:N"),
    ("env.action_bounds", lambda v: v in BOUNDS_MODES, f"one of {', '.join(BOUNDS_MODES)}"),
    ("env.action_bound", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("env.joint_limit_fraction", lambda v: _finite(v) and 0 < v <= 1, "a number in (0, 1]"),
    ("env.final_obs", lambda v: v in FINAL_OBS_MODES, f"one of {', '.join(FINAL_OBS_MODES)}"),
    ("agent.actor_hidden_dim", lambda v: v >= 1, "an integer >= 1"),
    ("agent.actor_num_blocks", lambda v: v >= 0, "an integer >= 0"),
    ("agent.critic_hidden_dim", lambda v: v >= 1, "an integer >= 1"),
    ("agent.critic_num_blocks", lambda v: v >= 0, "an integer >= 0"),
    ("agent.critic_num_bins", lambda v: v >= 2, "an integer >= 2"),
    ("agent.normalized_g_max", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("agent.gamma", lambda v: _finite(v) and 0 < v <= 1, "a number in (0, 1]"),
    ("agent.n_step", lambda v: v >= 1, "an integer >= 1"),
    ("agent.tau", lambda v: _finite(v) and 0 < v <= 1, "a number in (0, 1]"),
    ("agent.actor_update_period", lambda v: v >= 1, "an integer >= 1"),
    ("agent.temp_initial_value", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("agent.temp_target_sigma", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("agent.temp_target_entropy", lambda v: v is None or _finite(v), "null or a finite number"),
    ("agent.log_std_min", _finite, "a finite number"),
    ("agent.log_std_max", _finite, "a finite number"),
    ("agent.init_std", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("agent.noise_zeta_mu", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("agent.noise_zeta_max", lambda v: v >= 1, "an integer >= 1"),
    ("agent.actor_bc_alpha", lambda v: _finite(v) and v >= 0, "a finite number >= 0"),
    ("agent.lr_init", lambda v: _finite(v) and v >= 0, "a finite number >= 0"),
    ("agent.lr_peak", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("agent.lr_end", lambda v: _finite(v) and v >= 0, "a finite number >= 0"),
    ("agent.lr_warmup_rate", lambda v: _finite(v) and 0 <= v <= 1, "a fraction in [0, 1]"),
    ("agent.lr_decay_rate", lambda v: _finite(v) and v > 0, "a finite number > 0"),
    ("agent.amp_dtype", lambda v: v in _AMP_DTYPES, f"one of {', '.join(_AMP_DTYPES)}"),
    ("buffer.capacity", lambda v: v >= 1, "an integer >= 1"),
    ("buffer.min_size", lambda v: v >= 1, "an integer >= 1"),
    ("buffer.device", _device_ok, "auto, cpu, cuda or cuda:N"),
    ("buffer.obs_dtype", lambda v: v in _OBS_DTYPES, f"one of {', '.join(_OBS_DTYPES)}"),
    ("train.num_env_steps", lambda v: v >= 1, "an integer >= 1"),
    ("train.batch_size", lambda v: v >= 2, "an integer >= 2 (batch norm needs two samples)"),
    (
        "train.updates_per_vector_step",
        lambda v: _finite(v) and v >= 0,
        "a finite number >= 0 (0: collect only, no gradient updates; for benchmarking the loop)",
    ),
    ("train.eval_every_env_steps", lambda v: v >= 0, "an integer >= 0 (0: only the final evaluation)"),
    ("train.num_eval_episodes", lambda v: v is None or v >= 1, "null (automatic) or an integer >= 1"),
    ("train.log_every_env_steps", lambda v: v >= 1, "an integer >= 1"),
    ("train.checkpoint_every_env_steps", lambda v: v >= 0, "an integer >= 0 (0: only the final checkpoint)"),
    ("train.solved_return", lambda v: v is None or _finite(v), "null or a finite number"),
    ("train.keep_checkpoints", lambda v: v >= 1, "an integer >= 1"),
    ("train.video_every_env_steps", lambda v: v >= 0, "an integer >= 0 (0: no videos)"),
    ("logging.wandb_mode", lambda v: v in ("online", "offline", "disabled"), "online, offline or disabled"),
]


def _get(cfg: RunConfig, key: str) -> Any:
    value: Any = cfg
    for part in key.split("."):
        value = getattr(value, part)
    return value


def validate(cfg: RunConfig) -> None:
    """Check ranges and cross-field consistency of a run configuration.

    Raises:
        ConfigError: for the first problem found, naming the key, the value and the fix.
    """
    for key, ok, expected in _RULES:
        value = _get(cfg, key)
        if not ok(value):
            raise ConfigError(f"{key}={value!r} is invalid: expected {expected}. Override it, e.g. `{key}=...`.")
    a, b, t, e = cfg.agent, cfg.buffer, cfg.train, cfg.env
    checks = [
        (a.log_std_min < a.log_std_max, "agent.log_std_min", "must be below agent.log_std_max"),
        (
            a.log_std_min < math.log(a.init_std) < a.log_std_max,
            "agent.init_std",
            f"must lie in (exp(log_std_min), exp(log_std_max)) = ({math.exp(a.log_std_min):.4g}, "
            f"{math.exp(a.log_std_max):.4g})",
        ),
        (
            t.num_eval_episodes is None or t.num_eval_episodes % e.num_eval_envs == 0,
            "train.num_eval_episodes",
            f"must be a multiple of env.num_eval_envs={e.num_eval_envs} (each eval env runs whole rounds)",
        ),
        (
            b.capacity >= e.num_envs * (a.n_step + 1),
            "buffer.capacity",
            f"must hold at least env.num_envs * (agent.n_step + 1) = {e.num_envs * (a.n_step + 1)} transitions",
        ),
        (t.batch_size <= b.capacity, "train.batch_size", f"must not exceed buffer.capacity={b.capacity}"),
        (b.min_size <= b.capacity, "buffer.min_size", f"must not exceed buffer.capacity={b.capacity}"),
        (
            t.num_env_steps > b.min_size,
            "train.num_env_steps",
            f"must exceed buffer.min_size={b.min_size} (the random warm-up), or no update ever happens",
        ),
        (t.num_env_steps >= e.num_envs, "train.num_env_steps", f"must be at least env.num_envs={e.num_envs}"),
    ]
    for ok, key, fix in checks:
        if not ok:
            raise ConfigError(f"{key}={_get(cfg, key)!r} is invalid: it {fix}.")

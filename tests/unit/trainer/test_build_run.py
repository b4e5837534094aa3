"""build_run: the parts of a run from its configuration; simulators that evaluate on the training instance."""

from __future__ import annotations

import pytest
import torch

from flashsac.cli.compose import compose_config
from flashsac.config.validate import ConfigError, validate
from flashsac.trainer.parts import build_run
from tiny_run import tiny_overrides


def _cfg(changes: dict[str, object] | None = None):
    cfg = compose_config(tiny_overrides(changes))
    validate(cfg)
    return cfg


def test_parts_follow_the_configuration() -> None:
    parts = build_run(_cfg({"buffer.obs_dtype": "bfloat16"}))
    try:
        assert parts.env.spec.num_envs == 4 and parts.eval_env.spec.num_envs == 2
        assert parts.eval_env is not parts.env
        assert parts.devices.learner == parts.devices.env == parts.devices.buffer == torch.device("cpu")
        assert parts.buffer.capacity == 1000 and parts.buffer.obs_dtype == torch.bfloat16
        assert parts.buffer.generator is not None
        assert parts.agent.cfg.critic_num_bins == 11
        assert parts.derived.num_eval_episodes == 2
        assert parts.solved_return is not None  # the registry's threshold for pendulum-swingup
    finally:
        parts.close()
        parts.close()  # idempotent


def test_same_seed_builds_the_same_networks() -> None:
    first, second = build_run(_cfg()), build_run(_cfg())
    try:
        for a, b in zip(first.agent.actor.parameters(), second.agent.actor.parameters(), strict=True):
            assert torch.equal(a, b)
    finally:
        first.close()
        second.close()


def test_episode_count_not_filling_whole_rounds_is_refused(shared_instance) -> None:
    cfg = _cfg({"train.num_eval_episodes": 6})  # 4 training envs
    with pytest.raises(ConfigError, match=r"train.num_eval_episodes=6 .* multiple of env.num_envs=4"):
        build_run(cfg)


def test_automatic_episode_count_is_one_round_of_the_training_envs(shared_instance) -> None:
    parts = build_run(_cfg({"train.num_eval_episodes": None}))
    try:
        assert parts.eval_env is parts.env
        assert parts.derived.num_eval_episodes == 4
    finally:
        parts.close()


def test_a_simulator_without_true_final_observations_is_warned_about() -> None:
    with pytest.warns(UserWarning, match="cannot return the true final observation"):
        build_run(_cfg({"env.final_obs": "post_reset"})).close()

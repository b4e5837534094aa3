"""Simulators that evaluate on the training instance: evaluation runs whole rounds of the training envs."""

from __future__ import annotations

import dataclasses

import pytest

from flashsac import trainer as trainer_module
from flashsac.cli.compose import compose_config
from flashsac.config.validate import ConfigError
from flashsac.envs.bounded import BoundedEnv
from tiny_run import tiny_overrides


@pytest.fixture
def shared_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    real = trainer_module.make_env_from_config

    def make_shared(*args, **kwargs):
        env = real(*args, **kwargs)
        wrapped = BoundedEnv(env, env.spec.action_low, env.spec.action_high)
        wrapped._spec = dataclasses.replace(wrapped.spec, shares_instance=True)
        return wrapped

    monkeypatch.setattr(trainer_module, "make_env_from_config", make_shared)


def test_episode_count_not_filling_whole_rounds_is_refused(shared_instance, tmp_path) -> None:
    cfg = compose_config(tiny_overrides({"train.num_eval_episodes": 6}))  # 4 training envs
    with pytest.raises(ConfigError, match=r"train.num_eval_episodes=6 .* multiple of env.num_envs=4"):
        trainer_module.Trainer(cfg, tmp_path)


def test_automatic_episode_count_is_one_round_of_the_training_envs(shared_instance, tmp_path) -> None:
    cfg = compose_config(tiny_overrides({"train.num_eval_episodes": None}))
    trainer = trainer_module.Trainer(cfg, tmp_path)
    assert trainer.eval_env is trainer.env
    assert trainer.derived.num_eval_episodes == 4

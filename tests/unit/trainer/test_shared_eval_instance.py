"""Simulators that evaluate on the training instance: evaluation runs whole rounds of the training envs."""

from __future__ import annotations

import csv
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


def test_buffer_health_is_logged_and_counts_the_re_reset_after_evaluation(shared_instance, tmp_path) -> None:
    """Evaluating on the training instance resets it mid-episode: each env's break shows in scalars.csv."""
    changes = {"train.num_env_steps": 160, "train.eval_every_env_steps": 80, "train.num_eval_episodes": None}
    cfg = compose_config([*tiny_overrides(changes), f"logging.run_dir={tmp_path}"])
    trainer_module.Trainer(cfg, tmp_path).run()
    with (tmp_path / "scalars.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["key"].startswith("buffer/")]
    logged = {(int(r["env_steps"]), r["key"]): float(r["value"]) for r in rows}
    log_steps = range(40, 161, 40)
    assert {key for _, key in logged} == {"buffer/stale_final_obs_samples", "buffer/episode_breaks"}
    assert sorted({step for step, _ in logged}) == list(log_steps)
    assert all(logged[(step, "buffer/stale_final_obs_samples")] == 0 for step in log_steps)
    # The evaluation at env step 80 resets all 4 envs 20 steps into their 40-step episodes.
    assert [logged[(step, "buffer/episode_breaks")] for step in log_steps] == [0, 0, 4, 4]

"""Training-episode success rates: logged only for envs that report info["success"], hand-checked per episode."""

from pathlib import Path

import pytest
import torch

from flashsac.cli.compose import compose_config
from flashsac.config.validate import validate
from flashsac.envs import Step
from flashsac.trainer import Trainer, _episode_means
from tiny_run import tiny_overrides


def _trainer(run_dir: Path) -> Trainer:
    cfg = compose_config([*tiny_overrides({"env.num_envs": 2}), f"logging.run_dir={run_dir}"])
    validate(cfg)
    return Trainer(cfg, run_dir)


def _step(done: list[bool], success: list[bool] | None) -> Step:
    n = len(done)
    obs = torch.zeros(n, 3)
    info = {} if success is None else {"success": torch.tensor(success)}
    return Step(
        obs=obs,
        reward=torch.ones(n),
        terminated=torch.zeros(n, dtype=torch.bool),
        truncated=torch.tensor(done),
        final_obs=obs,
        info=info,
    )


def test_success_once_and_at_end_per_finished_episode(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path)
    try:
        trainer.metrics.flush()
        # env 0: success at t=1 only, episode ends at t=3 -> once 1, end 0.
        # env 1: never succeeds in its first episode (ends t=2), succeeds at the end of its second (t=3).
        trainer._track_episodes(_step([False, False], [True, False]))
        trainer._track_episodes(_step([False, True], [False, False]))
        trainer._track_episodes(_step([True, True], [False, True]))
        means = _episode_means(trainer.metrics.flush())
        # Three episodes finished: successes once = (1 + 0 + 1) / 3, at the end = (0 + 0 + 1) / 3.
        assert means["train/episode_success_once"] == pytest.approx(2 / 3)
        assert means["train/episode_success_end"] == pytest.approx(1 / 3)
        assert means["train/episode_length"] == pytest.approx((3 + 2 + 1) / 3)
        assert not trainer.episode_success.any(), "success flags must reset with the episode"
    finally:
        trainer.env.close()


def test_no_success_keys_for_envs_without_success(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path)
    try:
        trainer.metrics.flush()
        trainer._track_episodes(_step([True, True], None))
        means = _episode_means(trainer.metrics.flush())
        assert "train/episode_return" in means
        assert not any("success" in key for key in means)
    finally:
        trainer.env.close()

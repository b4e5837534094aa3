"""The replay buffer's health counters reach scalars.csv at every log interval."""

from __future__ import annotations

import csv
from pathlib import Path

from flashsac.cli.compose import compose_config
from flashsac.trainer import Trainer
from tiny_run import tiny_overrides


def test_buffer_health_is_logged_and_counts_the_re_reset_after_evaluation(shared_instance, tmp_path: Path) -> None:
    """Evaluating on the training instance resets it mid-episode: each env's break shows in scalars.csv."""
    changes = {"train.num_env_steps": 160, "train.eval_every_env_steps": 80, "train.num_eval_episodes": None}
    cfg = compose_config([*tiny_overrides(changes), f"logging.run_dir={tmp_path}"])
    Trainer(cfg, tmp_path).run()
    with (tmp_path / "scalars.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["key"].startswith("buffer/")]
    logged = {(int(r["env_steps"]), r["key"]): float(r["value"]) for r in rows}
    log_steps = range(40, 161, 40)
    assert {key for _, key in logged} == {"buffer/stale_final_obs_samples", "buffer/episode_breaks"}
    assert sorted({step for step, _ in logged}) == list(log_steps)
    assert all(logged[(step, "buffer/stale_final_obs_samples")] == 0 for step in log_steps)
    # The evaluation at env step 80 resets all 4 envs 20 steps into their 40-step episodes.
    assert [logged[(step, "buffer/episode_breaks")] for step in log_steps] == [0, 0, 4, 4]

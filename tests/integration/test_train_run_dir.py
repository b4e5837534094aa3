"""Train a few hundred steps through the CLI and check everything a run directory must hold."""

import csv
import json
from pathlib import Path

import torch

from flashsac.checkpointing.checkpoint_file import load_checkpoint
from flashsac.cli.main import main
from tiny_run import tiny_overrides

TINY = tiny_overrides(
    {
        "buffer.capacity": 2000,
        "train.eval_every_env_steps": 200,
        "train.log_every_env_steps": 100,
        "env.max_episode_steps": 50,
    }
)


def test_train_writes_a_complete_run_directory(tmp_path: Path, capsys) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", *TINY, f"logging.run_dir={run_dir}"]) == 0
    out = capsys.readouterr().out
    assert "final eval return" in out

    assert (run_dir / "config.yaml").read_text().count("pendulum-swingup") == 1
    events = list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0

    with (run_dir / "scalars.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    keys = {row["key"] for row in rows}
    for key in (
        "critic/loss",
        "actor/loss",
        "actor/entropy",
        "temperature/value",
        "eval/avg_return",
        "perf/env_steps_per_s",
        "perf/updates_per_s",
        "train/episode_return",
    ):
        assert key in keys, key
    assert not any(k.endswith("_sum") or k == "train/episodes_finished" for k in keys)
    episode_returns = [float(r["value"]) for r in rows if r["key"] == "train/episode_return"]
    # 50-step pendulum episodes: each return lies in [-50 * 16.3, 0].
    assert all(-820 < v <= 0 for v in episode_returns), episode_returns
    eval_steps = sorted({int(r["env_steps"]) for r in rows if r["key"] == "eval/avg_return"})
    assert eval_steps == [0, 200, 400]

    checkpoint = load_checkpoint(run_dir / "checkpoints" / "final.pt")
    assert checkpoint["counters"]["env_steps"] == 400
    assert checkpoint["config"]["env"]["task"] == "pendulum-swingup"
    assert checkpoint["env_spec"]["action_low"] == [-2.0]
    # Updates happen once per vector step after the 64-transition warm-up (16 vector steps of 4 envs).
    assert checkpoint["agent"]["update_steps"] == 100 - 16
    assert isinstance(checkpoint["agent"]["actor"]["head.weight"], torch.Tensor)

    png = run_dir / "plots" / "learning_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["env_steps"] == 400 and len(summary["eval_returns"]) == 3

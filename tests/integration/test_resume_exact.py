"""Exact resume: k+m env steps in one go == k steps, stop, resume (through the CLI), m steps."""

import csv
from pathlib import Path

import torch

from flashsac.checkpointing.checkpoint_file import load_checkpoint
from flashsac.cli.compose import compose_config
from flashsac.cli.main import main
from flashsac.config.validate import validate
from flashsac.trainer import Trainer
from tiny_run import tiny_overrides

OVERRIDES = tiny_overrides(
    {
        "deterministic": "true",
        "agent.n_step": 3,
        "train.updates_per_vector_step": 1.5,
        "train.num_env_steps": 600,
        "train.eval_every_env_steps": 200,
        "train.log_every_env_steps": 100,
        "train.checkpoint_buffer": "true",
    }
)


def _scalars(run_dir: Path) -> list[tuple[str, str, str]]:
    with (run_dir / "scalars.csv").open() as handle:
        return [
            (r["env_steps"], r["key"], r["value"]) for r in csv.DictReader(handle) if not r["key"].startswith("perf/")
        ]


def _trainer(run_dir: Path) -> Trainer:
    cfg = compose_config([*OVERRIDES, f"logging.run_dir={run_dir}"])
    validate(cfg)
    return Trainer(cfg, run_dir)


def test_stop_and_resume_reproduces_the_uninterrupted_run(tmp_path: Path) -> None:
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    _trainer(straight).run()
    # 300 is not a log, eval or checkpoint boundary: the stop lands mid-interval, with pending metrics.
    _trainer(interrupted).run(stop_after_env_steps=300)
    assert main(["train", f"resume={interrupted}", "logging.progress=false"]) == 0

    a = load_checkpoint(straight / "checkpoints" / "final.pt")
    b = load_checkpoint(interrupted / "checkpoints" / "final.pt")
    assert a["counters"] == b["counters"]
    assert a["agent"]["update_steps"] == b["agent"]["update_steps"] > 0
    for network in ("actor", "critic", "target_critic", "temperature"):
        for name, tensor in a["agent"][network].items():
            assert torch.equal(tensor, b["agent"][network][name]), f"{network}.{name} differs after resume"
    assert torch.equal(a["agent"]["reward_scaler"]["var"], b["agent"]["reward_scaler"]["var"])
    assert _scalars(straight) == _scalars(interrupted)


def test_resume_refuses_to_change_the_run(tmp_path: Path, capsys) -> None:
    run_dir = tmp_path / "run"
    _trainer(run_dir).run(stop_after_env_steps=100)
    assert main(["train", f"resume={run_dir}", "agent.gamma=0.9"]) == 2
    assert "agent.gamma cannot change when resuming" in capsys.readouterr().err


def test_resume_of_a_directory_without_checkpoints_fails_clearly(tmp_path: Path, capsys) -> None:
    assert main(["train", f"resume={tmp_path}"]) == 2
    assert "no checkpoints" in capsys.readouterr().err

"""The run summary: summary.json fields, the solved verdict and the learning-curve plot."""

from __future__ import annotations

import json
from pathlib import Path

from flashsac.evaluation.summary import TrainResult, write_run_summary


def _result(run_dir: Path, final_return: float, solved_return: float | None) -> TrainResult:
    return TrainResult(
        run_dir,
        env_steps=400,
        update_steps=336,
        eval_env_steps=[0, 200, 400],
        eval_returns=[-1200.0, -600.0, final_return],
        final_eval={"eval/avg_return": final_return},
        solved_return=solved_return,
        wall_time_s=12.3456,
    )


def test_solved_compares_the_final_evaluation_with_the_threshold(tmp_path: Path) -> None:
    assert _result(tmp_path, -150.0, -200.0).solved is True
    assert _result(tmp_path, -250.0, -200.0).solved is False
    assert _result(tmp_path, -250.0, None).solved is None
    assert TrainResult(tmp_path, 0, 0, solved_return=0.0).solved is False  # no evaluation yet


def test_summary_json_and_learning_curve(tmp_path: Path) -> None:
    write_run_summary(_result(tmp_path, -150.0, -200.0), "torch/pendulum-swingup (seed 0)")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == {
        "env_steps": 400,
        "update_steps": 336,
        "wall_time_s": 12.35,
        "final_eval": {"eval/avg_return": -150.0},
        "solved_return": -200.0,
        "solved": True,
        "eval_env_steps": [0, 200, 400],
        "eval_returns": [-1200.0, -600.0, -150.0],
    }
    assert (tmp_path / "plots" / "learning_curve.png").stat().st_size > 0

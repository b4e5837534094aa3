"""``flashsac bench ablate``: statistics and table against hand-computed values, reuse of finished runs, bad flags."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from flashsac.tools.bench import preset_ablation
from flashsac.tools.bench.preset_ablation import VARIANTS, AblationRun, markdown_table


def _record(variant: str, seed: int, evals: list[tuple[int, float]], wall: float = 10.0) -> dict:
    later = [value for steps, value in evals if steps > 0]
    return {
        "task": "dmc/t",
        "variant": variant,
        "seed": seed,
        "budget": 3000,
        "error": None,
        "evals": evals,
        "final": evals[-1][1],
        "mean_later_evals": sum(later) / len(later),
        "wall_s": wall,
    }


def test_every_variant_changes_one_factor_and_base_changes_nothing() -> None:
    assert VARIANTS["base"] == []
    for name, overrides in VARIANTS.items():
        if name != "base":
            assert overrides and all("=" in item for item in overrides), name


def test_summaries_and_table_match_hand_computed_values() -> None:
    records = [
        _record("base", 0, [(0, 5.0), (1500, 10.0), (3000, 20.0)], wall=10.0),
        _record("base", 1, [(0, 5.0), (1500, 30.0), (3000, 40.0)], wall=20.0),
        _record("base", 2, [(0, 5.0), (1500, 50.0), (3000, 60.0)], wall=30.0),
        _record("n-step 3", 0, [(0, 5.0), (1500, 100.0), (3000, 200.0)]),
        {"task": "dmc/t", "variant": "n-step 3", "seed": 1, "error": "exit code 1"},
    ]
    summaries = preset_ablation._summaries(records)
    base = summaries["dmc/t"]["base"]
    assert base["finals"] == [20.0, 40.0, 60.0]
    assert base["final_mean"] == pytest.approx(40.0)
    assert base["final_iqm"] == pytest.approx(40.0)  # 3 values: floor(3/4) = 0 cut at each end
    assert base["mean_later_evals"] == pytest.approx((15.0 + 35.0 + 55.0) / 3)
    assert base["wall_s"] == pytest.approx(20.0)
    assert summaries["dmc/t"]["n-step 3"]["seeds"] == [0]  # the failed seed is left out
    table = markdown_table(summaries, {"dmc/t": 3000})
    assert table.splitlines()[0] == "| variant | dmc/t (3k) |"
    assert "| base | **40** (35) [20, 40, 60] |" in table
    assert "| n-step 3 | **200** (150) [200] |" in table


def test_a_finished_run_in_the_work_dir_is_reused_not_rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = tmp_path / "dmc-t_n-step_3_s0"
    run_dir.mkdir()
    (run_dir / "summary.json").write_text(json.dumps({"wall_time_s": 12.5}))
    lines = [{"env_steps": 0, "eval/avg_return": 1.0}, {"env_steps": 3000, "eval/avg_return": 7.0}]
    (run_dir / "scalars.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(preset_ablation, "run_train", no_training)
    args = argparse.Namespace(preset="small", evals=1, episodes=None, no_train=True)
    record = preset_ablation._run(AblationRun("dmc/t", "n-step 3", 0, 3000), args, tmp_path)
    assert record["error"] is None and record["reused"] is True
    assert record["final"] == 7.0 and record["wall_s"] == 12.5 and record["overrides"] == ["agent.n_step=3"]
    missing = preset_ablation._run(AblationRun("dmc/t", "base", 0, 3000), args, tmp_path)
    assert missing["error"].startswith("not run") and missing["wall_s"] == 0.0  # printed like any other run


def test_an_unfinished_run_in_the_work_dir_is_trained_again_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "dmc-t_n-step_3_s0"
    run_dir.mkdir()
    stale = [{"env_steps": 0, "eval/avg_return": 99.0}, {"env_steps": 1000, "eval/avg_return": 98.0}]
    (run_dir / "scalars.jsonl").write_text("".join(json.dumps(line) + "\n" for line in stale))

    def fake_training(overrides: list[str], directory: Path, threads: int) -> argparse.Namespace:
        assert not directory.exists()  # the interrupted run's files are gone before training starts
        directory.mkdir()
        fresh = [{"env_steps": 0, "eval/avg_return": 1.0}, {"env_steps": 3000, "eval/avg_return": 5.0}]
        with (directory / "scalars.jsonl").open("a") as handle:  # the trainer appends
            handle.write("".join(json.dumps(line) + "\n" for line in fresh))
        return argparse.Namespace(returncode=0, log_tail="", wall_s=3.0)

    monkeypatch.setattr(preset_ablation, "run_train", fake_training)
    args = argparse.Namespace(preset="small", evals=1, episodes=None, no_train=False)
    record = preset_ablation._run(AblationRun("dmc/t", "n-step 3", 0, 3000), args, tmp_path)
    assert record["error"] is None
    assert [tuple(point) for point in record["evals"]] == [(0, 1.0), (3000, 5.0)]  # none of the stale ones
    assert record["final"] == 5.0


def test_bad_flags_fail_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    for argv, message in (
        (["--tasks", "dmc/a", "dmc/b", "--budget", "1", "2", "3"], "--budget takes one value or one per task"),
        (["--tasks", "cartpole-swingup"], "--tasks cartpole-swingup: name it as family/task"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--variants", "nope"], "invalid choice: 'nope'"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            preset_ablation.main([*argv, "--out", str(out)])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    assert not out.exists()

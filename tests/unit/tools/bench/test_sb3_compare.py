"""``flashsac bench sb3``: run order, timing window, statistics and ratios against hand-computed values, bad
input, and one tiny real run of both frameworks (skipped when Stable-Baselines3 or MuJoCo is absent)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

from flashsac.tools.bench import sb3_compare
from flashsac.tools.bench.sb3_report import aggregate, plot, summary_line
from flashsac.tools.bench.sb3_runs import learning_curve, schedule, with_rates


def _record(framework: str, pair: int, wall: float, returns: list[float], task: str = "T", **extra: Any) -> dict:
    record = {
        "framework": framework,
        "task": task,
        "pair": pair,
        "seed": pair,
        "budget": 1000,
        "threads": 1,
        "episodes": len(returns),
        "error": None,
        "env_steps": 1000,
        "updates": 900,
        "train_wall_s": wall,
        "process_wall_s": wall + 5.0,
        "process_cpu_s": wall,
        "eval_returns": returns,
        "eval_lengths": [1000] * len(returns),
    }
    return with_rates(record | extra)


def _failed(framework: str, pair: int, task: str = "T") -> dict:
    return {"framework": framework, "task": task, "pair": pair, "seed": pair, "error": "exited with code 1"}


def test_schedule_alternates_frameworks_and_the_first_of_each_pair() -> None:
    runs = schedule(["A", "B"], {"A": 100, "B": 200}, repeats=3, seed=10, threads=2, episodes=5)
    assert [(r.task, r.framework, r.seed) for r in runs] == [
        ("A", "flashsac", 10),
        ("A", "sb3", 10),
        ("A", "sb3", 11),
        ("A", "flashsac", 11),
        ("A", "flashsac", 12),
        ("A", "sb3", 12),
        ("B", "flashsac", 10),
        ("B", "sb3", 10),
        ("B", "sb3", 11),
        ("B", "flashsac", 11),
        ("B", "flashsac", 12),
        ("B", "sb3", 12),
    ]
    assert {r.budget for r in runs if r.task == "B"} == {200}
    assert {(r.threads, r.episodes, r.evals) for r in runs} == {(2, 5, 5)}


def test_train_window_runs_from_the_initial_eval_to_the_budget_less_the_in_loop_evaluations(tmp_path: Path) -> None:
    lines = [
        {"env_steps": 0, "wall_time": 1.5, "eval/avg_return": 3.0},
        {"env_steps": 1000, "wall_time": 4.0, "perf/env_steps_per_s": 1.0},
        {"env_steps": 1000, "wall_time": 5.0, "eval/avg_return": 6.0},  # in-loop evaluation: 1 s, taken out
        {"env_steps": 2000, "wall_time": 10.25, "perf/env_steps_per_s": 1.0},
        {"env_steps": 2000, "wall_time": 12.0, "eval/avg_return": 9.0},  # final evaluation: outside the window
    ]
    path = tmp_path / "scalars.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    window, curve = learning_curve(tmp_path, 2000)
    assert window == pytest.approx(10.25 - 1.5 - 1.0)
    assert curve == [(1000, 6.0, pytest.approx(2.5)), (2000, 9.0, pytest.approx(7.75))]
    with pytest.raises(ValueError, match="step 3000"):
        learning_curve(tmp_path, 3000)


def test_aggregate_matches_hand_computed_statistics_and_ratios() -> None:
    records = [
        _record("flashsac", 0, 10.0, [1.0, 3.0]),
        _record("sb3", 0, 20.0, [4.0, 4.0]),
        _record("sb3", 1, 20.0, [6.0, 2.0]),
        _record("flashsac", 1, 30.0, [5.0, 7.0]),
    ]
    entry = aggregate(records)["T"]
    fs, sb, ratios = entry["flashsac"], entry["sb3"], entry["ratios"]
    assert fs["train_wall_s"] == pytest.approx(20.0)
    assert fs["train_wall_s_std"] == pytest.approx(math.sqrt(200.0))  # sample std of 10 and 30
    assert fs["env_steps_per_s"] == pytest.approx((100.0 + 1000.0 / 30.0) / 2)
    assert fs["return_mean"] == pytest.approx(4.0)
    assert fs["return_std_over_repeats"] == pytest.approx(math.sqrt(8.0))  # sample std of 2 and 6
    assert fs["return_std_over_episodes"] == pytest.approx(math.sqrt(5.0))  # population std of 1, 3, 5, 7
    assert sb["env_steps_per_s"] == pytest.approx(50.0)
    assert sb["train_wall_s_std"] == pytest.approx(0.0)
    assert sb["return_std_over_episodes"] == pytest.approx(math.sqrt(2.0))  # 4, 4, 6, 2
    assert sb["episodes"] == 4
    assert ratios["wall_clock"] == pytest.approx(1.0)
    assert ratios["env_steps_per_s"] == pytest.approx((100.0 + 1000.0 / 30.0) / 2 / 50.0)
    assert ratios["return_difference"] == pytest.approx(0.0)
    assert ratios["return"] == pytest.approx(1.0)
    assert ratios["wall_clock_per_pair"] == pytest.approx([0.5, 1.5])
    assert ratios["wall_clock_geometric_mean_per_pair"] == pytest.approx(math.sqrt(0.75))
    assert entry["failed_runs"] == 0


def test_return_ratio_is_withheld_when_the_reference_return_is_not_positive() -> None:
    records = [_record("flashsac", 0, 10.0, [-1.0]), _record("sb3", 0, 20.0, [-4.0])]
    ratios = aggregate(records)["T"]["ratios"]
    assert ratios["return"] is None
    assert ratios["return_difference"] == pytest.approx(3.0)
    assert ratios["wall_clock"] == pytest.approx(0.5)


def test_failed_runs_are_counted_and_leave_no_ratio_without_a_successful_pair(tmp_path: Path) -> None:
    records = [
        _record("flashsac", 0, 10.0, [1.0, 3.0]),
        _failed("sb3", 0),
        _record("flashsac", 0, 12.0, [2.0], task="U"),
        _record("sb3", 0, 6.0, [4.0], task="U"),
    ]
    results = aggregate(records)
    assert results["T"]["sb3"] is None and results["T"]["ratios"] is None and results["T"]["failed_runs"] == 1
    line = summary_line("T", 1000, results["T"])
    assert "SB3 SAC no successful run" in line and "1 run(s) FAILED" in line
    line = summary_line("U", 1000, results["U"])
    assert line.startswith(
        "sb3 U (1,000 env steps): flashsac 12s 83 steps/s return 2.0±0.0 IQM 2.0 | SB3 SAC 6s 167 steps/s"
    )
    assert "wall-clock x2.00, steps/s x0.50, return -2.0 (x0.50)" in line
    png = tmp_path / "out.png"
    plot(results, records, png, "title")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_flags_and_a_missing_sb3_fail_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        sb3_compare.main(["--repeats", "0"])
    assert exit_info.value.code == 2
    assert "--repeats must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sb3_compare.main(["--tasks", "Walker2d-v5"])
    assert "no default budget for Walker2d-v5; pass --budget N" in capsys.readouterr().err

    assert sb3_compare.main(["--tasks", "Foo-v5", "--budget", "10", "--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("flashsac bench sb3: error: ")
    if _importable("stable_baselines3") and _importable("mujoco"):
        assert "--tasks Foo-v5" in err[0] and "HalfCheetah-v5" in err[0]

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "stable_baselines3" else real_find_spec(name, *a)
    )
    assert sb3_compare.main(["--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "flashsac bench sb3: error: flashsac bench sb3 needs stable-baselines3; fix: pip install 'flashsac[bench]'"
    ]
    assert not (tmp_path / "r.json").exists()


FIX = "pip install 'flashsac[bench]'"


def _importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


@pytest.mark.sim
@pytest.mark.skipif(not (_importable("stable_baselines3") and _importable("mujoco")), reason="needs SB3 and MuJoCo")
def test_a_tiny_real_comparison_writes_json_png_and_a_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sb3.json"
    argv = ["--tasks", "InvertedPendulum-v5", "--budget", "120", "--repeats", "1", "--episodes", "1", "--out", str(out)]
    # 100 random steps before the first update, as SB3's learning_starts: 20 updates each.
    argv += ["--flashsac-override", "buffer.min_size=100", "--flashsac-override", "train.batch_size=64"]
    assert sb3_compare.main(argv) == 0
    payload = json.loads(out.read_text())
    assert payload["complete"] is True
    fs, sb = (next(r for r in payload["runs"] if r["framework"] == name) for name in ("flashsac", "sb3"))
    for run in (fs, sb):
        assert run["error"] is None and run["env_steps"] == 120
        assert 0 < run["train_wall_s"] < run["process_wall_s"]
        assert len(run["eval_returns"]) == 1 and run["eval_returns"][0] > 0
    assert fs["updates"] == sb["updates"] == 120 - 100  # one update per env step after the warm-up
    assert fs["details"]["num_threads"] == 1 and sb["details"]["torch_threads"] == 1
    ratios = payload["results"]["InvertedPendulum-v5"]["ratios"]
    assert ratios["wall_clock"] == pytest.approx(fs["train_wall_s"] / sb["train_wall_s"])
    assert any("SB3 SAC defaults (MlpPolicy): actor MLP [256, 256]" in note for note in payload["notes"])
    assert any("actor 2 block(s) x 64" in note for note in payload["notes"])
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("sb3 InvertedPendulum-v5 (120 env steps): flashsac ") for line in lines)


def test_family_and_task_reads_a_family_prefix_and_rejects_an_unknown_one() -> None:
    from flashsac.tools.bench.sb3_worker import family_and_task

    assert family_and_task("Hopper-v5") == ("mujoco", "Hopper-v5")
    assert family_and_task("dmc/cartpole-balance_sparse") == ("dmc", "cartpole-balance_sparse")
    with pytest.raises(ValueError, match="family 'torch' is not one of mujoco, dmc"):
        family_and_task("torch/pendulum-swingup")


@pytest.mark.sim
@pytest.mark.skipif(not _importable("dm_control"), reason="needs dm_control")
def test_the_sb3_side_steps_the_same_dmc_env_as_flashsac_under_a_1000_step_limit() -> None:
    import numpy as np
    import torch

    from flashsac.envs.registry import make_env
    from flashsac.tools.bench.sb3_worker import make_gym_env

    env = make_gym_env("dmc/cartpole-balance_sparse", seed=3)
    obs, _ = env.reset(seed=3)
    ours = make_env("dmc", "cartpole-balance_sparse", num_envs=1, seed=3, device=torch.device("cpu"))
    our_obs, _ = ours.reset(3)
    assert env.observation_space.shape == (5,)
    np.testing.assert_allclose(obs, our_obs[0].numpy())
    steps, truncated = 0, False
    while not truncated:
        _, _, terminated, truncated, _ = env.step(np.zeros(1, dtype=np.float32))
        assert not terminated
        steps += 1
    assert steps == 1000
    env.close()
    ours.close()


def test_reach_finds_the_first_evaluation_whose_iqm_over_runs_meets_the_target() -> None:
    from flashsac.tools.bench.sb3_report import reach

    runs = [
        {"curve": [(100, 1.0, 10.0), (200, 5.0, 20.0), (300, 9.0, 30.0)]},
        {"curve": [(100, 3.0, 12.0), (200, 7.0, 22.0), (300, 9.0, 32.0)]},
    ]
    # IQM of two values is their mean: 2, 6, 9.
    assert reach(runs, 6.0) == {"env_steps": 200, "train_wall_s": pytest.approx(21.0)}
    assert reach(runs, 2.0) == {"env_steps": 100, "train_wall_s": pytest.approx(11.0)}
    assert reach(runs, 9.5) is None
    assert reach([{"curve": None}], 1.0) is None


def test_resume_keeps_matching_successful_runs_and_frameworks_filters(tmp_path: Path) -> None:
    import argparse

    from flashsac.tools.bench.sb3_runs import RunSpec

    out = tmp_path / "r.json"
    done = [
        _record("sb3", 0, 20.0, [4.0]) | {"budget": 1000, "episodes": 1, "evals": 5},
        _record("flashsac", 0, 10.0, [1.0]) | {"budget": 1000, "episodes": 1, "evals": 5},
        _failed("sb3", 1) | {"budget": 1000, "threads": 1, "episodes": 1, "evals": 5},
    ]
    out.write_text(json.dumps({"settings": {"flashsac_overrides": ["a=1"]}, "runs": done}))
    runs = schedule(["T"], {"T": 1000}, repeats=2, seed=0, threads=1, episodes=1)
    args = argparse.Namespace(resume=True, out=out, flashsac_override=["a=2"])
    kept = sb3_compare._kept_runs(args, runs)
    # The flashsac run was made with other overrides and the failed run is redone: only SB3 pair 0 is kept.
    assert list(kept) == [RunSpec("sb3", "T", 0, 0, 1000, 1, 1, 5)]
    args.flashsac_override = ["a=1"]
    assert len(sb3_compare._kept_runs(args, runs)) == 2
    args.resume = False
    assert sb3_compare._kept_runs(args, runs) == {}

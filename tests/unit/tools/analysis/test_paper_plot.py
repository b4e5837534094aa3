"""``flashsac plot``: IQM and bootstrap intervals, seed alignment, run directories, paper matching, the CLI."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from flashsac.cli.main import main
from flashsac.tools.analysis.align import align, eval_at, nominal_steps
from flashsac.tools.analysis.compare import CompareOptions, aggregate_over_tasks, compare_task
from flashsac.tools.analysis.errors import AnalysisInputError, MissingAnalysisDependencyError
from flashsac.tools.analysis.paper_curves import PaperCurves
from flashsac.tools.analysis.runs import RunCurve, group_by_task, read_run
from flashsac.tools.analysis.stats import iqm, iqm_interval, require_scipy
from flashsac.tools.analysis.task_match import match_paper_task

needs_scipy = pytest.mark.skipif(
    importlib.util.find_spec("scipy") is None, reason="scipy (pip install 'flashsac[bench]') computes the IQM"
)

FAST = CompareOptions(n_resamples=1000)


def _curve(steps: list[int], values: list[float], num_envs: int = 1, seed: int = 0, task: str = "t") -> RunCurve:
    return RunCurve(Path(f"run{seed}"), "dmc", task, seed, num_envs, "avg_return", tuple(steps), tuple(values))


def _write_run(root: Path, name: str, family: str, task: str, seed: int, evals: dict[int, float]) -> Path:
    """A run directory as `flashsac train` leaves it: config.yaml and scalars.jsonl with eval and other records."""
    run = root / name
    run.mkdir(parents=True)
    config = {"seed": seed, "env": {"name": family, "task": task, "num_envs": 1}}
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    lines = []
    for step, value in evals.items():
        lines.append(json.dumps({"env_steps": step, "eval/avg_return": value, "eval/avg_success_once": 0.5}))
        lines.append(json.dumps({"env_steps": step + 1, "critic/loss": 1.0}))
    (run / "scalars.jsonl").write_text("\n".join(lines) + "\n")
    return run


def _paper(rows: str) -> PaperCurves:
    header = "suite,task,method,metric,env_step,mean,std,n_seeds\n"
    return PaperCurves.from_rows(csv.DictReader(io.StringIO(header + rows)), "test")


# --- statistics -------------------------------------------------------------------------------------------------


@needs_scipy
def test_iqm_is_the_mean_of_the_middle_half() -> None:
    assert iqm([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(4.5)  # cut 1, 2 and 7, 8
    assert iqm([10, 0, 3, 100, 5]) == pytest.approx(6.0)  # floor(5/4) = 1 cut at each end: (3 + 5 + 10) / 3
    assert iqm([[1, 2], [3, 400]]) == pytest.approx(2.5)  # any shape is flattened
    assert iqm([7, -1, 3]) == pytest.approx(3.0)  # three seeds: nothing cut, the mean


@needs_scipy
def test_bootstrap_interval_of_two_seeds_is_their_range() -> None:
    # Resamples of {0, 10}: means 0, 5, 10 with probabilities 1/4, 1/2, 1/4, so the 95 % interval is [0, 10].
    interval = iqm_interval([[0.0, 10.0]], n_resamples=2000, seed=0)
    assert (interval.point, interval.low, interval.high) == (5.0, 0.0, 10.0)


@needs_scipy
def test_bootstrap_is_stratified_by_task() -> None:
    # Task A {0, 10} is resampled, task B's single seed {100} joins every resample: pooled means of 3 scores are
    # 100/3, 110/3 or 120/3. An unstratified bootstrap would also draw e.g. (100, 100, 100).
    interval = iqm_interval([[0.0, 10.0], [100.0]], n_resamples=2000, seed=0)
    assert interval.point == pytest.approx(110 / 3)
    assert interval.low == pytest.approx(100 / 3) and interval.high == pytest.approx(40.0)


@needs_scipy
def test_bootstrap_edge_cases_and_reproducibility() -> None:
    assert iqm_interval([[5.0, 5.0, 5.0]], n_resamples=500).to_json() == {"iqm": 5.0, "ci": [5.0, 5.0]}
    assert iqm_interval([[1.0], [2.0]]).to_json() == {"iqm": 1.5, "ci": None}  # nothing to resample
    strata = [[1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    first, again = iqm_interval(strata, n_resamples=1000, seed=3), iqm_interval(strata, n_resamples=1000, seed=3)
    assert first == again
    assert first.low is not None and first.high is not None and first.low < first.point < first.high


def test_missing_scipy_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy", None)  # makes `from scipy import stats` raise ImportError
    with pytest.raises(MissingAnalysisDependencyError, match=r"pip install 'flashsac\[bench\]'"):
        require_scipy()


# --- alignment --------------------------------------------------------------------------------------------------


def test_seeds_with_different_eval_steps_align_without_interpolation() -> None:
    exact = _curve([0, 100, 200], [0.0, 1.0, 2.0])
    late = _curve([0, 102, 201], [0.0, 10.0, 20.0], num_envs=3)  # the vector step crossing 100 ended at 102
    early = _curve([0, 95, 190], [0.0, 100.0, 200.0])  # within 10 % of the spacing (10 steps) before
    sparse = _curve([0, 150], [0.0, 1000.0])  # 150 is neither within 10 before 200 nor 2 after 100
    alignment = align([exact, late, early, sparse], [0, 100, 200], tolerance=0.1)
    expected = [[0, 1, 2], [0, 10, 20], [0, 100, 200], [0, math.nan, math.nan]]
    np.testing.assert_array_equal(alignment.values, np.array(expected))
    np.testing.assert_array_equal(alignment.matched_steps[1], [0, 102, 201])
    np.testing.assert_array_equal(alignment.reached(2), [2.0, 20.0, 200.0])


def test_eval_at_takes_the_nearest_and_the_earlier_on_ties() -> None:
    assert eval_at(_curve([95, 100], [1.0, 2.0]), 100, before=10) == (100, 2.0)
    assert eval_at(_curve([98, 102], [1.0, 2.0], num_envs=3), 100, before=10) == (98, 1.0)
    assert eval_at(_curve([89], [1.0]), 100, before=10) is None


def test_paper_gpu_cadence_is_matched_by_our_5m_evaluations() -> None:
    ours = _curve([0, 5_000_192, 10_000_384], [0.0, 1.0, 2.0], num_envs=1024)
    alignment = align([ours], [0, 5_496_832, 10_493_952])
    np.testing.assert_array_equal(alignment.values, [[0.0, 1.0, 2.0]])


def test_nominal_steps_merge_vector_step_rounding() -> None:
    runs = [_curve([0, 200, 400], [0, 0, 0]), _curve([0, 201, 402, 600], [0, 0, 0, 0], num_envs=3)]
    assert nominal_steps(runs) == [0, 200, 400, 600]


# --- run directories --------------------------------------------------------------------------------------------


def test_read_run_from_jsonl_skips_other_keys_and_a_truncated_last_line(tmp_path: Path) -> None:
    run = _write_run(tmp_path, "a", "dmc", "pendulum-swingup", 3, {0: 1.0, 400: 2.0, 200: 1.5})
    with (run / "scalars.jsonl").open("a") as handle:
        handle.write('{"env_steps": 600, "eval/avg_re')  # a crash mid-write
    curve = read_run(run)
    assert (curve.family, curve.task, curve.seed, curve.num_envs) == ("dmc", "pendulum-swingup", 3, 1)
    assert curve.env_steps == (0, 200, 400) and curve.values == (1.0, 1.5, 2.0)
    assert read_run(run, "avg_success_once").values == (0.5, 0.5, 0.5)


def test_read_run_falls_back_to_csv_then_summary(tmp_path: Path) -> None:
    run = _write_run(tmp_path, "a", "dmc", "pendulum-swingup", 0, {})
    (run / "scalars.jsonl").unlink()
    (run / "scalars.csv").write_text(
        "env_steps,key,value,wall_time\n0,eval/avg_return,4,0.1\n40,actor/loss,9,0.2\n80,eval/avg_return,6,0.3\n"
    )
    assert read_run(run).values == (4.0, 6.0)
    (run / "scalars.csv").unlink()
    (run / "summary.json").write_text(json.dumps({"eval_env_steps": [0, 80], "eval_returns": [7.0, 8.0]}))
    assert read_run(run).env_steps == (0, 80)


def test_read_run_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError, match=r"not a flashsac run directory \(no config.yaml\)"):
        read_run(tmp_path)
    run = _write_run(tmp_path, "empty", "dmc", "pendulum-swingup", 0, {})
    with pytest.raises(AnalysisInputError, match=f"{run} has no eval/avg_return records"):
        read_run(run)
    with pytest.raises(AnalysisInputError, match="--metric 'return' is not supported"):
        read_run(run, "return")


def test_group_by_task_sorts_seeds() -> None:
    runs = [_curve([0], [0.0], seed=2), _curve([0], [0.0], seed=0, task="u"), _curve([0], [0.0], seed=1)]
    groups = group_by_task(runs)
    assert list(groups) == [("dmc", "t"), ("dmc", "u")]
    assert [r.seed for r in groups[("dmc", "t")]] == [1, 2]


# --- paper curves and task names --------------------------------------------------------------------------------


def test_packaged_paper_csv_loads_with_known_values() -> None:
    paper = PaperCurves.load()
    curve = paper.curve("dmc", "pendulum-swingup", "FlashSAC", "avg_return")
    assert curve is not None and curve.at(0) == (3.044, 3.501, 5) and curve.at(100_000) == (133.5, 203.1, 5)
    single_seed = paper.curve("mujoco", "Ant-v4", "tdmpc2", "avg_return")
    assert single_seed is not None and math.isnan(single_seed.std[0])  # the CSV leaves std empty for one seed
    assert {"dmc", "mujoco", "isaaclab"} <= set(paper.suites())


def test_paper_task_names_resolve_or_list_near_matches() -> None:
    paper = PaperCurves.load()
    assert paper.resolve_task("pendulum-swingup") == ("dmc", "pendulum-swingup")
    assert paper.resolve_task("mujoco/Humanoid-v4") == ("mujoco", "Humanoid-v4")
    with pytest.raises(AnalysisInputError, match="did you mean Humanoid-v4"):
        paper.resolve_task("Humanoid-v5")


def test_our_task_names_map_to_the_paper_and_say_where_they_differ() -> None:
    paper = PaperCurves.load()
    assert match_paper_task("dmc", "cartpole-balance_sparse", paper).note == ""
    humanoid = match_paper_task("mujoco", "Humanoid-v5", paper)
    assert (humanoid.suite, humanoid.task) == ("mujoco", "Humanoid-v4")
    assert "different task version" in humanoid.note
    with pytest.raises(AnalysisInputError, match="not the paper's DMC task.*env=dmc env.task=pendulum-swingup"):
        match_paper_task("torch", "pendulum-swingup", paper)
    with pytest.raises(AnalysisInputError, match="the paper's dmc tasks: cartpole-balance_sparse"):
        match_paper_task("dmc", "cheetah-run", paper)
    with pytest.raises(AnalysisInputError, match="no myosuite suite"):
        match_paper_task("myosuite", "myoHandKeyTurnFixed-v0", paper)


# --- comparison -------------------------------------------------------------------------------------------------


@needs_scipy
def test_compare_task_reports_each_reached_paper_step() -> None:
    paper_rows = "dmc,t,FlashSAC,avg_return,200,20,3,5\ndmc,t,PPO,avg_return,100,4,1,5\n"
    paper = _paper("dmc,t,FlashSAC,avg_return,0,1,0.5,5\ndmc,t,FlashSAC,avg_return,100,10,2,5\n" + paper_rows)
    runs = [_curve([0, 100], [0.0, 8.0], seed=0), _curve([0, 100, 200], [2.0, 12.0, 18.0], seed=1)]
    options = CompareOptions(methods=("FlashSAC", "PPO"), n_resamples=1000)
    report = compare_task(runs, match_paper_task("dmc", "t", paper), paper, options)
    rows = {row["paper_step"]: row for row in report["at_paper_steps"]}
    assert list(rows) == [0, 100, 200]
    assert rows[100]["ours"]["iqm"] == pytest.approx(10.0) and rows[100]["ours"]["std"] == pytest.approx(8**0.5)
    assert rows[100]["paper"] == {
        "FlashSAC": {"mean": 10.0, "std": 2.0, "n_seeds": 5},
        "PPO": {"mean": 4.0, "std": 1.0, "n_seeds": 5},
    }
    assert rows[200]["ours"]["n_seeds"] == 1 and rows[200]["seed_values"] == [None, 18.0]
    assert rows[200]["ours"]["ci"] is None  # one seed: no interval
    assert [p["env_step"] for p in report["curve"]] == [0, 100, 200]


@needs_scipy
def test_aggregate_is_the_iqm_of_paper_relative_scores() -> None:
    paper = _paper(
        "dmc,a,FlashSAC,avg_return,0,1,0,5\ndmc,a,FlashSAC,avg_return,100,10,1,5\n"
        "dmc,b,FlashSAC,avg_return,0,0,0,5\ndmc,b,FlashSAC,avg_return,100,100,1,5\n"
        "dmc,c,FlashSAC,avg_return,0,0,0,5\ndmc,c,FlashSAC,avg_return,100,0,0,5\n"
    )
    runs = {
        "a": [_curve([0, 100], [0.0, v], seed=s, task="a") for s, v in enumerate([5.0, 10.0, 20.0])],
        "b": [_curve([0, 100], [0.0, v], seed=s, task="b") for s, v in enumerate([90.0, 100.0])],
        "c": [_curve([0, 100], [0.0, 1.0], task="c")],
    }
    reports = [compare_task(r, match_paper_task("dmc", t, paper), paper, FAST) for t, r in runs.items()]
    aggregate = aggregate_over_tasks(reports, FAST)
    assert aggregate is not None
    # Scores at step 100: a 0.5, 1, 2; b 0.9, 1; c has paper mean 0 there (excluded). Five scores: cut one at each
    # end of (0.5, 0.9, 1, 1, 2) -> mean(0.9, 1, 1).
    assert aggregate["iqm"] == pytest.approx((0.9 + 1 + 1) / 3)
    assert aggregate["n_seeds"] == 5 and [t["task"] for t in aggregate["tasks"]] == ["dmc/a", "dmc/b"]
    assert len(aggregate["excluded"]) == 1 and "dmc/c" in aggregate["excluded"][0]


# --- command line -----------------------------------------------------------------------------------------------


def _one_error_line(code: int, capsys: pytest.CaptureFixture[str]) -> str:
    _, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flashsac: error:"), err
    return lines[0]


@needs_scipy
def test_plot_against_the_paper_writes_json_and_png(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    evals = [{0: 0.0, 100_000: 100.0, 200_000: 300.0}, {0: 3.0, 100_000: 150.0, 200_000: 400.0}]
    evals.append({0: 6.0, 100_000: 200.0, 200_002: 500.0})
    runs = [str(_write_run(tmp_path, f"p{s}", "dmc", "pendulum-swingup", s, e)) for s, e in enumerate(evals)]
    runs.append(str(_write_run(tmp_path, "c0", "dmc", "cartpole-balance_sparse", 0, {0: 10.0, 100_000: 900.0})))
    runs.append(str(_write_run(tmp_path, "c1", "dmc", "cartpole-balance_sparse", 1, {0: 20.0, 100_000: 1000.0})))
    (tmp_path / "p2" / "config.yaml").write_text(
        yaml.safe_dump({"seed": 2, "env": {"name": "dmc", "task": "pendulum-swingup", "num_envs": 4}})
    )
    assert main(["plot", *runs, "--paper", "auto", "--resamples", "1000"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("flashsac plot: 2 task(s), 5 run(s): paper-relative IQM")
    result = json.loads((tmp_path / "benchmarks/results/paper_compare.json").read_text())
    assert (tmp_path / "benchmarks/results/paper_compare.png").stat().st_size > 0
    pendulum = next(t for t in result["tasks"] if t["task"] == "pendulum-swingup")
    row = pendulum["at_paper_steps"][-1]
    assert row["paper_step"] == 200_000 and row["our_steps"] == [200_000, 200_000, 200_002]
    assert row["ours"]["iqm"] == pytest.approx(400.0)
    assert row["paper"]["FlashSAC"] == {"mean": 366.9, "std": 415.7, "n_seeds": 5}
    scores = sorted([0.9, 1.0, 300 / 366.9, 400 / 366.9, 500 / 366.9])
    assert result["aggregate"]["iqm"] == pytest.approx(np.mean(scores[1:-1]))


def test_plot_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    torch_run = str(_write_run(tmp_path, "torch", "torch", "pendulum-swingup", 0, {0: 1.0}))
    dmc_run = str(_write_run(tmp_path, "dmc", "dmc", "cartpole-balance_sparse", 0, {0: 1.0}))
    line = _one_error_line(main(["plot", torch_run, "--paper", "pendulum-swingup"]), capsys)
    assert "built-in batched task" in line and torch_run in line
    line = _one_error_line(main(["plot", str(tmp_path), "--paper", "auto"]), capsys)
    assert f"{tmp_path} is not a flashsac run directory" in line
    line = _one_error_line(main(["plot", dmc_run, "--paper", "pendulum-swing"]), capsys)
    assert "did you mean pendulum-swingup" in line
    line = _one_error_line(main(["plot", dmc_run, "--paper", "pendulum-swingup"]), capsys)
    assert "matches paper dmc/cartpole-balance_sparse, not --paper pendulum-swingup" in line
    line = _one_error_line(main(["plot", dmc_run, "--methods", "SAC"]), capsys)
    assert "--methods SAC: not in the paper CSV" in line
    _one_error_line(main(["plot", dmc_run, "--no-such-flag"]), capsys)
    assert main(["plot", "--help"]) == 0
    monkeypatch.setitem(sys.modules, "scipy", None)
    line = _one_error_line(main(["plot", dmc_run]), capsys)
    assert "need scipy" in line and "pip install 'flashsac[bench]'" in line
    assert not (tmp_path / "benchmarks").exists()

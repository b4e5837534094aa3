"""``flashsac bench loop``: case parsing, window selection, the time split, a tiny real run, and the two loop
changes it relies on (``train.updates_per_vector_step=0`` and the fused finite check)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pytest
import torch

import flashsac.tools.bench.loop_overhead as loop
from flashsac.cli.compose import compose_config
from flashsac.config.validate import validate
from flashsac.envs.registry import MissingSimulatorError
from flashsac.runtime.finite_guard import FiniteGuard
from flashsac.trainer import Trainer
from tiny_run import tiny_overrides


def test_parse_case() -> None:
    assert loop.parse_case("torch/pendulum-swingup:64") == loop.Case("torch", "pendulum-swingup", 64)
    assert loop.parse_case("mujoco/Humanoid-v5:1").label == "mujoco/Humanoid-v5:1"
    for bad in ("torch/pendulum-swingup", "pendulum-swingup:4", "torch/pendulum-swingup:0", "torch/x:four"):
        with pytest.raises(argparse.ArgumentTypeError, match="family/task:num_envs"):
            loop.parse_case(bad)


def test_window_steps_follow_the_env_count_within_bounds() -> None:
    assert loop.window_steps(1, "full") == 500  # 8192 env steps would be 8192 vector steps: capped
    assert loop.window_steps(64, "full") == 128  # 8192 / 64
    assert loop.window_steps(1024, "full") == 20  # 8 would be too few to time: floored
    assert loop.window_steps(64, "quick") == 8


def test_window_rates_skip_warmup_and_settling_windows() -> None:
    rows = [
        {"env_steps": 0, "eval/avg_return": -1.0},
        {"env_steps": 40, "perf/env_steps_per_s": 1.0},  # warm-up window (and the initial evaluation)
        {"env_steps": 80, "perf/env_steps_per_s": 2.0},  # first actor window
        {"env_steps": 120, "perf/env_steps_per_s": 3.0},
        {"env_steps": 160, "perf/env_steps_per_s": 4.0},
        {"env_steps": 160, "eval/avg_return": -2.0},
    ]
    assert loop.window_rates(rows, window_env_steps=40, skip_windows=2) == [3.0, 4.0]


def test_overall_rate_is_total_steps_over_total_time() -> None:
    # Two windows of 300 env steps at 100 and 300 steps/s: 3 s + 1 s for 600 steps.
    assert loop.overall_rate([100.0, 300.0]) == pytest.approx(150.0)


def test_split_step_time_by_hand() -> None:
    # 4 envs: raw 4000 env-steps/s = 1000 us per vector step; loop 1000 env-steps/s = 4000 us; actor 2 ms.
    split = loop.split_step_time(4, raw_rate=4000.0, loop_rate=1000.0, actor_s=0.002)
    assert split["loop_us_per_vector_step"] == pytest.approx(4000.0)
    assert split["env_us_per_vector_step"] == pytest.approx(1000.0)
    assert split["actor_us_per_vector_step"] == pytest.approx(2000.0)
    assert split["rest_us_per_vector_step"] == pytest.approx(1000.0)
    assert split["ratio_without_actor"] == pytest.approx(0.5)  # 1000 us of env in 2000 us of non-actor loop
    # Noise can put loop - actor below the raw step time: the ratio is capped at 1, not blown up.
    assert loop.split_step_time(4, 4000.0, 1000.0, actor_s=0.0035)["ratio_without_actor"] == 1.0


def test_tiny_run_writes_json_and_png(tmp_path: Path, capsys) -> None:
    out = tmp_path / "results" / "loop.json"
    argv = ["--cases", "torch/cartpole-balance:4", "--small-nets", "--window-steps", "5", "--windows", "2"]
    assert loop.main([*argv, "--threads", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert out.with_suffix(".png").stat().st_size > 0
    info = result["machine_info"]
    for key in ("cpu_model", "torch_threads", "torch_version", "device", "load_average", "date"):
        assert key in info
    (record,) = result["records"]
    assert record["status"] == "ok", record
    assert record["num_envs"] == 4 and record["windows"] == 2
    assert len(record["loop_window_rates"]) == 2 and len(record["raw_window_rates"]) == 2
    assert record["ratio"] == pytest.approx(record["loop_env_steps_per_s"] / record["raw_env_steps_per_s"])
    assert record["meets_target"] == (record["ratio"] >= 0.9)
    parts = ("env_us_per_vector_step", "actor_us_per_vector_step", "rest_us_per_vector_step")
    assert sum(record[k] for k in parts) == pytest.approx(record["loop_us_per_vector_step"])
    assert record["actor_us_per_vector_step"] > 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("loop_overhead torch/cartpole-balance:4: loop ")
    assert lines[-1].startswith("loop_overhead: loop/raw ratio torch/cartpole-balance:4 ")


def test_missing_simulator_skips_its_case_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def missing(*args, **kwargs):
        raise MissingSimulatorError("gymnasium MuJoCo is not installed: pip install 'flashsac[mujoco]'")

    monkeypatch.setattr(loop, "make_env_from_config", missing)
    out = tmp_path / "loop.json"
    assert loop.main(["--cases", "torch/pendulum-swingup:2", "--out", str(out)]) == 1  # nothing measured
    (record,) = json.loads(out.read_text())["records"]
    assert record["status"] == "skipped"
    assert "pip install 'flashsac[mujoco]'" in record["error"]
    assert "SKIPPED" in capsys.readouterr().out


def test_unknown_task_fails_at_once(tmp_path: Path, capsys) -> None:
    assert loop.main(["--cases", "torch/pendulum-swingdown:2", "--out", str(tmp_path / "x.json")]) == 2
    assert "pendulum-swingup" in capsys.readouterr().err  # the valid choices are listed
    assert not (tmp_path / "x.json").exists()


def test_zero_updates_per_step_collects_without_learning(tmp_path: Path) -> None:
    cfg = compose_config([*tiny_overrides({"train.updates_per_vector_step": 0}), f"logging.run_dir={tmp_path}"])
    validate(cfg)  # 0 is valid: collect only
    trainer = Trainer(cfg, tmp_path)
    result = trainer.run()
    assert result.env_steps == 400
    assert result.update_steps == 0 and trainer.agent.update_steps == 0
    assert trainer.buffer.num_added == 400
    assert not trainer.agent.actor.training  # after the warm-up the actor acted (eval mode), never trained


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (None, [0, -1, -1, -1]),
        (("b", 2), [1, 1, 7, 2]),  # only in the second pair
        (("a", 3), [1, 0, 7, 3]),
        (("c", 0), [1, 2, 7, 0]),  # a (N,) tensor
    ],
)
def test_fused_finite_check_matches_checking_each_in_turn(where, expected) -> None:
    values = {"a": torch.zeros(5, 3), "b": torch.zeros(5, 3), "c": torch.zeros(5)}
    if where is not None:
        name, row = where
        values[name][row] = math.nan
        if name != "c":
            values[name][4, 1] = math.inf  # a later row of the same pair: the first one is reported
    fused, sequential = FiniteGuard(torch.device("cpu")), FiniteGuard(torch.device("cpu"))
    fused.check_rows_many(tuple(values.items()), env_steps=7)
    for name, value in values.items():
        sequential.check_rows(name, value, env_steps=7)
    assert fused._record.tolist() == sequential._record.tolist() == expected
    # The first trip wins: a later problem elsewhere does not overwrite it.
    values["a"][0] = math.nan
    fused.check_rows_many(tuple(values.items()), env_steps=9)
    assert fused._record.tolist() == (expected if where is not None else [1, 0, 9, 0])

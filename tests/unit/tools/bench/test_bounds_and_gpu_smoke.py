"""`flashsac bench bounds` and `flashsac bench gpu-smoke`: summaries by hand, a tiny real ablation, skipped families."""

from __future__ import annotations

import json

import pytest

from flashsac.envs.registry import MissingSimulatorError
from flashsac.tools.bench import bounds_ablation, gpu_smoke
from tiny_run import tiny_overrides


def test_summarise_by_hand() -> None:
    runs = [
        {"condition": "joint_limits", "seed": 0, "final_return": 10.0},
        {"condition": "joint_limits", "seed": 1, "final_return": 14.0},
        {"condition": "declared_bounds", "seed": 0, "final_return": -3.0},
        {"condition": "declared_bounds", "seed": 1, "final_return": None},  # failed runs are left out
    ]
    summary = bounds_ablation.summarise(runs)
    assert summary["joint_limits"]["mean"] == 12.0
    assert summary["joint_limits"]["std"] == pytest.approx(2.8284271)  # sample std of (10, 14)
    assert summary["declared_bounds"] == {"seeds": [0], "final_returns": [-3.0], "mean": -3.0, "std": 0.0}


def test_phase_rates_by_hand() -> None:
    records = [
        {"env_steps": 0, "eval/avg_return": 1.0},
        {"env_steps": 1024, "perf/env_steps_per_s": 9000.0, "perf/updates_per_s": 0.0},
        {"env_steps": 2048, "perf/env_steps_per_s": 3000.0, "perf/updates_per_s": 6.0},
        {"env_steps": 3072, "perf/env_steps_per_s": 5000.0, "perf/updates_per_s": 10.0},
    ]
    assert gpu_smoke.phase_rates(records) == {
        "warmup_env_steps_per_s": 9000.0,
        "env_steps_per_s": 4000.0,
        "updates_per_s": 8.0,
        "env_steps_reached": 3072.0,
    }


def test_gpu_smoke_skips_missing_simulators(tmp_path, monkeypatch, capsys) -> None:
    class _Missing:
        @staticmethod
        def require() -> None:
            raise MissingSimulatorError("pip install 'flashsac[genesis]'")

    monkeypatch.setattr(gpu_smoke, "family", lambda name: _Missing)
    out = tmp_path / "smoke.json"
    assert gpu_smoke.main(["--families", "genesis", "mjlab", "--out", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert results["genesis"] == {"status": "skipped", "reason": "pip install 'flashsac[genesis]'"}
    assert "skipped" in capsys.readouterr().out


def test_tiny_bounds_ablation_on_the_builtin_arm(tmp_path) -> None:
    out = tmp_path / "bounds.json"
    overrides = [o for o in tiny_overrides({"env.num_envs": None, "train.num_env_steps": None}) if "=" in o]
    code = bounds_ablation.main(
        [
            "--env", "torch", "--task", "arm-reach", "--seeds", "0", "--budget", "400", "--num-envs", "4",
            "--threads", "1", "--jobs", "2", "--conditions", "joint_limits", "post_reset_final_obs",
            "--runs-dir", str(tmp_path / "runs"), "--out", str(out), *overrides,
        ]
    )  # fmt: skip
    assert code == 0
    payload = json.loads(out.read_text())
    assert set(payload["summary"]) == {"joint_limits", "post_reset_final_obs"}
    # Two runs at once, reported in the planned order (seed 0: the conditions as given).
    assert [run["condition"] for run in payload["runs"]] == ["joint_limits", "post_reset_final_obs"]
    for run in payload["runs"]:
        assert run["returncode"] == 0 and run["curve"], run
        config = (tmp_path / "runs").rglob("config.yaml")
    texts = {p.parent.name: p.read_text() for p in config}
    assert "final_obs: post_reset" in texts["post_reset_final_obs_s0"]
    assert "action_bounds: joint_limits" in texts["joint_limits_s0"]
    assert out.with_suffix(".png").exists()

"""``flashsac bench scale``: the efficiency formula and the per-world-size overrides (the runs are not started)."""

from __future__ import annotations

import pytest

from flashsac.cli.main import main
from flashsac.tools.bench.scale import _overrides, _parser, efficiency


def test_efficiency_is_the_fraction_of_linear_scaling() -> None:
    assert efficiency(100.0, 100.0, 1) == 1.0
    assert efficiency(150.0, 100.0, 2) == 0.75
    assert efficiency(None, 100.0, 2) is None and efficiency(100.0, 0.0, 2) is None


def test_every_world_size_runs_the_same_per_rank_workload() -> None:
    args = _parser().parse_args(["--env-steps-per-rank", "1000", "--log-every", "100", "--num-envs", "4"])
    one, two = _overrides(args, 1), _overrides(args, 2)
    assert "train.num_env_steps=1000" in one and "train.num_env_steps=2000" in two  # global counters
    assert "train.log_every_env_steps=200" in two
    assert "env.num_envs=4" in one and "env.num_envs=4" in two  # per rank
    assert "device=cpu" in one
    assert "device=cuda" in _overrides(_parser().parse_args(["--backend", "nccl"]), 2)


def test_world_sizes_must_start_with_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "scale", "--world-sizes", "2", "4"]) == 2
    assert "--world-sizes must start with 1" in capsys.readouterr().err

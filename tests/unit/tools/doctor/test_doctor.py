"""flashsac doctor: hand-checked statistics, each finding triggered by a real defect, and the CLI end to end."""

from __future__ import annotations

import json

import pytest
import torch

from conformance import FakeEnv
from flashsac.cli.main import main
from flashsac.envs.action_bounds import JointLimits
from flashsac.tools.doctor.checks import (
    action_stats,
    bounds_findings,
    episode_findings,
    observation_findings,
    reward_findings,
)
from flashsac.tools.doctor.sample import roll


def _limits() -> JointLimits:
    return JointLimits(
        q_min=torch.tensor([-1.0]), q_max=torch.tensor([0.5]), q0=torch.tensor([0.0]), scale=torch.tensor([0.5])
    )


def test_action_stats_by_hand() -> None:
    # Box [-10, 10]; edge band 2% of 20 = 0.4. Soft limits in action units: [-2, 1].
    actions = torch.tensor([[-10.0], [-9.7], [-1.0], [0.0], [0.9], [2.0], [9.5], [10.0]])
    low, high = torch.tensor([-10.0]), torch.tensor([10.0])
    stats = action_stats("random", actions, low, high, low, high, _limits())
    assert stats.edge_share == [pytest.approx(3 / 8)]  # <= -9.6 or >= 9.6: -10, -9.7, 10 (not 9.5)
    assert stats.beyond_soft_limits == [pytest.approx(5 / 8)]  # -10, -9.7, 2, 9.5, 10 beyond; -1, 0, 0.9 inside
    spread = torch.quantile(actions[:, 0], 0.99) - torch.quantile(actions[:, 0], 0.01)
    assert stats.declared_range_used == [pytest.approx(float(spread) / 20)]


def test_bounds_findings() -> None:
    inf = torch.tensor([float("inf")])
    unbounded = bounds_findings(-inf, inf, "env", "non-finite box", None, None)
    assert [f.level for f in unbounded] == ["error", "warning"]
    huge = bounds_findings(
        torch.tensor([-100.0]),
        torch.tensor([100.0]),
        "env",
        None,
        _limits(),
        (torch.tensor([-2.0]), torch.tensor([1.0])),
    )
    assert "+-100" in huge[0].message and "1.5%" in huge[1].message
    assert bounds_findings(torch.tensor([-1.0]), torch.tensor([1.0]), "env", None, None, None) == []


def test_observation_and_reward_findings() -> None:
    obs = torch.tensor([[0.0, 1.0, float("nan")], [0.0, 2000.0, 1.0]])
    levels = {(f.level, f.topic) for f in observation_findings(obs)}
    assert levels == {("error", "observations"), ("warning", "observations"), ("info", "observations")}
    assert reward_findings(torch.tensor([1.0, float("inf")]))[0].level == "error"
    assert "10000" in reward_findings(torch.tensor([1e4]))[0].message
    assert reward_findings(torch.zeros(3))[0].level == "info"
    assert reward_findings(torch.tensor([0.5])) == []


def _findings(bug: str | None) -> list[tuple[str, str]]:
    env = FakeEnv(max_episode_steps=4, bug=bug)
    rollout = roll(env, lambda obs: torch.zeros(3, 2), steps=6, seed=0)
    return [(f.level, f.topic) for f in episode_findings(env.spec, rollout)]


def test_episode_findings_catch_post_reset_final_obs_and_merged_flags() -> None:
    assert _findings(None) == []
    assert _findings("post_reset_final_obs") == [("error", "final_obs")]
    assert _findings("merged_flags") == [("error", "time_limit")]


def test_cli_shows_the_saturation_of_a_100_box(tmp_path, capsys) -> None:
    out = tmp_path / "doc"
    code = main(["doctor", "env.task=arm-reach", "env.num_envs=8", "--steps", "30", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "+-100" in text and "beyond the soft limits" in text
    report = json.loads((out / "doctor.json").read_text())
    random_stats = next(s for s in report["stats"] if s["source"] == "random")
    assert min(random_stats["beyond_soft_limits"]) > 0.9  # uniform on +-100, soft limits within about +-3.4
    assert (out / "actions.png").stat().st_size > 10_000
    fixed = tmp_path / "fixed"
    assert (
        main(
            [
                "doctor",
                "env.task=arm-reach",
                "env.action_bounds=joint_limits",
                "env.num_envs=8",
                "--steps",
                "30",
                "--out",
                str(fixed),
            ]
        )
        == 0
    )
    report = json.loads((fixed / "doctor.json").read_text())
    assert max(max(s["beyond_soft_limits"]) for s in report["stats"]) == 0.0
    assert not [f for f in report["findings"] if f["topic"] == "saturation"]


def test_cli_bad_steps_is_a_one_line_error(capsys) -> None:
    assert main(["doctor", "--steps", "zero"]) == 2
    assert "--steps" in capsys.readouterr().err


class _TimeoutsAsTerminations(FakeEnv):
    """Reports every time-out as a termination (the reference's classic bug)."""

    def step(self, action):
        step = super().step(action)
        step.terminated, step.truncated = step.terminated | step.truncated, torch.zeros_like(step.truncated)
        return step


def test_time_outs_reported_as_terminations_are_caught() -> None:
    env = _TimeoutsAsTerminations(max_episode_steps=4)
    rollout = roll(env, lambda obs: torch.zeros(3, 2), steps=6, seed=0)
    assert [(f.level, f.topic) for f in episode_findings(env.spec, rollout)] == [("error", "time_limit")]

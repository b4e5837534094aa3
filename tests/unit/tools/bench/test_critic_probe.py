"""``flashsac bench critic-probe``: replayed Monte-Carlo returns and the critic's values on a tiny pendulum run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from flashsac.cli.compose import compose_config
from flashsac.envs.registry import make_env_from_config
from flashsac.evaluation.policy import load_policy
from flashsac.tools.bench import critic_probe
from flashsac.trainer import Trainer
from tiny_run import tiny_overrides


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pendulum checkpoint (1-D action, 40-step episodes) after 80 env steps."""
    run_dir = tmp_path_factory.mktemp("probe") / "run"
    run_dir.mkdir()
    cfg = compose_config([*tiny_overrides({"logging.tensorboard": "false"}), f"logging.run_dir={run_dir}"])
    Trainer(cfg, run_dir).run(stop_after_env_steps=80)
    return run_dir / "checkpoints" / "step_80.pt"


def _deterministic_return(checkpoint: Path, seed: int, gamma: float) -> float:
    """The discounted raw return of the policy's own deterministic episode, stepped here independently."""
    policy = load_policy(checkpoint)
    env = make_env_from_config(policy.cfg.env, seed, torch.device("cpu"), num_envs=1)
    policy.agent.actor.eval()
    obs, _ = env.reset(seed=seed)
    total, discount = 0.0, 1.0
    while True:
        with torch.no_grad():
            step = env.step(policy.agent.act(obs, deterministic=True))
        total += discount * float(step.reward[0])
        discount *= gamma
        if bool(step.terminated[0] or step.truncated[0]):
            env.close()
            return total
        obs = step.obs


def test_probe_rows_hold_the_critic_values_and_replayed_returns(checkpoint: Path) -> None:
    result = critic_probe.probe(checkpoint, at=[0, 10, 500], actions=[-1.0, 0.0, 1.0], seed=7)
    # Step 500 lies past the 40-step episode: it has no row.
    assert [row["step"] for row in result["rows"]] == [0, 10]
    policy = load_policy(checkpoint)
    scale = float(policy.agent.reward_scaler.scale())
    assert result["reward_scale"] == pytest.approx(scale)
    for row in result["rows"]:
        q, g = row["critic_q"], row["monte_carlo_q"]
        assert len(q) == len(g) == 3
        assert row["critic_spread"] == pytest.approx(max(q) - min(q), abs=2e-4)
        assert row["monte_carlo_spread"] == pytest.approx(max(g) - min(g), abs=2e-4)
        # The critic's numbers are the smaller twin's expected value at the probed observation.
        obs = torch.tensor([row["obs"]])
        with torch.no_grad():
            values = policy.agent.critic.eval()(obs.expand(3, -1), torch.tensor([[-1.0], [0.0], [1.0]]))
            expected = policy.agent.critic.expected_value(values).min(0).values
        assert q == pytest.approx(expected.tolist(), abs=2e-3)  # the observation is rounded to 4 decimals
    # Pendulum rewards are negative and the actions differ: the replayed returns are finite and not all equal.
    first = result["rows"][0]["monte_carlo_q"]
    assert all(math.isfinite(v) and v < 0 for v in first)
    assert len(set(first)) > 1


def test_probe_with_the_policys_own_action_is_the_plain_episode(checkpoint: Path) -> None:
    policy = load_policy(checkpoint)
    policy.agent.actor.eval()
    env = make_env_from_config(policy.cfg.env, 7, torch.device("cpu"), num_envs=1)
    obs, _ = env.reset(seed=7)
    env.close()
    with torch.no_grad():
        own = float(torch.tanh(policy.agent.actor(obs)[0])[0, 0])
    result = critic_probe.probe(checkpoint, at=[0], actions=[own], seed=7)
    plain = _deterministic_return(checkpoint, 7, policy.cfg.agent.gamma)
    assert result["rows"][0]["monte_carlo_q"][0] == pytest.approx(plain / result["reward_scale"], rel=1e-4)


def test_bad_arguments_get_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="--checkpoint .* is not a file"):
        critic_probe.main(["--checkpoint", str(tmp_path / "missing.pt")])
    (tmp_path / "x.pt").write_bytes(b"")
    with pytest.raises(SystemExit, match=r"--actions are tanh units"):
        critic_probe.main(["--checkpoint", str(tmp_path / "x.pt"), "--actions", "2.0"])


def test_main_writes_json(checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "probe.json"
    assert (
        critic_probe.main(["--checkpoint", str(checkpoint), "--at", "0", "--actions", "-1", "1", "--out", str(out)])
        == 0
    )
    assert "step    0: critic spread" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["benchmark"] == "critic-probe" and len(data["rows"]) == 1

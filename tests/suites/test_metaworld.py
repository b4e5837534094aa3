"""The Meta-World family: MT1 v3 tasks as mw-<task>, 200-step truncated episodes, success, sparse rewards, seeds.

Needs ``pip install 'flashsac[metaworld]'`` in a venv of its own (it pins mujoco 3.3.0); where it is absent,
everything but the install checks skips with that command. Meta-World's scripted expert policies
(``metaworld.policies``) drive the envs to real successes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from conformance import adapter, run_suite
from flashsac.cli.main import main
from flashsac.envs import MissingSimulatorError, UnknownTaskError, check_env, make_env
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import family
from tiny_run import tiny_overrides

pytestmark = pytest.mark.sim

CPU = torch.device("cpu")
FIX = "pip install 'flashsac[metaworld]'"


@pytest.fixture
def mw() -> Any:
    module = family("metaworld")
    try:
        module.require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))
    return module


def _raw(name: str, seed: int, limit: int = 200) -> Any:
    """Meta-World's own MT1 env, built as the docs show, to compare the adapter against."""
    import gymnasium as gym

    return gym.make("Meta-World/MT1", env_name=name, seed=seed, max_episode_steps=limit, disable_env_checker=True)


def _expert(name: str) -> Any:
    from metaworld.policies import ENV_POLICY_MAP

    return ENV_POLICY_MAP[name]()


# --- install checks (run with or without metaworld) ------------------------------------------------------------


def _versions(monkeypatch: pytest.MonkeyPatch, metaworld: str | None, mujoco: str | None) -> Any:
    module = family("metaworld")
    installed = {"metaworld": metaworld, "mujoco": mujoco}
    monkeypatch.setattr(module, "installed_version", lambda dist: installed[dist])
    monkeypatch.setattr(module, "_mujoco_pin", lambda: "3.3.0")
    return module


def test_missing_metaworld_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _versions(monkeypatch, None, "3.3.0")
    with pytest.raises(MissingSimulatorError, match="not installed") as info:
        module.require()
    assert FIX in str(info.value) and "\n" not in str(info.value)


def test_old_metaworld_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _versions(monkeypatch, "2.0.0", "3.3.0")
    with pytest.raises(MissingSimulatorError, match=r"needs metaworld 3\.x .* found metaworld 2\.0\.0") as info:
        module.require()
    assert FIX in str(info.value)


@pytest.mark.parametrize("mujoco", ["3.17.0", None])
def test_wrong_mujoco_is_refused_with_a_separate_venv_fix(monkeypatch: pytest.MonkeyPatch, mujoco: str | None) -> None:
    module = _versions(monkeypatch, "3.1.1", mujoco)
    with pytest.raises(MissingSimulatorError, match=r"metaworld 3\.1\.1 needs mujoco==3\.3\.0, found mujoco") as info:
        module.require()
    message = str(info.value)
    assert "python -m venv .venv-metaworld" in message and FIX.removeprefix("pip ") in message
    assert "\n" not in message


# --- the family with metaworld installed ---------------------------------------------------------------------------


def test_every_mt1_task_is_listed_dense_and_sparse(mw: Any) -> None:
    import metaworld

    tasks = mw.list_tasks()
    assert len(metaworld.MT1.ENV_NAMES) == 50
    assert len(tasks) == 100 == len(set(tasks))
    for name in metaworld.MT1.ENV_NAMES:
        short = "mw-" + name.removesuffix("-v3")
        assert short in tasks and short + "_sparse" in tasks
        assert mw.metaworld_name(short) == (name, False)
        assert mw.metaworld_name(short + "_sparse") == (name, True)
    assert mw.metaworld_name("mw-assembly") == ("assembly-v3", False)
    assert mw.metaworld_name("mw-pick-place_sparse") == ("pick-place-v3", True)


@pytest.mark.parametrize("task", ["mw-reacher", "reach-v3", "mw-reach-v3", "mw-reach_dense"])
def test_unknown_task_lists_the_valid_names(mw: Any, task: str) -> None:
    with pytest.raises(UnknownTaskError, match=r"env\.task=.* Valid choices: .*mw-reach,") as info:
        check_env("metaworld", task)
    assert "mw-assembly_sparse" in str(info.value)
    with pytest.raises(UnknownTaskError):
        mw.make(EnvRequest(task, num_envs=1, seed=0, device=CPU))


def test_too_long_episodes_are_refused(mw: Any) -> None:
    with pytest.raises(ValueError, match=r"env\.max_episode_steps=501 exceeds Meta-World's 500-step"):
        mw.make(EnvRequest("mw-reach", num_envs=1, seed=0, device=CPU, max_episode_steps=501))


@pytest.mark.parametrize(("task", "num_envs"), [("mw-reach", 2), ("mw-pick-place", 1), ("mw-assembly_sparse", 1)])
def test_conformance(mw: Any, task: str, num_envs: int) -> None:
    run_suite(adapter("metaworld", task, num_envs))


def test_matches_metaworld_and_truncates_at_200_with_the_true_final_obs(mw: Any) -> None:
    env = make_env("metaworld", "mw-reach", 1, seed=3, device=CPU)
    raw = _raw("reach-v3", seed=3)
    try:
        assert env.spec.max_episode_steps == 200
        assert (env.spec.obs_dim, env.spec.action_dim) == (39, 4)
        assert env.spec.control_dt == pytest.approx(0.0125)
        obs, _ = env.reset(seed=3)
        raw_obs, _ = raw.reset(seed=3)
        np.testing.assert_array_equal(obs[0].numpy(), raw_obs.astype(np.float32))
        rng = np.random.default_rng(0)
        for t in range(1, 201):
            action = rng.uniform(-1, 1, size=4).astype(np.float32)
            step = env.step(torch.from_numpy(action)[None])
            raw_obs, raw_reward, raw_terminated, raw_truncated, _ = raw.step(action)
            assert not step.terminated.any()
            assert bool(step.truncated[0]) == (t == 200) == raw_truncated
            assert not raw_terminated
            np.testing.assert_array_equal(step.final_obs[0].numpy(), raw_obs.astype(np.float32))
            assert float(step.reward[0]) == pytest.approx(raw_reward, rel=1e-6, abs=1e-6)
        # Same-step autoreset: the returned obs starts the next episode; final_obs is the 200th observation.
        assert not torch.equal(step.obs, step.final_obs)
        assert torch.equal(step.obs[0, 18:36], step.obs[0, :18]), "a fresh episode repeats its first frame"
    finally:
        env.close()
        raw.close()


@pytest.mark.filterwarnings("ignore:Constant.*may be too high:UserWarning")  # the scripted expert's own gains
def test_expert_success_is_reported_as_bool_also_at_the_last_step(mw: Any) -> None:
    env = make_env("metaworld", "mw-reach", 1, seed=0, device=CPU, max_episode_steps=120)
    expert = _expert("reach-v3")
    try:
        obs, _ = env.reset(seed=0)
        success = []
        for _ in range(120):
            step = env.step(torch.from_numpy(expert.get_action(obs[0].double().numpy())).float()[None])
            assert step.info["success"].dtype == torch.bool and step.info["success"].shape == (1,)
            success.append(bool(step.info["success"][0]))
            obs = step.obs
        first = success.index(True)  # raises if the expert never succeeded
        assert 0 < first < 119
        assert not any(success[:first])
        # The expert holds the hand on the goal: the final step (read from final_info) is a success too.
        assert bool(step.truncated[0]) and success[-1]
    finally:
        env.close()


@pytest.mark.filterwarnings("ignore:Constant.*may be too high:UserWarning")
def test_sparse_reward_is_the_success_flag(mw: Any) -> None:
    env = make_env("metaworld", "mw-reach_sparse", 1, seed=0, device=CPU, max_episode_steps=120)
    expert = _expert("reach-v3")
    try:
        obs, _ = env.reset(seed=0)
        rewards, success = [], []
        for _ in range(120):
            step = env.step(torch.from_numpy(expert.get_action(obs[0].double().numpy())).float()[None])
            rewards.append(float(step.reward[0]))
            success.append(bool(step.info["success"][0]))
            obs = step.obs
        assert rewards == [float(s) for s in success]
        assert 0.0 in rewards and 1.0 in rewards
    finally:
        env.close()


def test_seeds_reach_the_env(mw: Any) -> None:
    batch = make_env("metaworld", "mw-reach", 2, seed=7, device=CPU)
    single = make_env("metaworld", "mw-reach", 1, seed=8, device=CPU)
    other = make_env("metaworld", "mw-reach", 1, seed=9, device=CPU)
    try:
        # Env i of a batch is env seed + i: same goal variations, same sequence of picks.
        obs, _ = batch.reset(seed=7)
        alone, _ = single.reset(seed=8)
        assert torch.equal(obs[1], alone[0])
        assert not torch.equal(obs[0], obs[1])
        # The reset seed picks the variation; repeating it repeats the episode start.
        goals = {tuple(single.reset(seed=s)[0][0, -3:].tolist()) for s in range(20)}
        assert len(goals) > 5, "different reset seeds should start from different goals"
        assert torch.equal(single.reset(seed=3)[0], single.reset(seed=3)[0])
        # The build seed draws the 50 variations themselves: another seed, other goals for the same reset seed.
        assert not torch.equal(single.reset(seed=3)[0][:, -3:], other.reset(seed=3)[0][:, -3:])
    finally:
        for env in (batch, single, other):
            env.close()


def test_train_cli_smoke_logs_success(mw: Any, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    overrides = tiny_overrides(
        {
            "env.num_envs": 1,
            "env.num_eval_envs": 1,
            "train.num_env_steps": 120,
            "train.eval_every_env_steps": 120,
            "train.num_eval_episodes": 1,
        }
    )
    args = ["train", "env=metaworld", "env.task=mw-reach", "preset=small", *overrides, f"logging.run_dir={run_dir}"]
    assert main(args) == 0
    with (run_dir / "scalars.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    values = {key: [float(r["value"]) for r in rows if r["key"] == key] for key in {r["key"] for r in rows}}
    assert len(values["eval/avg_success_once"]) == 2  # before training and at the end
    assert all(v in (0.0, 1.0) for v in values["eval/avg_success_once"] + values["eval/avg_success_end"])
    assert "train/episode_success_once" in values
    assert values["eval/avg_length"] == [40.0, 40.0]  # the tiny run's 40-step episodes
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["env_steps"] == 120
    assert summary["final_eval"]["eval/avg_success_once"] in (0.0, 1.0)
    assert "mw-reach" in (run_dir / "config.yaml").read_text()

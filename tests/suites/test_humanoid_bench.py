"""The humanoid_bench family against the faithful stand-in (always) and the real HumanoidBench (where installed).

Tests taking the ``package`` fixture run twice: on ``standins/humanoid_bench`` (imported as ``humanoid_bench``,
with the pinned mujoco/dm_control reported as installed, since the stand-in needs neither), and on the real
package, marked ``sim`` and skipped with the install command where it is missing. The same assertions passing on
both is what makes the stand-in faithful.
"""

from __future__ import annotations

import csv
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from conformance import adapter, run_suite
from flashsac.cli.main import main
from flashsac.envs import MissingSimulatorError, make_env
from flashsac.envs.adapters import humanoid_bench as hb
from flashsac.envs.adapters.mujoco import RENDER_SIZE
from flashsac.envs.registry import RenderError, UnknownTaskError, check_env, solved_return
from tiny_run import tiny_overrides

STANDIN_ROOT = Path(__file__).parent / "standins"
# Observation sizes of the real package (qpos + qvel of robot and free bodies; reach adds hand and goal).
OBS_DIMS = {
    "h1-walk-v0": 51,
    "h1-stand-v0": 51,
    "h1-run-v0": 51,
    "h1-reach-v0": 57,
    "h1-hurdle-v0": 51,
    "h1-crawl-v0": 51,
    "h1-maze-v0": 51,
    "h1-sit_simple-v0": 51,
    "h1-sit_hard-v0": 64,
    "h1-balance_simple-v0": 64,
    "h1-balance_hard-v0": 77,
    "h1-stair-v0": 51,
    "h1-slide-v0": 51,
    "h1-pole-v0": 51,
}
CPU = torch.device("cpu")


def _pop_humanoid_bench() -> dict[str, ModuleType]:
    """Remove every imported ``humanoid_bench`` module (real or stand-in) and return them."""
    names = [name for name in sys.modules if name == "humanoid_bench" or name.startswith("humanoid_bench.")]
    return {name: sys.modules.pop(name) for name in names}


def _pop_humanoid_bench_ids() -> dict[str, Any]:
    """Unregister every gymnasium id whose entry point is in ``humanoid_bench`` and return their specs."""
    ids = [k for k, v in gym.registry.items() if str(v.entry_point).startswith("humanoid_bench.")]
    return {env_id: gym.registry.pop(env_id) for env_id in ids}


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a test imports as ``humanoid_bench`` or registers from it is undone afterwards."""
    saved_modules, saved_ids = _pop_humanoid_bench(), _pop_humanoid_bench_ids()
    yield
    _pop_humanoid_bench()
    _pop_humanoid_bench_ids()
    sys.modules.update(saved_modules)
    gym.registry.update(saved_ids)


def _use_standin(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(STANDIN_ROOT))
    monkeypatch.setattr(hb, "installed_version", lambda distribution: hb.PINNED_VERSIONS.get(distribution))
    module = importlib.import_module("humanoid_bench")
    assert Path(module.__file__ or "").is_relative_to(STANDIN_ROOT)
    return module


@pytest.fixture
def standin(isolated: None, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The stand-in, importable as ``humanoid_bench``."""
    return _use_standin(monkeypatch)


@pytest.fixture(params=["standin", pytest.param("real", marks=pytest.mark.sim)])
def package(request: pytest.FixtureRequest, isolated: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """``"standin"`` or ``"real"``: which ``humanoid_bench`` the test runs against (real: skipped if absent)."""
    if request.param == "standin":
        _use_standin(monkeypatch)
    else:
        try:
            hb.require()
        except MissingSimulatorError as exc:
            pytest.skip(str(exc))
        module = importlib.import_module("humanoid_bench")
        assert not Path(module.__file__ or "").is_relative_to(STANDIN_ROOT)
    return request.param


# --- the contract and the package's facts ----------------------------------------------------------------------


@pytest.mark.parametrize("task", ["h1-walk-v0", "h1-reach-v0", "h1-sit_hard-v0", "h1-balance_hard-v0"])
def test_conformance(package: str, task: str) -> None:
    run_suite(adapter("humanoid_bench", task, 2))


@pytest.mark.parametrize("task", sorted(OBS_DIMS))
def test_spec_has_the_package_spaces_and_time_limit(package: str, task: str) -> None:
    env = make_env("humanoid_bench", task, 1, seed=0, device=CPU)
    try:
        spec = env.spec
        assert (spec.obs_dim, spec.action_dim, spec.max_episode_steps) == (OBS_DIMS[task], 19, 1000)
        assert torch.equal(spec.action_low, -torch.ones(19)) and torch.equal(spec.action_high, torch.ones(19))
        assert spec.control_dt == pytest.approx(0.02)
        assert not spec.can_render
    finally:
        env.close()


def test_list_tasks_are_the_papers_14_and_registered(package: str) -> None:
    tasks = hb.list_tasks()
    assert tasks == list(OBS_DIMS)
    assert all(task in gym.registry for task in tasks)
    assert all(gym.registry[task].max_episode_steps == 1000 for task in tasks)


def test_package_emits_no_success_key_and_the_bars_match(package: str) -> None:
    for task, bar in hb.SOLVED_RETURNS.items():
        env = gym.make(task, render_mode=None)
        env.reset(seed=0)
        info = env.step(np.zeros(19, dtype=np.float32))[-1]
        assert "per_timestep_reward" in info and "success" not in info, sorted(info)
        assert env.unwrapped.task.success_bar == bar, task
        env.close()


def test_falling_terminates_with_the_pelvis_on_the_floor(package: str) -> None:
    env = make_env("humanoid_bench", "h1-walk-v0", 1, seed=0, device=CPU)
    gen = torch.Generator().manual_seed(0)
    try:
        for _ in range(300):
            step = env.step(torch.rand(1, 19, generator=gen) * 2 - 1)
            if step.done.any():
                break
        assert step.terminated.all() and not step.truncated.any()
        assert step.final_obs[0, 2] < 0.2  # walk terminates once qpos[2] (pelvis height) < 0.2
        assert step.obs[0, 2] > 0.9  # already the next episode's standing start
    finally:
        env.close()


def test_reach_goal_follows_the_seed(package: str) -> None:
    def goals(seed: int) -> torch.Tensor:
        env = make_env("humanoid_bench", "h1-reach-v0", 2, seed=seed, device=CPU)
        obs, _ = env.reset(seed=seed)
        env.close()
        return obs[:, -3:]

    first, again, other = goals(5), goals(5), goals(6)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert not torch.equal(first[0], first[1])  # env i is seeded seed + i


def test_render_gives_rgb_frames(package: str) -> None:
    try:
        env = make_env("humanoid_bench", "h1-walk-v0", 1, seed=0, device=CPU, render=True)
        frame = env.render(0)  # type: ignore[attr-defined]  # GymnasiumVecEnv renders; VecEnv need not
    except RenderError as exc:  # no usable offscreen OpenGL on this machine
        pytest.skip(str(exc))
    try:
        assert env.spec.can_render
        assert frame.shape == (RENDER_SIZE, RENDER_SIZE, 3) and frame.dtype == np.uint8 and frame.any()
    finally:
        env.close()


# --- success: the episode's return against the task's bar ------------------------------------------------------


class _Rewards(gym.Env):
    """Pays a fixed reward sequence; the episode ends after it."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,))
    action_space = gym.spaces.Box(-1.0, 1.0, (1,))

    def __init__(self, rewards: list[float]) -> None:
        self.rewards, self.t, self.seeded = rewards, 0, []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        self.t = 0
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        self.t += 1
        return np.zeros(1, dtype=np.float32), self.rewards[self.t - 1], self.t == len(self.rewards), False, {}

    def seed(self, seed: int | None = None) -> None:
        self.seeded.append(seed)


def test_success_is_the_return_so_far_reaching_the_bar() -> None:
    # Returns so far: 300, 600, 900, 800, 1000 against a bar of 850.
    env = hb.ReturnSuccess(_Rewards([300.0, 300.0, 300.0, -100.0, 200.0]), success_bar=850.0)
    env.reset(seed=4)
    flags = [env.step(np.zeros(1))[-1]["success"] for _ in range(5)]
    assert flags == [False, False, True, False, True]
    env.reset()  # a new episode starts from a zero return
    assert env.step(np.zeros(1))[-1]["success"] is False
    assert env.unwrapped.seeded == [4]  # the package's seed hook, on seeded resets only


def test_vector_success_matches_hand_summed_returns(standin: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(hb.SOLVED_RETURNS, "h1-reach-v0", 9.0)  # reach pays about 5 per step while upright
    env = make_env("humanoid_bench", "h1-reach-v0", 2, seed=0, device=CPU, max_episode_steps=4)
    episode_return = torch.zeros(2)
    try:
        for _ in range(10):
            step = env.step(torch.zeros(2, 19))
            episode_return += step.reward
            assert torch.equal(step.info["success"], episode_return >= 9.0)
            episode_return[step.done] = 0.0
    finally:
        env.close()


def test_solved_returns_are_the_success_bars() -> None:
    assert solved_return("humanoid_bench", "h1-walk-v0") == 700.0
    assert solved_return("humanoid_bench", "h1-reach-v0") == 12000.0
    assert solved_return("humanoid_bench", "h1-maze-v0") == 1200.0


# --- install problems say so in one line, with the fix ---------------------------------------------------------


def _one_line_with_fix(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message and message.startswith("env=humanoid_bench ")
    assert message.endswith(f"fix: {hb.INSTALL_COMMAND}")
    assert "pip install 'flashsac[humanoid-bench]'" in message and "pip install --no-deps -e" in message
    return message


def test_missing_package_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hb, "_package_installed", lambda: False)
    with pytest.raises(MissingSimulatorError) as caught:
        check_env("humanoid_bench", "h1-walk-v0")
    assert "needs the humanoid_bench package (not on PyPI)" in _one_line_with_fix(caught.value)


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        (
            {"mujoco": "3.17.0", "dm-control": "1.0.20"},
            "needs mujoco==3.1.6 (HumanoidBench's pin), found mujoco 3.17.0",
        ),
        ({"mujoco": "3.1.6", "dm-control": "1.0.50"}, "found dm-control 1.0.50"),
        ({"mujoco": None, "dm-control": "1.0.20"}, "needs mujoco==3.1.6 (HumanoidBench's pin), which is not installed"),
    ],
)
def test_wrong_or_missing_pins_name_the_install(
    monkeypatch: pytest.MonkeyPatch, versions: dict[str, str | None], expected: str
) -> None:
    monkeypatch.setattr(hb, "_package_installed", lambda: True)
    monkeypatch.setattr(hb, "installed_version", versions.get)
    with pytest.raises(MissingSimulatorError) as caught:
        hb.require()
    assert expected in _one_line_with_fix(caught.value)


def test_failing_import_names_the_reason(isolated: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "humanoid_bench").mkdir()
    (tmp_path / "humanoid_bench" / "__init__.py").write_text("import jax_absent_for_this_test\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(hb, "installed_version", lambda distribution: hb.PINNED_VERSIONS.get(distribution))
    with pytest.raises(MissingSimulatorError) as caught:
        hb.require()
    message = _one_line_with_fix(caught.value)
    assert "cannot import humanoid_bench (ModuleNotFoundError: No module named 'jax_absent_for_this_test')" in message


def test_unknown_task_lists_the_choices(standin: ModuleType) -> None:
    with pytest.raises(UnknownTaskError, match=r"env.task='h1-kitchen-v0'.*h1-balance_hard-v0.*h1-walk-v0"):
        check_env("humanoid_bench", "h1-kitchen-v0")


# --- training through the CLI logs success -----------------------------------------------------------------------


def test_cli_training_logs_success(package: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A bar that a second of standing reaches, so that success is actually observed (the real bar is 700).
    bar = 1.0
    monkeypatch.setitem(hb.SOLVED_RETURNS, "h1-walk-v0", bar)
    overrides = tiny_overrides(
        {
            "env.num_envs": 2,
            "env.max_episode_steps": 30,
            "train.num_env_steps": 240,
            "train.eval_every_env_steps": 240,
            "train.log_every_env_steps": 60,
        }
    )
    run_dir = tmp_path / "run"
    argv = ["train", "env=humanoid_bench", "env.task=h1-walk-v0", "preset=small", *overrides]
    assert main([*argv, f"logging.run_dir={run_dir}"]) == 0
    with (run_dir / "scalars.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    values: dict[str, list[float]] = {}
    for row in rows:
        values.setdefault(row["key"], []).append(float(row["value"]))
    for key in ("train/episode_success_once", "train/episode_success_end", "eval/avg_success_end"):
        assert key in values and all(0.0 <= v <= 1.0 for v in values[key]), key
    assert max(values["train/episode_success_once"]) > 0.0
    # Two eval episodes: a mean return at or above the bar means at least one succeeded, below it at least one failed.
    for avg_return, success_end in zip(values["eval/avg_return"], values["eval/avg_success_end"], strict=True):
        assert success_end >= 0.5 if avg_return >= bar else success_end <= 0.5
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["solved_return"] == bar and summary["env_steps"] == 240

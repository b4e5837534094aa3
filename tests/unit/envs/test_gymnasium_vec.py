"""Lifting gymnasium envs into the contract: terminations, final_obs, success, bounds and time limits."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from flashsac.envs import MissingSimulatorError
from flashsac.envs.gymnasium_vec import GymnasiumVecEnv
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import family

CPU = torch.device("cpu")


@pytest.fixture
def mujoco_installed() -> None:
    try:
        family("mujoco").require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))


class _Counter(gym.Env):
    """Obs = step count; terminates at ``length`` steps, reporting success there under ``key``."""

    def __init__(self, length: int, key: str = "success", low: float = -1.0) -> None:
        self.length, self.key = length, key
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(1,), dtype=np.float64)
        self.action_space = gym.spaces.Box(low, 1.0, shape=(2,), dtype=np.float32)
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._t = 0
        return np.zeros(1), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._t += 1
        done = self._t >= self.length
        return np.array([float(self._t)]), 1.0, done, False, {self.key: done}


@pytest.mark.sim
@pytest.mark.usefixtures("mujoco_installed")
def test_termination_keeps_flags_apart_and_returns_the_terminal_obs() -> None:
    # InvertedPendulum-v5 terminates once |hinge angle| (obs[1]) exceeds 0.2; full torque tips it over fast.
    env = family("mujoco").make(EnvRequest("InvertedPendulum-v5", num_envs=2, seed=0, device=CPU))
    try:
        action = env.spec.action_high.expand(2, -1).clone()
        for _ in range(200):
            step = env.step(action)
            if step.terminated.any():
                break
        else:
            pytest.fail("InvertedPendulum-v5 never terminated under full torque")
        rows = step.terminated
        assert not step.truncated[rows].any()
        assert (step.final_obs[rows, 1].abs() > 0.2).all(), "final_obs is not the terminal (fallen) state"
        assert (step.obs[rows, 1].abs() <= 0.01).all(), "obs is not a fresh initial state after autoreset"
        assert torch.equal(step.final_obs[~rows], step.obs[~rows])
    finally:
        env.close()


def test_success_of_ended_episodes_comes_from_final_info() -> None:
    env = GymnasiumVecEnv("counter", [lambda: _Counter(2), lambda: _Counter(3, key="is_success")], CPU)
    env.reset(seed=0)
    action = torch.zeros(2, 2)
    flags = [env.step(action).info["success"].tolist() for _ in range(3)]
    env.close()
    assert flags == [[False, False], [True, False], [False, True]]


def test_final_obs_is_dense_and_float64_is_cast() -> None:
    env = GymnasiumVecEnv("counter", [lambda: _Counter(2), lambda: _Counter(3)], CPU)
    env.reset(seed=0)
    env.step(torch.zeros(2, 2))
    step = env.step(torch.zeros(2, 2))
    env.close()
    assert step.obs.dtype == torch.float32 and step.final_obs.dtype == torch.float32
    assert step.terminated.tolist() == [True, False]
    assert step.final_obs[:, 0].tolist() == [2.0, 2.0]
    assert step.obs[:, 0].tolist() == [0.0, 2.0]
    assert env.spec.control_dt == 0.0 and env.spec.max_episode_steps is None


def test_non_finite_action_bounds_are_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"'unbounded'.*non-finite.*RescaleAction"):
        GymnasiumVecEnv("unbounded", [lambda: _Counter(2, low=-np.inf)], CPU)


def test_explicit_limit_overrides_and_is_the_effective_limit() -> None:
    env = GymnasiumVecEnv("counter", [lambda: _Counter(100)], CPU, max_episode_steps=4)
    assert env.spec.max_episode_steps == 4
    env.reset(seed=0)
    steps = [env.step(torch.zeros(1, 2)) for _ in range(4)]
    env.close()
    assert [bool(s.truncated) for s in steps] == [False, False, False, True]
    assert steps[-1].final_obs.tolist() == [[4.0]]


@pytest.mark.sim
@pytest.mark.usefixtures("mujoco_installed")
def test_registered_limit_kept_unless_overridden() -> None:
    default = GymnasiumVecEnv("InvertedPendulum-v5", [lambda: gym.make("InvertedPendulum-v5")], CPU)
    shorter = GymnasiumVecEnv(
        "InvertedPendulum-v5", [lambda: gym.make("InvertedPendulum-v5")], CPU, max_episode_steps=7
    )
    assert default.spec.max_episode_steps == 1000 and shorter.spec.max_episode_steps == 7
    assert default.spec.control_dt == pytest.approx(0.04)
    default.close()
    shorter.close()
    with pytest.raises(ValueError, match="cannot lengthen"):
        GymnasiumVecEnv("InvertedPendulum-v5", [lambda: gym.make("InvertedPendulum-v5")], CPU, max_episode_steps=2000)

"""The DMC family: paper task names, flat observations, 1000-step episodes ending in truncation."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch

from flashsac.envs import MissingSimulatorError, make_env
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import family

pytestmark = pytest.mark.sim


@pytest.fixture
def dmc() -> Any:
    module = family("dmc")
    try:
        module.require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))
    return module


def test_every_suite_task_is_named_domain_dash_task(dmc: Any) -> None:
    from dm_control import suite

    tasks = dmc.list_tasks()
    assert len(tasks) == len(suite.ALL_TASKS)
    for name in (
        "cartpole-swingup",
        "cartpole-balance_sparse",
        "humanoid-walk",
        "dog-run",
        "ball_in_cup-catch",
    ):
        assert name in tasks


def test_observation_is_the_dict_flattened_in_order(dmc: Any) -> None:
    from dm_control import suite

    reference = suite.load("walker", "walk", task_kwargs={"random": 5}).reset().observation
    expected = np.concatenate([np.asarray(v, dtype=np.float32).ravel() for v in reference.values()])
    obs, _ = dmc.DMCEnv("walker", "walk").reset(seed=5)
    assert obs.dtype == np.float32
    np.testing.assert_array_equal(obs, expected)


def test_default_episode_is_1000_steps_and_ends_truncated(dmc: Any) -> None:
    env = dmc.make(EnvRequest("cartpole-balance", num_envs=1, seed=0, device=torch.device("cpu")))
    try:
        assert env.spec.max_episode_steps == 1000
        action = torch.zeros(1, env.spec.action_dim)
        ended_at = []
        for t in range(1, 1001):
            step = env.step(action)
            assert not step.terminated.any()
            if step.done.any():
                ended_at.append(t)
        assert ended_at == [1000]
        assert step.truncated.all()
        assert not torch.equal(step.final_obs, step.obs)
    finally:
        env.close()


def test_suite_time_limit_maps_to_truncated(dmc: Any) -> None:
    # The suite's own end-of-episode signal (LAST, discount 1) must read as a time limit.
    env = dmc.DMCEnv("cartpole", "balance", seed=0, time_limit=0.05)  # 5 control steps of 0.01 s
    env.reset()
    flags = [env.step(np.zeros(1))[2:4] for _ in range(5)]
    env.close()
    assert flags == [(False, False)] * 4 + [(False, True)]


def test_suite_terminal_discount_maps_to_terminated(dmc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import dm_env

    env = dmc.DMCEnv("cartpole", "balance", seed=0)
    observation = env._env.reset().observation
    monkeypatch.setattr(env._env, "step", lambda action: dm_env.termination(0.0, observation))
    _, _, terminated, truncated, _ = env.step(np.zeros(1))
    env.close()
    assert (terminated, truncated) == (True, False)


def test_quadruped_escape_builds_or_says_it_needs_opengl(dmc: Any) -> None:
    try:
        env = make_env("dmc", "quadruped-escape", 1, seed=0, device=torch.device("cpu"))
    except MissingSimulatorError as exc:
        assert "MUJOCO_GL" in str(exc)
        return
    try:
        assert torch.isfinite(env.step(torch.zeros(1, env.spec.action_dim)).obs).all()
    finally:
        env.close()


def test_unusable_egl_falls_back_to_no_rendering(dmc: Any) -> None:
    # An out-of-range EGL device makes dm_control's EGL import fail, as on a machine with libEGL but no GPU.
    code = (
        "import os, torch\n"
        "from flashsac.envs import make_env\n"
        "env = make_env('dmc', 'cartpole-swingup', 1, seed=0, device=torch.device('cpu'))\n"
        "env.step(torch.zeros(1, 1))\n"
        "print(os.environ['MUJOCO_GL'])\n"
    )
    environ = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM")}
    environ["MUJOCO_EGL_DEVICE_ID"] = "999"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "disable"

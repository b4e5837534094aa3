"""Rendering in the env contract: uint8 RGB frames of one env, offscreen, where ``spec.can_render`` says so."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from flashsac.envs.protocol import RenderableEnv
from flashsac.envs.registry import MissingSimulatorError, RenderError, family, make_env

CPU = torch.device("cpu")


def _assert_frame(frame: np.ndarray) -> None:
    assert frame.dtype == np.uint8
    assert frame.ndim == 3 and frame.shape[-1] == 3 and min(frame.shape[:2]) >= 64
    assert frame.min() != frame.max(), "a constant frame shows nothing"


@pytest.mark.parametrize("task", ["pendulum-swingup", "cartpole-balance", "point-reach_sparse"])
def test_torch_tasks_draw_the_state_of_the_chosen_env(task: str) -> None:
    env = make_env("torch", task, 2, seed=0, device=CPU)
    assert env.spec.can_render
    assert isinstance(env, RenderableEnv)
    render = env.render
    before = render(0)
    _assert_frame(before)
    assert np.array_equal(render(0), before), "rendering must not change the state"
    high = env.spec.action_high.expand(2, -1)
    for _ in range(15):  # push hard in one direction: the pole/rod visibly moves
        env.step(high)
    after = render(0)
    _assert_frame(after)
    assert after.shape == before.shape
    assert not np.array_equal(after, before)
    with pytest.raises(IndexError):
        render(2)


def _require(name: str) -> Any:
    module = family(name)
    try:
        module.require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))
    return module


@pytest.mark.sim
@pytest.mark.parametrize(("name", "task"), [("mujoco", "InvertedPendulum-v5"), ("dmc", "cartpole-swingup")])
def test_simulators_render_offscreen_when_asked(name: str, task: str) -> None:
    _require(name)
    env: Any = make_env(name, task, 2, seed=0, device=CPU, render=True)
    try:
        assert env.spec.can_render
        first = env.render(1)
        _assert_frame(first)
        env.step(env.spec.action_high.expand(2, -1))
        for _ in range(10):
            env.step(env.spec.action_high.expand(2, -1))
        assert not np.array_equal(env.render(1), first)
    finally:
        env.close()


@pytest.mark.sim
def test_simulators_built_without_rendering_say_how_to_get_it() -> None:
    _require("mujoco")
    env: Any = make_env("mujoco", "InvertedPendulum-v5", 1, seed=0, device=CPU)
    try:
        assert not env.spec.can_render
        with pytest.raises(RenderError, match=r"render=True"):
            env.render(0)
    finally:
        env.close()


@pytest.mark.sim
def test_a_failing_gl_backend_is_one_clear_error_naming_mujoco_gl() -> None:
    _require("mujoco")
    env: Any = make_env("mujoco", "InvertedPendulum-v5", 1, seed=0, device=CPU, render=True)

    def broken_render() -> np.ndarray:
        raise AttributeError("'NoneType' object has no attribute 'glGetError'")  # what a missing libOSMesa gives

    try:
        env._vec.envs[0].render = broken_render
        with pytest.raises(RenderError, match=r"MUJOCO_GL=.*fix: .*MUJOCO_GL=egl") as err:
            env.render(0)
        assert "\n" not in str(err.value)
    finally:
        env.close()

"""The maniskill family against the faithful stand-in (always) and the real ManiSkill3 (where installed).

ManiSkill needs an NVIDIA GPU with Vulkan even for state observations, so the adapter's behaviour is tested on
``standins/maniskill`` (imported as ``mani_skill``, with mani-skill 3.0.1 reported as installed). Tests taking the
``package`` fixture also run on the real package, marked ``sim``: its registrations and interfaces must match what
the stand-in imitates, and on a machine without a rendering device building an env must fail in one clear line.
"""

from __future__ import annotations

import csv
import importlib
import inspect
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
from flashsac.config.validate import ConfigError
from flashsac.envs import MissingSimulatorError, make_env
from flashsac.envs.adapters import maniskill as ms
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import RenderError, UnknownTaskError, check_env
from tiny_run import tiny_overrides

STANDIN_ROOT = Path(__file__).parent / "standins" / "maniskill"
CPU = torch.device("cpu")
# task -> (registered max_episode_steps, obs size, action size, max dense reward), from the ManiSkill 3.0.1 source.
FACTS = {
    "PickSingleYCB-v1": (50, 45, 8, 6.0),
    "PegInsertionSide-v1": (100, 43, 8, 10.0),
    "UnitreeG1TransportBox-v1": (100, 77, 25, 5.0),
    "UnitreeG1PlaceAppleInBowl-v1": (100, 74, 25, 10.0),
    "LiftPegUpright-v1": (50, 32, 8, 3.0),
    "PokeCube-v1": (50, 54, 8, 10.0),
    "PullCube-v1": (50, 35, 8, 3.0),
    "RollBall-v1": (80, 44, 8, 30.0),
}


def _pop_mani_skill() -> dict[str, ModuleType]:
    names = [name for name in sys.modules if name == "mani_skill" or name.startswith("mani_skill.")]
    return {name: sys.modules.pop(name) for name in names}


def _pop_mani_skill_ids() -> dict[str, Any]:
    # Both packages register a functools.partial entry point and an MSTimeLimit wrapper from mani_skill.utils.
    ids = [
        k
        for k, v in gym.registry.items()
        if any(str(w.entry_point).startswith("mani_skill.") for w in v.additional_wrappers)
    ]
    return {env_id: gym.registry.pop(env_id) for env_id in ids}


@pytest.fixture
def isolated() -> Iterator[None]:
    """Whatever a test imports as ``mani_skill`` or registers from it is undone afterwards."""
    saved_modules, saved_ids = _pop_mani_skill(), _pop_mani_skill_ids()
    yield
    _pop_mani_skill()
    _pop_mani_skill_ids()
    sys.modules.update(saved_modules)
    gym.registry.update(saved_ids)


def _use_standin(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(STANDIN_ROOT))
    monkeypatch.setattr(ms, "installed_version", lambda d: ms.PINNED_VERSION if d == "mani-skill" else None)
    module = importlib.import_module("mani_skill")
    assert Path(module.__file__ or "").is_relative_to(STANDIN_ROOT)
    return module


@pytest.fixture
def standin(isolated: None, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The stand-in, importable as ``mani_skill``."""
    return _use_standin(monkeypatch)


@pytest.fixture(params=["standin", pytest.param("real", marks=pytest.mark.sim)])
def package(request: pytest.FixtureRequest, isolated: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """``"standin"`` or ``"real"``: which ``mani_skill`` the test runs against (real: skipped if absent)."""
    if request.param == "standin":
        _use_standin(monkeypatch)
    else:
        try:
            ms.require()
        except MissingSimulatorError as exc:
            pytest.skip(str(exc))
        assert not Path(importlib.import_module("mani_skill").__file__ or "").is_relative_to(STANDIN_ROOT)
    return request.param


def _make(
    task: str = "PokeCube-v1", num_envs: int = 3, seed: int = 0, max_episode_steps: int | None = None, **options: Any
) -> ms.ManiSkillVecEnv:
    return ms.make(EnvRequest(task, num_envs, seed, CPU, max_episode_steps), **options)


def _put_object_on_goal(env: ms.ManiSkillVecEnv, index: int) -> None:
    """Stand-in only: move env ``index``'s object onto its goal, so that its next step succeeds."""
    base = env._vec.base_env
    base.obj_pos[index] = base.goal_pos[index]


# --- the package's facts: the same assertions on the stand-in and the real package ------------------------------


def test_registrations_match_the_package(package: str) -> None:
    for task, (steps, *_) in FACTS.items():
        spec = gym.registry[task]
        assert spec.max_episode_steps == steps, task
        assert [w.name for w in spec.additional_wrappers] == ["MSTimeLimit"], task
        assert spec.additional_wrappers[0].kwargs == {"max_episode_steps": steps}


def test_vector_env_and_reward_modes_match_the_package(package: str) -> None:
    from mani_skill.envs.sapien_env import BaseEnv
    from mani_skill.vector.wrappers.gymnasium import ManiSkillVectorEnv

    params = inspect.signature(ManiSkillVectorEnv.__init__).parameters
    assert list(params)[:6] == ["self", "env", "num_envs", "auto_reset", "ignore_terminations", "record_metrics"]
    assert params["auto_reset"].default is True and params["ignore_terminations"].default is False
    assert BaseEnv.SUPPORTED_REWARD_MODES == ms.REWARD_MODES
    base_params = inspect.signature(BaseEnv.__init__).parameters
    for name in ("num_envs", "obs_mode", "reward_mode", "control_mode", "render_mode", "sim_backend"):
        assert name in base_params, name


@pytest.mark.sim
def test_real_package_without_a_rendering_device_fails_in_one_line(isolated: None) -> None:
    try:
        ms.require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))
    try:
        env = ms.make(EnvRequest("PokeCube-v1", 1, 0, CPU))  # physx_cpu: only the renderer needs the GPU
    except MissingSimulatorError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("env=maniskill could not build PokeCube-v1")
        assert "sim_backend=physx_cpu" in message and "Vulkan" in message
        return
    env.close()
    pytest.skip("this machine has a Vulkan rendering device: ManiSkill builds envs here")


# --- the contract ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", sorted(FACTS))
def test_conformance(standin: ModuleType, task: str) -> None:
    run_suite(adapter("maniskill", task, 2))


def test_conformance_on_the_single_env_cpu_backend(standin: ModuleType) -> None:
    run_suite(adapter("maniskill", "PullCube-v1", 1))


@pytest.mark.parametrize("task", sorted(FACTS))
def test_spec_has_the_package_spaces_and_time_limit(standin: ModuleType, task: str) -> None:
    steps, obs_dim, action_dim, _ = FACTS[task]
    env = make_env("maniskill", task, 2, seed=0, device=CPU)
    try:
        spec = env.spec
        assert (spec.obs_dim, spec.action_dim, spec.max_episode_steps) == (obs_dim, action_dim, steps)
        assert torch.equal(spec.action_low, -torch.ones(action_dim))
        assert torch.equal(spec.action_high, torch.ones(action_dim))
        assert spec.control_dt == pytest.approx(0.05)
        assert spec.critic_obs_dim is None and spec.exact_final_obs and not spec.shares_instance
        assert not spec.can_render
        assert env.joint_limits() is None  # type: ignore[attr-defined]  # delta controllers: no q0 + s * a
    finally:
        env.close()


@pytest.mark.parametrize(
    ("device", "num_envs", "backend"),
    [("cuda", 8, "physx_cuda"), ("cuda:1", 1, "physx_cuda:1"), ("cpu", 1, "physx_cpu"), ("cpu", 4, "physx_cuda")],
)
def test_sim_backend_follows_the_device(device: str, num_envs: int, backend: str) -> None:
    assert ms.sim_backend(torch.device(device), num_envs) == backend


def test_true_final_obs_at_time_outs(standin: ModuleType) -> None:
    """At a time-out the final obs is what an env with a longer limit observes at that step."""
    short, long = _make(max_episode_steps=5, seed=7), _make(max_episode_steps=8, seed=7)
    gen = torch.Generator().manual_seed(0)
    try:
        for t in range(1, 6):
            action = torch.rand(3, 8, generator=gen) * 2 - 1
            a, b = short.step(action), long.step(action)
            assert not b.done.any()
            if t < 5:
                assert not a.done.any() and torch.equal(a.obs, b.obs) and torch.equal(a.final_obs, a.obs)
        assert a.truncated.all() and not a.terminated.any()
        assert torch.equal(a.final_obs, b.obs)  # the true s_{t+1} of the ended episodes
        assert (a.obs != a.final_obs).any(dim=1).all()  # obs already starts the next episodes
        assert (short._vec.base_env.elapsed_steps == 0).all()
    finally:
        short.close()
        long.close()


def test_terminations_are_ignored_by_default(standin: ModuleType) -> None:
    """The paper's infinite horizon: success never terminates; every env truncates exactly at the limit."""
    env = _make(max_episode_steps=6)
    try:
        for t in range(1, 7):
            if t == 2:
                _put_object_on_goal(env, 0)
            step = env.step(torch.zeros(3, 8))
            assert not step.terminated.any()
            assert step.info["success"].tolist() == [t >= 2, False, False]  # zero actions leave the object there
            assert step.truncated.tolist() == [t == 6] * 3
        # success at the time-out step is the ended episode's, read from final_info (the reset info says False)
        assert not env._vec.base_env.evaluate()["success"][0]
    finally:
        env.close()


def test_terminations_end_episodes_when_not_ignored(standin: ModuleType) -> None:
    env = _make(max_episode_steps=6, ignore_terminations=False)
    try:
        env.step(torch.zeros(3, 8))
        _put_object_on_goal(env, 0)
        step = env.step(torch.zeros(3, 8))
        assert step.terminated.tolist() == [True, False, False] and not step.truncated.any()
        assert step.info["success"].tolist() == [True, False, False]
        assert not torch.equal(step.final_obs[0], step.obs[0])  # env 0 was reset within the step
        assert torch.equal(step.final_obs[1:], step.obs[1:])
        assert env._vec.base_env.elapsed_steps.tolist() == [0, 2, 2]
        # env 0 now runs two steps behind: the others truncate at the limit first
        for _ in range(4):
            step = env.step(torch.zeros(3, 8))
        assert step.truncated.tolist() == [False, True, True] and not step.terminated.any()
        # a success at the last step of env 0's limit is a termination, never both flags
        env.step(torch.zeros(3, 8))
        _put_object_on_goal(env, 0)
        step = env.step(torch.zeros(3, 8))
        assert step.terminated.tolist() == [True, False, False] and not step.truncated[0]
    finally:
        env.close()


def test_reward_mode_is_passed_through(standin: ModuleType) -> None:
    max_reward = FACTS["PokeCube-v1"][3]
    gen = torch.Generator().manual_seed(1)
    actions = [torch.rand(3, 8, generator=gen) * 2 - 1 for _ in range(6)]
    rewards: dict[str, list[torch.Tensor]] = {}
    successes: list[torch.Tensor] = []
    for mode in ms.REWARD_MODES:
        torch.manual_seed(0)  # unseeded autoresets draw from torch's global generator, as in ManiSkill
        env = _make(seed=3, reward_mode=mode, max_episode_steps=4)
        assert env._vec.base_env.reward_mode == mode
        rewards[mode] = []
        for t, action in enumerate(actions):
            if t == 2:
                _put_object_on_goal(env, 1)
            step = env.step(action)
            assert step.reward.dtype == torch.float32
            rewards[mode].append(step.reward)
            if mode == "sparse":
                successes.append(step.info["success"])
        env.close()
    for dense, normalized in zip(rewards["dense"], rewards["normalized_dense"], strict=True):
        torch.testing.assert_close(dense, max_reward * normalized)
    assert torch.stack(rewards["sparse"]).eq(torch.stack(successes).float()).all()
    assert torch.stack(rewards["sparse"])[2:4, 1].eq(1.0).all()  # env 1 from its success until the time-out
    assert not torch.stack(rewards["none"]).any()
    assert torch.stack(rewards["normalized_dense"]).max() == 1.0  # the success step pays the maximum


def test_seeds_reach_the_simulator(standin: ModuleType) -> None:
    def first_obs(seed: int) -> torch.Tensor:
        env = _make(seed=seed)
        obs, _ = env.reset(seed=seed)
        env.close()
        return obs

    first, again, other = first_obs(5), first_obs(5), first_obs(6)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert not torch.equal(first[0], first[1])  # each env gets its own episode seed


def test_control_mode_is_passed_through(standin: ModuleType) -> None:
    env = _make(control_mode="pd_joint_pos")
    try:
        assert env._vec.base_env.control_mode == "pd_joint_pos"
        assert env.spec.action_high[0] > 1.0  # absolute joint targets, not normalised deltas
    finally:
        env.close()


def test_render_gives_rgb_frames(standin: ModuleType) -> None:
    env = make_env("maniskill", "PokeCube-v1", 1, seed=0, device=CPU, render=True)
    try:
        frame = env.render(0)  # type: ignore[attr-defined]
        assert env.spec.can_render and frame.dtype == np.uint8 and frame.shape[2] == 3 and frame.any()
    finally:
        env.close()
    plain = _make()
    with pytest.raises(RenderError, match="render=True"):
        plain.render(0)
    plain.close()


# --- options and errors are one line naming the fix ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"reward_modes": "dense"}, "has no option 'reward_modes'.*Valid options: reward_mode, ignore_terminations"),
        ({"reward_mode": "shaped"}, "reward_mode='shaped'.*Valid choices: normalized_dense, dense, sparse, none"),
        ({"ignore_terminations": "yes"}, "ignore_terminations='yes' must be true or false"),
    ],
)
def test_bad_options_name_the_choices(standin: ModuleType, options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        _make(**options)


def test_unknown_control_mode_fails_in_one_line(standin: ModuleType) -> None:
    with pytest.raises(MissingSimulatorError) as caught:
        _make(control_mode="pd_ee_twist")
    message = str(caught.value)
    assert "\n" not in message and "AssertionError: pd_ee_twist not in supported modes" in message
    assert "Check the env options" in message


def test_no_rendering_device_fails_in_one_line(standin: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_vulkan(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("failed to find a rendering device")  # what sapien 3.0.3 raises without Vulkan

    monkeypatch.setattr(gym, "make", no_vulkan)
    with pytest.raises(MissingSimulatorError) as caught:
        _make(num_envs=4)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "env=maniskill could not build PokeCube-v1 (sim_backend=physx_cuda): RuntimeError: failed to find a "
        "rendering device. ManiSkill needs an NVIDIA GPU"
    )
    assert "Vulkan" in message and "vulkaninfo" in message


def _one_line_with_fix(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message and message.startswith("env=maniskill ")
    assert f"fix: {ms.INSTALL_COMMAND}" in message
    return message


def test_missing_package_names_the_install_and_the_gpu(isolated: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ms, "installed_version", lambda d: None)
    with pytest.raises(MissingSimulatorError) as caught:
        check_env("maniskill", "PokeCube-v1")
    message = _one_line_with_fix(caught.value)
    assert "needs mani-skill==3.0.1, which is not installed" in message and "Vulkan" in message


def test_wrong_version_names_the_install(isolated: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ms, "installed_version", lambda d: "3.0.0b20")
    with pytest.raises(MissingSimulatorError) as caught:
        ms.require()
    assert "found mani-skill 3.0.0b20" in _one_line_with_fix(caught.value)


def test_failing_import_names_the_reason(isolated: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "mani_skill" / "envs").mkdir(parents=True)
    (tmp_path / "mani_skill" / "__init__.py").write_text("")
    (tmp_path / "mani_skill" / "envs" / "__init__.py").write_text("import sapien_absent_for_this_test\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(ms, "installed_version", lambda d: ms.PINNED_VERSION)
    with pytest.raises(MissingSimulatorError) as caught:
        ms.require()
    message = _one_line_with_fix(caught.value)
    assert "cannot import mani_skill (ModuleNotFoundError: No module named 'sapien_absent_for_this_test')" in message


def test_unknown_task_lists_the_choices(standin: ModuleType) -> None:
    with pytest.raises(UnknownTaskError, match=r"env.task='PushCube-v1'.*LiftPegUpright-v1.*RollBall-v1"):
        check_env("maniskill", "PushCube-v1")
    with pytest.raises(UnknownTaskError, match="PickSingleYCB-v1, PegInsertionSide-v1"):
        _make("PushCube-v1")


# --- training through the CLI ------------------------------------------------------------------------------------


def test_cli_trains_on_the_standin(standin: ModuleType, tmp_path: Path) -> None:
    overrides = tiny_overrides(
        {
            "env.max_episode_steps": 10,
            "train.num_env_steps": 160,
            "train.eval_every_env_steps": 160,
            "train.log_every_env_steps": 40,
            "buffer.min_size": 40,
        }
    )
    run_dir = tmp_path / "run"
    argv = ["train", "env=maniskill", "env.task=PokeCube-v1", "preset=small", *overrides]
    assert main([*argv, f"logging.run_dir={run_dir}"]) == 0
    with (run_dir / "scalars.csv").open() as handle:
        keys = {row["key"] for row in csv.DictReader(handle)}
    assert {"train/episode_success_end", "eval/avg_success_end", "eval/avg_return"} <= keys
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["env_steps"] == 160
    config = (run_dir / "config.yaml").read_text()
    assert "gamma: 0.9\n" in config  # the suite's discount comes with env=maniskill, whatever the preset

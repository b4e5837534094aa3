"""The isaaclab family against the faithful IsaacLab 2.3 stand-in (standins/isaaclab; real IsaacLab needs Isaac Sim).

The stand-in is imported as ``isaaclab`` and ``isaaclab_tasks`` with ``isaaclab 2.3.2.post1`` reported as installed.
Its IsaacLab 3.x branch (``cfg.compute_final_obs``) is switched on by giving the config classes the field, which
is how the adapter tells 3.x from 2.x; tests marked with the ``path`` fixture run both ways.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium as gym
import pytest
import torch

from conformance import run_suite
from flashsac.cli.main import main
from flashsac.config.schema import EnvConfig
from flashsac.envs import MissingSimulatorError, make_env, make_env_from_config
from flashsac.envs.action_bounds import joint_limit_bounds
from flashsac.envs.adapters import isaaclab as il
from flashsac.envs.adapters.manager_based import FinalObs, ManagerBasedVecEnv
from flashsac.envs.protocol import EnvRequest, VecEnv
from flashsac.envs.registry import UnknownTaskError, check_env
from tiny_run import tiny_overrides

STANDIN_ROOT = Path(__file__).parent / "standins" / "isaaclab"
CPU = torch.device("cpu")
ANYMAL = "Isaac-Velocity-Flat-Anymal-D-v0"
SHADOW = "Isaac-Repose-Cube-Shadow-Direct-v0"
LIFT = "Isaac-Lift-Cube-Franka-v0"


def _pop_modules() -> dict[str, ModuleType]:
    names = [n for n in sys.modules if n.split(".")[0] in ("isaaclab", "isaaclab_tasks")]
    return {n: sys.modules.pop(n) for n in names}


def _pop_ids() -> dict[str, Any]:
    ids = [k for k, v in gym.registry.items() if str(v.entry_point).startswith(("isaaclab.", "isaaclab_tasks."))]
    return {env_id: gym.registry.pop(env_id) for env_id in ids}


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The stand-in importable as IsaacLab 2.3; every import, registration and launched app is undone afterwards."""
    saved_modules, saved_ids = _pop_modules(), _pop_ids()
    monkeypatch.syspath_prepend(str(STANDIN_ROOT))
    monkeypatch.setattr(il, "installed_version", lambda d: "2.3.2.post1" if d == "isaaclab" else None)
    monkeypatch.setattr(il, "_APP", {})
    yield
    _pop_modules()
    _pop_ids()
    sys.modules.update(saved_modules)
    gym.registry.update(saved_ids)


@pytest.fixture(params=["2.x", "3.x"])
def path(request: pytest.FixtureRequest, standin: None, monkeypatch: pytest.MonkeyPatch) -> FinalObs:
    """Which final-observation path the adapter takes: 2.x's ``_reset_idx`` hook or 3.x's ``compute_final_obs``."""
    if request.param == "3.x":
        il._launch(CPU)  # the env modules import only inside the running app
        for module in ("isaaclab.envs.manager_based_rl_env", "isaaclab.envs.direct_rl_env"):
            cls = importlib.import_module(module)
            name = "ManagerBasedRLEnvCfg" if "manager" in module else "DirectRLEnvCfg"
            # Why a class attribute: instances (dataclasses) then read it like 3.x's field, default False.
            monkeypatch.setattr(getattr(cls, name), "compute_final_obs", False, raising=False)
        return FinalObs.EXTRAS
    return FinalObs.RESET_HOOK


def _edit_cfg(monkeypatch: pytest.MonkeyPatch, edit: Callable[[Any], None]) -> None:
    """Apply ``edit`` to every config the adapter parses (as a user editing the task config would)."""
    il._launch(CPU)
    parse_cfg = importlib.import_module("isaaclab_tasks.utils.parse_cfg")
    original = parse_cfg.parse_env_cfg

    def parse(*args: Any, **kwargs: Any) -> Any:
        cfg = original(*args, **kwargs)
        edit(cfg)
        return cfg

    monkeypatch.setattr(parse_cfg, "parse_env_cfg", parse)


def _make(task: str, num_envs: int = 3, seed: int = 0, steps: int | None = None, mode: str = "scalar") -> VecEnv:
    env_cfg = EnvConfig(
        name="isaaclab",
        task=task,
        max_episode_steps=steps,
        action_bounds=mode,
        action_bound=3.0 if "Franka" in task else 1.0,
    )
    return make_env_from_config(env_cfg, seed, CPU, num_envs=num_envs)


def _core(env: VecEnv) -> ManagerBasedVecEnv:
    core = getattr(env, "inner", env)
    assert isinstance(core, ManagerBasedVecEnv)
    return core


# --- the contract --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", [ANYMAL, LIFT, SHADOW, "Isaac-Repose-Cube-Allegro-Direct-v0"])
def test_conformance(path: FinalObs, task: str) -> None:
    run_suite(lambda steps: _make(task, steps=steps))


def test_spec_declares_the_envs_own_infinite_box_and_shares_the_instance(standin: None) -> None:
    env = il.make(EnvRequest(ANYMAL, 2, seed=0, device=CPU))
    try:
        spec = env.spec
        assert torch.isinf(spec.action_low).all() and torch.isinf(spec.action_high).all()
        assert spec.action_low.lt(0).all() and spec.action_high.gt(0).all()
        assert spec.shares_instance and spec.exact_final_obs and spec.critic_obs_dim is None
        assert (spec.obs_dim, spec.action_dim) == (3 + 3 * 12, 12)
        assert spec.max_episode_steps == 1000 and spec.control_dt == pytest.approx(0.02)  # 20 s at 0.005 x 4
        assert spec.joint_names[:3] == ("LF_HAA", "LF_HFE", "LF_KFE")
    finally:
        env.close()
    with pytest.raises(ValueError, match="non-finite action box.*env.action_bounds=joint_limits"):
        make_env("isaaclab", ANYMAL, 2, seed=0, device=CPU)


def test_app_starts_headless_once_before_the_tasks_import(standin: None) -> None:
    env = il.make(EnvRequest(ANYMAL, 1, seed=0, device=CPU))
    env.close()
    state = importlib.import_module("isaaclab.app")._STATE
    assert state == {"launched": True, "headless": True, "device": "cpu"}
    with pytest.raises(RuntimeError, match="already runs on cpu"):
        il.make(EnvRequest(ANYMAL, 1, seed=0, device=torch.device("meta")))


# --- the true final observation ------------------------------------------------------------------------------------


def _rollout(task: str, steps: int, limit: int, seed: int = 5) -> list[Any]:
    """``steps`` steps of fixed pseudo-random actions from a reset with ``seed``, under a time limit of ``limit``."""
    env = _make(task, num_envs=3, steps=limit)
    gen = torch.Generator().manual_seed(1)
    try:
        env.reset(seed=seed)
        out = []
        for _ in range(steps):
            action = (torch.rand(3, env.spec.action_dim, generator=gen) * 2 - 1) * 0.5
            out.append(env.step(action))
        return out
    finally:
        env.close()


@pytest.mark.parametrize("task", [ANYMAL, SHADOW])
def test_final_obs_is_the_observation_the_env_would_have_shown_without_the_reset(path: FinalObs, task: str) -> None:
    short, long = _rollout(task, 5, limit=5), _rollout(task, 5, limit=8)
    for t in range(4):
        assert torch.equal(short[t].obs, long[t].obs)  # same seed and actions: the same episode so far
    last = short[4]
    assert last.truncated.all() and not last.terminated.any()
    # The twin that did not reset shows, at the same step, exactly the truncated env's final observation.
    assert torch.equal(last.final_obs, long[4].obs)
    assert (last.obs != last.final_obs).any(dim=1).all()  # the stand-in's post-reset obs differs


def test_only_this_steps_capture_is_used(path: FinalObs) -> None:
    env = _make(ANYMAL, steps=2)
    try:
        env.reset(seed=0)
        zero = torch.zeros(3, 12)
        steps = [env.step(zero) for _ in range(3)]
        assert steps[1].truncated.all()
        assert not steps[2].done.any() and torch.equal(steps[2].final_obs, steps[2].obs)
    finally:
        env.close()


def test_stateful_observation_terms_disable_the_recompute(standin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def with_history(cfg: Any) -> None:
        terms = cfg.observations["policy"].terms
        terms["joint_pos"] = dataclasses.replace(terms["joint_pos"], history_length=3)

    _edit_cfg(monkeypatch, with_history)
    env = il.make(EnvRequest(ANYMAL, 2, seed=0, device=CPU, max_episode_steps=2))
    try:
        assert not env.spec.exact_final_obs
        env.step(torch.zeros(2, 12))
        step = env.step(torch.zeros(2, 12))
        assert step.truncated.all() and torch.equal(step.final_obs, step.obs)
    finally:
        env.close()


# --- flags ---------------------------------------------------------------------------------------------------------


def _steps_until_done(env: VecEnv, action: torch.Tensor, limit: int = 40) -> tuple[int, Any]:
    for t in range(1, limit + 1):
        step = env.step(action)
        if step.done.any():
            return t, step
    raise AssertionError("no episode ended")


def test_termination_and_time_out_are_kept_apart(path: FinalObs) -> None:
    push = torch.full((3, 12), 3.0)  # drives joint 0 past its soft upper limit: the joint_limit termination
    env = _make(ANYMAL, steps=50)
    try:
        env.reset(seed=0)
        k, step = _steps_until_done(env, push)
        assert step.terminated.all() and not step.truncated.any()
        joint0 = slice(3, 4)  # after the three command entries: joint_pos_rel of joint 0 (+-0.01 noise)
        assert (step.final_obs[:, joint0] > 0.9).all() and (step.obs[:, joint0].abs() < 0.2).all()
    finally:
        env.close()
    env = _make(ANYMAL, steps=k)  # now the time limit falls on the same step: a failure stays a failure
    try:
        env.reset(seed=0)
        assert _steps_until_done(env, push)[0] == k
        raw = _core(env).env
        assert raw.reset_time_outs.all() and raw.reset_terminated.all()
    finally:
        env.close()
    env = _make(ANYMAL, steps=k)
    try:
        env.reset(seed=0)
        step = _steps_until_done(env, push)[1]
        assert step.terminated.all() and not step.truncated.any()
    finally:
        env.close()


def test_finite_horizon_time_outs_are_terminal(standin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_cfg(monkeypatch, lambda cfg: setattr(cfg, "is_finite_horizon", True))
    env = _make(ANYMAL, steps=2)
    try:
        env.step(torch.zeros(3, 12))
        step = env.step(torch.zeros(3, 12))
        assert step.terminated.all() and not step.truncated.any()
    finally:
        env.close()


# --- privileged critic observations ------------------------------------------------------------------------------


def test_critic_group_of_an_asymmetric_task(path: FinalObs, monkeypatch: pytest.MonkeyPatch) -> None:
    policy_dim = 2 * 24 + 7 + 20

    def asymmetric(cfg: Any) -> None:  # as the real OpenAI-FF Shadow config sets them
        cfg.asymmetric_obs, cfg.state_space = True, policy_dim + 3

    _edit_cfg(monkeypatch, asymmetric)
    env = _make(SHADOW, steps=3)
    try:
        assert (env.spec.obs_dim, env.spec.critic_obs_dim) == (policy_dim, policy_dim + 3)
        obs, critic = env.reset(seed=0)
        assert critic is not None and torch.equal(critic[:, :policy_dim], obs)
        for _ in range(3):
            step = env.step(torch.full((3, 20), 0.5))
        assert step.truncated.all()
        assert step.critic_obs is not None and step.final_critic_obs is not None
        assert torch.equal(step.final_critic_obs[:, :policy_dim], step.final_obs)
        assert torch.equal(step.critic_obs[:, :policy_dim], step.obs)
        assert not torch.equal(step.final_critic_obs, step.critic_obs)
    finally:
        env.close()


# --- joint limits -------------------------------------------------------------------------------------------------


def test_joint_limits_reproduce_the_soft_limits_per_joint(standin: None) -> None:
    env = _make(ANYMAL, mode="joint_limits")
    try:
        core = _core(env)
        limits = core.joint_limits()
        assert limits is not None
        # Joint 0 of the stand-in: hard limits (-1.0, 0.8), soft factor 0.95 (ANYmal), default -0.2, scale 0.5.
        assert limits.q_min[0].item() == pytest.approx(-0.955) and limits.q_max[0].item() == pytest.approx(0.755)
        assert limits.q0[0].item() == pytest.approx(-0.2) and limits.scale[0].item() == 0.5
        low, high = env.spec.action_low, env.spec.action_high
        assert low[0].item() == pytest.approx(-1.51) and high[0].item() == pytest.approx(1.91)  # asymmetric
        assert torch.equal(torch.stack((low, high)), torch.stack(joint_limit_bounds(limits)))
        robot = core.env.scene["robot"]
        soft = robot.data.soft_joint_pos_limits[0]
        env.step(high.expand(3, -1))
        assert torch.allclose(robot.data.joint_pos_target[0], soft[:, 1], atol=1e-6)
        env.step(low.expand(3, -1))
        assert torch.allclose(robot.data.joint_pos_target[0], soft[:, 0], atol=1e-6)
    finally:
        env.close()


@pytest.mark.parametrize("task", [LIFT, "Isaac-Open-Drawer-Franka-v0", SHADOW])
def test_joint_limits_need_every_action_to_be_a_joint_target(standin: None, task: str) -> None:
    env = il.make(EnvRequest(task, 1, seed=0, device=CPU))
    try:
        assert env.joint_limits() is None  # a binary gripper term, or a direct env's own mapping
    finally:
        env.close()
    with pytest.raises(ValueError, match="env.action_bounds=joint_limits needs an env that exposes"):
        _make(task, mode="joint_limits")


# --- tasks and install problems -------------------------------------------------------------------------------------


def test_the_papers_twelve_tasks_are_registered_and_build(standin: None) -> None:
    assert len(il.list_tasks()) == 12
    for task in il.list_tasks():
        env = il.make(EnvRequest(task, 1, seed=0, device=CPU))
        assert env.spec.task == task
        env.close()


def test_isaaclab_3_ids_are_found_when_the_2_x_ids_are_absent() -> None:
    assert il._registered_id(ANYMAL, {"Isaac-Velocity-Flat-AnymalD": None}) == "Isaac-Velocity-Flat-AnymalD"
    assert il._registered_id(ANYMAL, {ANYMAL: None, "Isaac-Velocity-Flat-AnymalD": None}) == ANYMAL
    with pytest.raises(UnknownTaskError, match="neither .* nor IsaacContrib-Lift-Cube-Franka is registered"):
        il._registered_id(LIFT, {})


def test_unknown_task_lists_the_choices(standin: None) -> None:
    with pytest.raises(UnknownTaskError, match=r"env.task='Isaac-Ant-v0'.*Isaac-Velocity-Flat-Anymal-D-v0"):
        check_env("isaaclab", "Isaac-Ant-v0")


@pytest.mark.parametrize(
    ("version", "tasks_found", "expected"),
    [
        (None, True, "needs the isaaclab package, which is not installed"),
        ("1.4.0", True, "needs isaaclab 2.x or 3.x, found isaaclab 1.4.0"),
        ("2.3.2", False, "installed without its isaaclab_tasks package"),
    ],
)
def test_install_problems_name_the_fix(
    monkeypatch: pytest.MonkeyPatch, version: str | None, tasks_found: bool, expected: str
) -> None:
    monkeypatch.setattr(il, "installed_version", lambda d: version)
    monkeypatch.setattr(il, "_tasks_installed", lambda: tasks_found)
    with pytest.raises(MissingSimulatorError) as caught:
        il.require()
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert "Isaac Sim" in message and "--extra-index-url https://pypi.nvidia.com" in message


# --- training through the CLI ----------------------------------------------------------------------------------------


def test_cli_training_on_the_shared_instance(standin: None, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    # One simulator per process: evaluation runs whole rounds on the 4 training envs.
    changes = {"env.max_episode_steps": 20, "train.num_env_steps": 200, "train.eval_every_env_steps": 100}
    overrides = tiny_overrides({**changes, "env.num_eval_envs": 4, "train.num_eval_episodes": 4})
    argv = ["train", "env=isaaclab", f"env.task={ANYMAL}", "preset=small", "env.device=cpu", *overrides]
    assert main([*argv, f"logging.run_dir={run_dir}"]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["env_steps"] == 200


# --- FlashSAC with IsaacLab's rsl_rl flags (flashsac.integrations.rsl_rl.isaaclab) -----------------------------------

RSL_FLAGS = ["--task", ANYMAL, "--num_envs", "4", "--headless", "--device", "cpu", "--seed", "3"]
AGENT_OVERRIDES = [
    "agent.num_steps_per_env=5",
    "agent.save_interval=1",
    "agent.algorithm.buffer_min_size=8",
    "agent.algorithm.batch_size=8",
    "agent.algorithm.buffer_capacity=1000",
    "agent.algorithm.actor_hidden_dim=16",
    "agent.algorithm.critic_hidden_dim=16",
    "agent.algorithm.critic_num_bins=11",
    "env.episode_length_s=0.3",  # 15 steps at 0.02 s: episodes end within the run
]


def test_isaaclab_train_resume_and_play_entry_points(
    standin: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rsl_rl")
    from flashsac.checkpointing.checkpoint_file import load_checkpoint
    from flashsac.integrations.rsl_rl.isaaclab.play import play
    from flashsac.integrations.rsl_rl.isaaclab.train import train

    monkeypatch.chdir(tmp_path)  # logs/rsl_rl/<experiment>/ under the working directory, as IsaacLab's scripts
    first = train([*RSL_FLAGS, "--max_iterations", "2", *AGENT_OVERRIDES])
    assert first.parent == tmp_path / "logs" / "rsl_rl" / ANYMAL  # no FlashSAC or PPO config registered: task id
    assert sorted(p.name for p in first.glob("model_*.pt")) == ["model_0.pt", "model_1.pt"]
    assert (first / "params" / "agent.json").is_file() and (first / "git").is_dir()
    stored = load_checkpoint(first / "model_1.pt")
    assert stored["config"]["seed"] == 3 and stored["config"]["env"]["action_bounds"] == "joint_limits"
    # --resume picks the latest run's latest model_<it>.pt and continues in a new run directory.
    second = train([*RSL_FLAGS, "--max_iterations", "1", "--resume", "--run_name", "more", *AGENT_OVERRIDES])
    assert second.name.endswith("_more") and sorted(p.name for p in second.glob("model_*.pt")) == ["model_2.pt"]
    assert load_checkpoint(second / "model_2.pt")["counters"]["env_steps"] == 3 * 5 * 4
    # play: the latest checkpoint (--load_run picks the run), exported like IsaacLab's play script, then stepped.
    steps = play([*RSL_FLAGS, "--load_run", second.name, "--num_steps", "7", *AGENT_OVERRIDES[1:]])
    assert steps == 7
    assert {p.name for p in (second / "exported").iterdir()} >= {"policy.pt", "policy.onnx"}


def test_isaaclab_scripts_refuse_what_they_cannot_do(standin: None, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("rsl_rl")
    from flashsac.integrations.rsl_rl.isaaclab.train import train

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        train([*RSL_FLAGS, "--distributed"])
    with pytest.raises(ValueError, match=r"unknown argument 'agent\.algorithm\.nope=1'|has no field 'nope'"):
        train([*RSL_FLAGS, "agent.algorithm.nope=1"])
    with pytest.raises(FileNotFoundError, match="no experiment directory"):
        train([*RSL_FLAGS, "--resume", "--experiment_name", "never_trained"])

"""The mjlab family against the real mjlab (run in a venv with ``flashsac[mjlab]``; skipped where mjlab is absent).

mjlab runs here on warp's CPU backend: slow (tens of env steps per second) and compiling its kernels once per
machine (cached in ~/.cache/warp), so the tests use 2 envs, short episodes and the cheapest tasks.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch

from conformance import run_suite
from flashsac.config.schema import EnvConfig
from flashsac.envs import MissingSimulatorError, make_env_from_config
from flashsac.envs.action_bounds import joint_limit_bounds
from flashsac.envs.adapters import mjlab as mj
from flashsac.envs.adapters.manager_based import ManagerBasedVecEnv, episode_length_s
from flashsac.envs.protocol import EnvRequest, VecEnv
from flashsac.envs.registry import UnknownTaskError, check_env

CPU = torch.device("cpu")
CARTPOLE = "Mjlab-Cartpole-Balance"
GO1 = "Mjlab-Velocity-Flat-Unitree-Go1"


@pytest.fixture
def installed() -> None:
    try:
        mj.require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))


def _make(task: str, num_envs: int = 2, steps: int | None = None, mode: str = "scalar") -> VecEnv:
    env_cfg = EnvConfig(name="mjlab", task=task, max_episode_steps=steps, action_bounds=mode, action_bound=1.0)
    return make_env_from_config(env_cfg, 0, CPU, num_envs=num_envs)


def _core(env: VecEnv) -> ManagerBasedVecEnv:
    core = getattr(env, "inner", env)
    assert isinstance(core, ManagerBasedVecEnv)
    return core


@pytest.mark.sim
def test_conformance_cartpole(installed: None) -> None:
    run_suite(lambda steps: _make(CARTPOLE, steps=steps))


@pytest.mark.sim
def test_cartpole_spec_declares_the_envs_infinite_box(installed: None) -> None:
    env = mj.make(EnvRequest(CARTPOLE, 2, seed=0, device=CPU))
    try:
        spec = env.spec
        assert torch.isinf(spec.action_low).all() and torch.isinf(spec.action_high).all()
        assert (spec.obs_dim, spec.critic_obs_dim, spec.action_dim) == (5, 5, 1)
        assert spec.max_episode_steps == 1000 and spec.control_dt == pytest.approx(0.05)  # 50 s, 0.01 s x 5
        assert spec.shares_instance and spec.exact_final_obs
        assert env.joint_limits() is None  # the cart is pushed by an effort term
    finally:
        env.close()


def _rollout(limit: int, steps: int = 5) -> list[Any]:
    env = _make(CARTPOLE, steps=limit)
    gen = torch.Generator().manual_seed(1)
    try:
        env.reset(seed=5)
        return [env.step(torch.rand(2, 1, generator=gen) * 2 - 1) for _ in range(steps)]
    finally:
        env.close()


@pytest.mark.sim
def test_final_obs_is_the_observation_the_env_would_have_shown_without_the_reset(installed: None) -> None:
    short, long = _rollout(limit=5), _rollout(limit=8)
    for t in range(4):
        assert torch.equal(short[t].obs, long[t].obs)
    last = short[4]
    assert last.truncated.all() and not last.terminated.any()
    assert torch.equal(last.final_obs, long[4].obs)
    assert last.final_critic_obs is not None and long[4].critic_obs is not None
    assert torch.equal(last.final_critic_obs, long[4].critic_obs)
    assert (last.obs != last.final_obs).any(dim=1).all()  # the next episode already started


@pytest.mark.sim
def test_critic_group_is_the_envs_critic_group(installed: None) -> None:
    env = _make(CARTPOLE, steps=3)
    try:
        obs, critic = env.reset(seed=0)
        assert critic is not None and torch.equal(critic, obs)  # cartpole's critic group repeats the actor terms
        for _ in range(3):
            step = env.step(torch.full((2, 1), 0.3))
        assert step.truncated.all() and step.critic_obs is not None and step.final_critic_obs is not None
        assert torch.equal(step.critic_obs, step.obs) and torch.equal(step.final_critic_obs, step.final_obs)
    finally:
        env.close()


@pytest.mark.sim
def test_go1_joint_limits_are_the_models_soft_joint_ranges(installed: None) -> None:
    env = _make(GO1, mode="joint_limits")
    try:
        core = _core(env)
        limits = core.joint_limits()
        assert limits is not None and env.spec.critic_obs_dim is not None
        assert env.spec.critic_obs_dim > env.spec.obs_dim  # the velocity critic group is privileged
        robot = core.env.scene["robot"]
        model = core.env.sim.mj_model
        factor = robot.cfg.articulation.soft_joint_pos_limit_factor
        assert 0 < factor <= 1
        for i, name in enumerate(env.spec.joint_names):
            ids = [j for j in range(model.njnt) if model.joint(j).name.split("/")[-1] == name]
            assert len(ids) == 1, name
            lo, hi = (float(v) for v in model.jnt_range[ids[0]])
            mid, half = (lo + hi) / 2, (hi - lo) / 2 * factor
            assert limits.q_min[i].item() == pytest.approx(mid - half, abs=1e-6)
            assert limits.q_max[i].item() == pytest.approx(mid + half, abs=1e-6)
            assert limits.q_min[i] < limits.q0[i] < limits.q_max[i]
        assert torch.equal(
            torch.stack((env.spec.action_low, env.spec.action_high)), torch.stack(joint_limit_bounds(limits))
        )
        ids = torch.tensor([robot.joint_names.index(n) for n in env.spec.joint_names])
        # The target reaches the soft limit in the encoder's frame: mjlab subtracts a per-env encoder bias
        # (randomised at startup, a sim-to-real term) from the commanded position.
        commanded = lambda: robot.data.joint_pos_target[:, ids] + robot.data.encoder_bias[:, ids]  # noqa: E731
        env.step(env.spec.action_high.expand(2, -1))
        assert torch.allclose(commanded(), limits.q_max.expand(2, -1), atol=1e-5)
        env.step(env.spec.action_low.expand(2, -1))
        assert torch.allclose(commanded(), limits.q_min.expand(2, -1), atol=1e-5)
    finally:
        env.close()


@pytest.mark.sim
def test_lift_reports_the_commands_per_env_success(installed: None) -> None:
    env = _make("Mjlab-Lift-Cube-Yam", steps=2)
    try:
        term = _core(env).env.command_manager.get_term("lift_height")
        step = env.step(torch.zeros(2, env.spec.action_dim))
        success = step.info["success"]
        assert success.dtype == torch.bool and success.shape == (2,)
        assert torch.equal(success, term.compute_success())  # no reset yet: the state it was read from
        step = env.step(torch.zeros(2, env.spec.action_dim))
        assert step.truncated.all() and step.info["success"].shape == (2,)
    finally:
        env.close()


# --- FlashSAC inside mjlab's own rsl_rl scripts (flashsac.integrations.rsl_rl) --------------------------------------

RSL_ARGS = [
    "--env.scene.num-envs", "2",
    "--env.episode-length-s", "0.5",  # 10 steps: episodes end within an iteration
    "--agent.num-steps-per-env", "8",
    "--agent.save-interval", "1",
    "--agent.logger", "tensorboard",
    "--agent.algorithm.buffer-min-size", "8",
    "--agent.algorithm.batch-size", "8",
    "--agent.algorithm.buffer-capacity", "1000",
    "--agent.algorithm.actor-hidden-dim", "16",
    "--agent.algorithm.critic-hidden-dim", "16",
    "--agent.algorithm.critic-num-bins", "11",
    "--gpu-ids", "None",
]  # fmt: skip


class _HeadlessViewer:
    """mjlab's viewer loop (``policy(env.get_observations())`` then ``env.step``) without a display or server."""

    steps = 0

    def __init__(self, env: Any, policy: Any, **_: Any) -> None:
        self.env, self.policy = env, policy

    def run(self, num_steps: int | None = None) -> None:
        for _ in range(num_steps or 12):
            with torch.no_grad():
                actions = self.policy(self.env.get_observations())
            assert actions.shape == (2, 1) and torch.isfinite(actions).all()
            self.env.step(actions)
            _HeadlessViewer.steps += 1


def _mjlab_script(monkeypatch: pytest.MonkeyPatch, module: Any, argv: list[str]) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # the scripts set it; restored afterwards
    monkeypatch.setattr("sys.argv", [module.__name__, *argv])
    module.main()


@pytest.mark.sim
def test_flashsac_variants_are_in_mjlabs_task_registry(installed: None) -> None:
    from mjlab.tasks.registry import list_tasks, load_rl_cfg, load_runner_cls

    from flashsac.integrations.rsl_rl.mjlab_tasks import VARIANTS, MjlabFlashSACRunnerCfg
    from flashsac.integrations.rsl_rl.runner import FlashSACRunner

    assert {f"{task}-FlashSAC" for task in VARIANTS} <= set(list_tasks())  # through the mjlab.tasks entry point
    cfg = load_rl_cfg(f"{CARTPOLE}-FlashSAC")
    assert isinstance(cfg, MjlabFlashSACRunnerCfg) and cfg.algorithm.class_name == "FlashSAC"
    assert cfg.experiment_name == "cartpole_flashsac" and cfg.obs_groups == load_rl_cfg(CARTPOLE).obs_groups
    assert load_runner_cls(f"{GO1}-FlashSAC") is FlashSACRunner


@pytest.mark.sim
def test_mjlabs_own_scripts_train_resume_and_play_a_flashsac_task(
    installed: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjlab.scripts import play, train

    from flashsac.checkpointing.checkpoint_file import load_checkpoint

    task, root = f"{CARTPOLE}-FlashSAC", tmp_path / "logs"
    _mjlab_script(monkeypatch, train, [task, *RSL_ARGS, "--agent.max-iterations", "2", "--log-root", str(root)])
    (first,) = (root / "cartpole_flashsac").iterdir()
    assert sorted(p.name for p in first.glob("model_*.pt")) == ["model_0.pt", "model_1.pt"]
    assert (first / "params" / "agent.yaml").is_file() and (first / "scalars.csv").is_file()
    assert any(first.glob("events.out.tfevents.*"))
    # mjlab's resume flags: the latest run's latest model_<it>.pt, continued in a new run directory.
    resume = [task, *RSL_ARGS, "--agent.max-iterations", "2", "--log-root", str(root), "--agent.resume", "True"]
    with pytest.warns(UserWarning, match="starts fresh episodes"):  # mjlab cannot restore its simulator state
        _mjlab_script(monkeypatch, train, resume)
    (second,) = (p for p in (root / "cartpole_flashsac").iterdir() if p != first)
    assert sorted(p.name for p in second.glob("model_*.pt")) == ["model_2.pt", "model_3.pt"]
    before, after = load_checkpoint(first / "model_1.pt"), load_checkpoint(second / "model_3.pt")
    assert after["counters"]["env_steps"] == before["counters"]["env_steps"] + 2 * 8 * 2
    assert after["agent"]["update_steps"] > before["agent"]["update_steps"] > 0
    # mjlab's play script with its viewer replaced by a headless loop.
    monkeypatch.setattr(play, "ViserPlayViewer", _HeadlessViewer)
    argv = [task, "--checkpoint-file", str(second / "model_3.pt"), "--num-envs", "2", "--device", "cpu"]
    _mjlab_script(monkeypatch, play, [*argv, "--viewer", "viser"])
    assert _HeadlessViewer.steps == 12


@pytest.mark.sim
def test_the_lifted_mjlab_wrapper_keeps_the_true_final_observation(installed: None) -> None:
    import mjlab.tasks  # noqa: F401
    from mjlab.envs import ManagerBasedRlEnv
    from mjlab.rl import RslRlVecEnvWrapper
    from mjlab.tasks.registry import load_env_cfg

    from flashsac.integrations.rsl_rl.vec_env import RslRlManagerBasedEnv, lift_vec_env

    def rollout(limit: int) -> list[Any]:
        cfg = load_env_cfg(CARTPOLE)
        cfg.scene.num_envs, cfg.episode_length_s = 2, episode_length_s(limit, 0.05)
        env = lift_vec_env(RslRlVecEnvWrapper(ManagerBasedRlEnv(cfg=cfg, device="cpu")), None, CARTPOLE)
        assert isinstance(env, RslRlManagerBasedEnv) and env.spec.exact_final_obs
        gen = torch.Generator().manual_seed(1)
        try:
            env.reset(seed=5)
            return [env.step(torch.rand(2, 1, generator=gen) * 2 - 1) for _ in range(5)]
        finally:
            env.close()

    short, long = rollout(5), rollout(8)
    last = short[4]
    assert last.truncated.all() and not last.terminated.any()
    assert torch.equal(last.final_obs, long[4].obs) and (last.obs != last.final_obs).any(dim=1).all()


LEARNING_ARGS = [
    "--env.scene.num-envs", "8",
    "--env.episode-length-s", "10",  # 200 steps; mjlab scales rewards by the 0.05 s step: returns are at most 10
    "--agent.max-iterations", "40",
    "--agent.num-steps-per-env", "50",  # 40 x 50 x 8 = 16,000 env steps
    "--agent.save-interval", "20",
    "--agent.logger", "tensorboard",
    "--agent.algorithm.batch-size", "128",
    "--agent.algorithm.updates-per-vector-step", "2",
    "--agent.algorithm.actor-hidden-dim", "64",
    "--agent.algorithm.critic-hidden-dim", "128",
    "--agent.algorithm.critic-num-bins", "51",
    "--agent.algorithm.buffer-min-size", "1000",
    "--agent.algorithm.buffer-capacity", "100000",
    "--gpu-ids", "None",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.sim
def test_flashsac_learns_cartpole_balance_in_mjlabs_train_script(
    installed: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The learning check of docs/switching-from-ppo.md: 16,000 env steps on warp's CPU backend (minutes)."""
    import csv

    from mjlab.scripts import train

    root = tmp_path / "logs"
    _mjlab_script(monkeypatch, train, [f"{CARTPOLE}-FlashSAC", *LEARNING_ARGS, "--log-root", str(root)])
    (run,) = (root / "cartpole_flashsac").iterdir()
    with (run / "scalars.csv").open() as handle:
        returns = [float(r["value"]) for r in csv.DictReader(handle) if r["key"] == "train/episode_return"]
    first, last = sum(returns[:3]) / 3, sum(returns[-4:]) / 4
    assert first < 3.5 and last > 5.0, returns  # the random-action start returns about 2.5


# --- no mjlab needed -------------------------------------------------------------------------------------------------


def test_old_or_missing_mjlab_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    for version, expected in ((None, "needs the mjlab package"), ("1.5.2", "needs mjlab >= 1.6 (cfg.auto_reset)")):
        monkeypatch.setattr(mj, "installed_version", lambda d, v=version: v)
        with pytest.raises(MissingSimulatorError, match=re.escape(expected) + r".*pip install 'flashsac\[mjlab\]'"):
            mj.require()


def test_unknown_task_lists_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mj, "installed_version", lambda d: "1.6.0")
    with pytest.raises(UnknownTaskError, match=r"env.task='Mjlab-Ant'.*Mjlab-Cartpole-Balance"):
        check_env("mjlab", "Mjlab-Ant")

"""The Genesis family: go2-walk_easy, go2-walk and panda-grasp on Genesis' batched scenes.

Needs ``pip install 'flashsac[genesis]'`` (genesis-world 1.4.x); where it is absent the tests marked ``sim`` skip
with that command. The install checks, the configs and the task maths (quaternions, reward terms, IK) run
everywhere, against hand-computed values. Joint limits are checked against the URDF file Genesis ships, parsed
here independently of Genesis.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from conformance import (
    FORCED_LIMIT,
    check_close,
    check_forced_end,
    check_random_steps,
    check_reset,
    check_seeding,
    check_spec,
)
from flashsac.cli.compose import compose_config
from flashsac.cli.main import main
from flashsac.config.schema import EnvConfig
from flashsac.envs import MissingSimulatorError, UnknownTaskError, VecEnv, make_env, make_env_from_config
from flashsac.envs.action_bounds import joint_limit_bounds
from flashsac.envs.bounded import BoundsError
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import RenderError, check_env, family
from tiny_run import tiny_overrides

CPU = torch.device("cpu")
FIX = "pip install 'flashsac[genesis]'"
TASKS = ["go2-walk_easy", "go2-walk", "panda-grasp"]
NUM_ENVS = 4
# Go2 keeps Genesis' declared +-100 box (the warning about it is the point elsewhere); Panda declares none.
BOUNDS = {
    "go2-walk_easy": EnvConfig(name="genesis", task="go2-walk_easy", allow_suspicious_bounds=True),
    "go2-walk": EnvConfig(name="genesis", task="go2-walk", allow_suspicious_bounds=True),
    "panda-grasp": EnvConfig(name="genesis", task="panda-grasp", action_bounds="scalar", action_bound=1.0),
}


# --- install checks, task names and configs (run with or without genesis) --------------------------------------


@pytest.mark.parametrize(
    ("version", "says"),
    [
        (None, "needs the genesis-world package (1.4.x), which is not installed"),
        ("0.3.3", "needs genesis-world 1.4.x, found 0.3.3"),
        ("1.5.0", "needs genesis-world 1.4.x, found 1.5.0"),
    ],
)
def test_missing_or_other_genesis_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, version: str | None, says: str
) -> None:
    from flashsac.envs.adapters.genesis import runtime

    monkeypatch.setattr(runtime, "installed_version", lambda dist: {"genesis-world": version}[dist])
    for call in (runtime.require, lambda: check_env("genesis", "go2-walk")):
        with pytest.raises(MissingSimulatorError) as info:
            call()
        message = str(info.value)
        assert says in message and message.endswith(f"fix: {FIX}") and "\n" not in message


def test_tasks_and_the_papers_action_ranges() -> None:
    module = family("genesis")
    assert module.list_tasks() == TASKS
    assert module.PAPER_ACTION_BOUNDS == {"go2-walk_easy": 3.0, "go2-walk": 3.0, "panda-grasp": 1.0}


def test_unknown_task_lists_the_valid_choices() -> None:
    with pytest.raises(UnknownTaskError, match=r"env\.task='go2-run'.*go2-walk_easy, go2-walk, panda-grasp"):
        family("genesis").make(EnvRequest("go2-run", num_envs=1, seed=0, device=CPU))


def test_preset_is_the_papers_gpu_regime_with_gamma_095_and_the_go2_box() -> None:
    cfg = compose_config(["env=genesis"])
    e, a, t, b = cfg.env, cfg.agent, cfg.train, cfg.buffer
    assert (e.name, e.task, e.num_envs, e.num_eval_envs, e.device) == ("genesis", "go2-walk_easy", 1024, 1024, "auto")
    assert (a.gamma, a.n_step, a.use_amp, t.batch_size, t.updates_per_vector_step) == (0.95, 1, True, 2048, 2.0)
    assert (b.capacity, b.min_size, b.device, t.num_env_steps) == (10_000_000, 100_000, "auto", 50_000_896)
    assert (e.action_bounds, e.action_bound, t.num_eval_episodes) == ("scalar", 3.0, 1024)
    small = compose_config(["env=genesis", "preset=small", "env.task=panda-grasp", "env.action_bound=1.0"])
    assert (small.agent.gamma, small.env.num_envs, small.env.action_bound) == (0.95, 256, 1.0)


def test_cpu_preset_is_small_with_the_papers_box_a_privileged_critic_and_a_longer_discount() -> None:
    cfg = compose_config(["env=genesis", "preset=genesis_cpu"])
    e, a, t, b = cfg.env, cfg.agent, cfg.train, cfg.buffer
    assert (e.num_envs, e.action_bounds, e.action_bound, a.actor_hidden_dim) == (512, "scalar", 3.0, 64)
    assert e.options == {"privileged_critic": True}
    assert (a.gamma, a.n_step) == (0.99, 3)
    assert (t.batch_size, t.updates_per_vector_step, b.capacity, b.min_size) == (1024, 2.0, 2 * 10**6, 10240)
    assert (b.device, t.num_env_steps, t.checkpoint_every_env_steps) == ("cpu", 5 * 10**6, 500000)
    # Without the preset the task's own choice stands (null: go2-walk_easy has no privileged critic in the paper).
    assert compose_config(["env=genesis"]).env.options == {"privileged_critic": None}


# --- task maths, hand-computed ----------------------------------------------------------------------------------


def test_quaternion_helpers_rotate_and_round_trip() -> None:
    from flashsac.envs.adapters.genesis import geometry as g

    z90 = torch.tensor([[math.cos(math.pi / 4), 0.0, 0.0, math.sin(math.pi / 4)]])
    x = torch.tensor([[1.0, 0.0, 0.0]])
    assert torch.allclose(g.quat_rotate(z90, x), torch.tensor([[0.0, 1.0, 0.0]]), atol=1e-6)
    assert torch.allclose(g.quat_rotate_inverse(z90, x), torch.tensor([[0.0, -1.0, 0.0]]), atol=1e-6)
    assert torch.allclose(g.quat_mul(z90, z90), torch.tensor([[0.0, 0.0, 0.0, 1.0]]), atol=1e-6)
    assert torch.allclose(g.rotate_z(x, torch.tensor([math.pi / 2])), torch.tensor([[0.0, 1.0, 0.0]]), atol=1e-6)
    euler = torch.tensor([[0.3, -0.2, 2.5], [-0.1, 0.4, -1.0]])
    assert torch.allclose(g.quat_to_euler(g.euler_to_quat(euler)), euler, atol=1e-5)
    # Gravity seen from a body pitched nose-down by 0.4 rad tilts forward: sin(0.4) along body x.
    pitched = g.euler_to_quat(torch.tensor([[0.0, 0.4, 0.0]]))
    gravity = g.quat_rotate_inverse(pitched, torch.tensor([[0.0, 0.0, -1.0]]))
    assert torch.allclose(gravity, torch.tensor([[math.sin(0.4), 0.0, -math.cos(0.4)]]), atol=1e-6)


def _frame(**changes: Any) -> Any:
    from flashsac.envs.adapters.genesis.go2_rewards import Go2Frame

    zeros = torch.zeros(1, 12)
    fields: dict[str, Any] = {
        "commands": torch.tensor([[0.5, 0.0, 0.0]]),
        "lin_vel": torch.tensor([[0.0, 0.0, 0.1]]),
        "ang_vel": torch.zeros(1, 3),
        "projected_gravity": torch.tensor([[0.0, 0.0, -1.0]]),
        "base_height": torch.tensor([0.32]),
        "dof_pos": zeros + 0.1,
        "dof_vel": zeros,
        "last_dof_vel": zeros,
        "default_dof_pos": torch.zeros(12),
        "actions": zeros + 1.0,
        "last_actions": zeros,
        "torques": zeros,
        "penalized_contact": torch.zeros(1, 13, 3),
        "control_dt": 0.02,
        "tracking_sigma": 0.25,
        "base_height_target": 0.3,
    }
    return Go2Frame(**(fields | changes))


def test_go2_easy_reward_is_the_hand_computed_weighted_sum() -> None:
    from flashsac.envs.adapters.genesis.go2_config import GO2_TASKS
    from flashsac.envs.adapters.genesis.go2_rewards import total_reward

    # Standing still under a 0.5 m/s command, 2 cm too high, sinking at 0.1 m/s, first action all ones, every
    # joint 0.1 rad off its default: tracking exp(-0.25/0.25), yaw tracking exp(0), z-velocity 0.01, height
    # 0.0004, action rate 12, pose 1.2; each times its scale and the 0.02 s control period.
    expected = 0.02 * (1.0 * math.exp(-1.0) + 0.2 * 1.0 - 1.0 * 0.01 - 50.0 * 0.0004 - 0.005 * 12 - 0.1 * 1.2)
    reward = total_reward(_frame(), GO2_TASKS["go2-walk_easy"].reward_scales, {})
    assert reward.shape == (1,) and reward.item() == pytest.approx(expected, rel=1e-5)


def test_go2_walk_terms_count_contacts_and_penalise_torque_and_acceleration() -> None:
    from flashsac.envs.adapters.genesis.go2_rewards import REWARD_TERMS

    contact = torch.zeros(1, 13, 3)
    contact[0, 0, 2], contact[0, 5, 0] = 50.0, 0.05  # base pressed (counts), a thigh grazed below 0.1 N (does not)
    frame = _frame(
        penalized_contact=contact,
        torques=torch.full((1, 12), 2.0),
        dof_vel=torch.full((1, 12), 0.1),
        ang_vel=torch.tensor([[0.3, -0.4, 0.0]]),
        projected_gravity=torch.tensor([[0.1, 0.2, -0.97]]),
    )
    assert REWARD_TERMS["collision"](frame).item() == 1.0
    assert REWARD_TERMS["torques"](frame).item() == pytest.approx(48.0)
    assert REWARD_TERMS["dof_acc"](frame).item() == pytest.approx(12 * (0.1 / 0.02) ** 2)
    assert REWARD_TERMS["ang_vel_xy"](frame).item() == pytest.approx(0.25)
    assert REWARD_TERMS["orientation"](frame).item() == pytest.approx(0.05)


def test_feet_air_time_pays_the_time_beyond_half_a_second_at_touchdown() -> None:
    from flashsac.envs.adapters.genesis.go2_rewards import feet_air_time

    def run(command: float) -> list[float]:
        air, last = torch.zeros(1, 4), torch.ones(1, 4, dtype=torch.bool)
        rewards = []
        # Foot 0 lifts off for 30 steps (0.6 s), then lands; the other three stay down (20 N).
        for step in range(32):
            force = torch.tensor([[0.0 if step < 30 else 20.0, 20.0, 20.0, 20.0]])
            reward, air, last = feet_air_time(air, last, force, torch.tensor([[command, 0.0, 0.0]]), 0.02)
            rewards.append(reward.item())
        return rewards

    paid = run(0.5)
    # The first airborne step still counts as contact (filtered with the previous one), so 29 steps accumulate
    # 0.58 s; the landing step adds 0.02 s and pays 0.60 - 0.5.
    assert paid[30] == pytest.approx(0.1, abs=1e-6)
    assert all(r == 0.0 for i, r in enumerate(paid) if i != 30)
    assert all(r == 0.0 for r in run(0.0))  # no planar command, no reward


def test_dls_ik_realises_the_requested_end_effector_step() -> None:
    from flashsac.envs.adapters.genesis.panda_terms import dls_delta_q

    jacobian = torch.randn(3, 6, 9, generator=torch.Generator().manual_seed(0))
    twist = torch.randn(3, 6, generator=torch.Generator().manual_seed(1)) * 0.05
    exact = dls_delta_q(jacobian, twist, damping=0.0)
    assert torch.allclose(torch.einsum("nij,nj->ni", jacobian, exact), twist, atol=1e-5)
    damped = dls_delta_q(jacobian, twist)
    assert damped.norm() < exact.norm() and torch.allclose(damped, exact, atol=1e-3)


def test_keypoint_reward_is_one_at_the_grasp_pose_and_decays_with_distance() -> None:
    from flashsac.envs.adapters.genesis import geometry as g
    from flashsac.envs.adapters.genesis.panda_terms import keypoint_reward

    quat = g.euler_to_quat(torch.tensor([[math.pi, 0.0, 0.3]]))
    box = torch.tensor([[0.4, 0.1, 0.025]])
    fingers = box + torch.tensor([[0.0, 0.0, 0.06]])  # the fingertip frame sits 6 cm below the finger centre
    assert keypoint_reward(fingers, quat, box, quat).item() == pytest.approx(1.0)
    # Shifted by 0.1 m: all seven keypoints move 0.1 m.
    shifted = fingers + torch.tensor([[0.1, 0.0, 0.0]])
    assert keypoint_reward(shifted, quat, box, quat).item() == pytest.approx(math.exp(-0.7), rel=1e-5)


def test_go2_default_pose_in_action_order() -> None:
    from flashsac.envs.adapters.genesis.go2_config import JOINT_NAMES, default_angle

    assert [default_angle(j) for j in JOINT_NAMES] == [0.0, 0.8, -1.5, 0.0, 0.8, -1.5, 0.0, 1.0, -1.5, 0.0, 1.0, -1.5]


# --- the real simulator (shared envs: Genesis scenes take seconds to build) -------------------------------------

_ENVS: dict[tuple[str, int | None, bool], VecEnv] = {}


@pytest.fixture(scope="module")
def genesis_envs() -> Iterator[Any]:
    try:
        family("genesis").require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))

    def get(task: str, limit: int | None = None, render: bool = False) -> VecEnv:
        key = (task, limit, render)
        env = _ENVS.get(key)
        if env is None or getattr(env, "_closed", False):
            env_cfg = dataclasses.replace(BOUNDS[task], max_episode_steps=limit)
            env = make_env_from_config(env_cfg, 0, CPU, num_envs=NUM_ENVS, render=render)
            _ENVS[key] = env
        return env

    yield get
    for env in _ENVS.values():
        env.close()
    _ENVS.clear()


def _actions(env: VecEnv, count: int, scale: float = 1.0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(5)
    return [scale * (2 * torch.rand(env.spec.num_envs, env.spec.action_dim, generator=gen) - 1) for _ in range(count)]


@pytest.mark.sim
@pytest.mark.parametrize("task", TASKS)
def test_final_obs_at_the_time_limit_is_the_true_next_state(genesis_envs: Any, task: str) -> None:
    # Two scenes from one seed take the same steps; one is cut at 5 steps. Its final_obs must be exactly what the
    # uncut one observes at step 5 (the pre-reset s_5), and its obs the next episode's first observation.
    short, full = genesis_envs(task, FORCED_LIMIT), genesis_envs(task)
    first_short, _ = short.reset(seed=7)
    first_full, _ = full.reset(seed=7)
    assert torch.equal(first_short, first_full)
    for t, action in enumerate(_actions(short, FORCED_LIMIT), start=1):
        cut, uncut = short.step(action), full.step(action)
        assert not cut.terminated.any() and not uncut.done.any()
        assert cut.truncated.all() == (t == FORCED_LIMIT)
    assert torch.equal(cut.final_obs, uncut.obs)
    assert (cut.obs != cut.final_obs).any(dim=1).all()
    if task.startswith("go2"):
        # The gait diagnostics describe s_5 too, not the next episode's start (benchmarks/go2_gait.py needs that).
        assert set(cut.info) == {"forward_velocity", "base_x"}
        for key in cut.info:
            assert torch.equal(cut.info[key], uncut.info[key])
    if task == "go2-walk":
        assert cut.final_critic_obs is not None and uncut.critic_obs is not None
        assert torch.equal(cut.final_critic_obs, uncut.critic_obs)
    # The next episode has begun: one more step is its first, not a second truncation.
    assert not short.step(_actions(short, 1)[0]).done.any()


@pytest.mark.sim
@pytest.mark.parametrize("task", TASKS)
def test_conformance(genesis_envs: Any, task: str) -> None:
    env = genesis_envs(task, FORCED_LIMIT)
    assert env.spec.max_episode_steps == FORCED_LIMIT
    check_spec(env)
    check_reset(env)
    check_random_steps(env)
    if task != "go2-walk_easy":  # go2-walk_easy draws nothing at a reset (see the next test)
        check_seeding(env)
    check_forced_end(lambda limit: env)  # runs two 5-step episodes, then closes the env
    check_close(env)


@pytest.mark.sim
def test_easy_variant_starts_alike_whatever_the_seed(genesis_envs: Any) -> None:
    # Genesis' example: fixed 0.5 m/s command, default pose, no noise -- a reset draws nothing.
    env = genesis_envs("go2-walk_easy")
    first, critic = env.reset(seed=1)
    assert critic is None and env.spec.critic_obs_dim is None
    assert torch.equal(first, env.reset(seed=2)[0])
    assert torch.equal(first[:, 6:9], torch.tensor([[1.0, 0.0, 0.0]]).expand(NUM_ENVS, 3))  # 0.5 m/s * 2


@pytest.mark.sim
def test_go2_walk_critic_obs_is_the_actor_obs_then_lin_vel_and_previous_action(genesis_envs: Any) -> None:
    env = genesis_envs("go2-walk")
    spec = env.spec
    assert (spec.obs_dim, spec.critic_obs_dim, spec.max_episode_steps, spec.control_dt) == (45, 60, 1000, 0.02)
    obs, critic = env.reset(seed=3)
    assert critic is not None and torch.equal(critic[:, :45], obs) and torch.equal(critic[:, 48:], torch.zeros(4, 12))
    first, second = _actions(env, 2)
    env.step(first)
    step = env.step(second)
    assert step.critic_obs is not None and torch.equal(step.critic_obs[:, :45], step.obs)
    assert torch.equal(step.obs[:, 33:45], second) and torch.equal(step.critic_obs[:, 48:], first)
    # Commands: uniform in [-1, 1] with the reference's dead band (planar below 0.2 m/s and yaw below 0.2 -> 0).
    commands = step.obs[:, 6:9] / torch.tensor([2.0, 2.0, 0.25])
    assert (commands.abs() <= 1.0 + 1e-6).all()


@pytest.mark.sim
def test_go2_easy_privileged_critic_option_adds_the_base_velocity_for_the_critic_only(genesis_envs: Any) -> None:
    # env.options.privileged_critic=true (preset genesis_cpu): the critic sees the base velocity the reward tracks;
    # the actor's 45-d observation is the task's own, so the same policy deploys.
    plain = genesis_envs("go2-walk_easy")
    env_cfg = dataclasses.replace(BOUNDS["go2-walk_easy"], options={"privileged_critic": True})
    env = make_env_from_config(env_cfg, 0, CPU, num_envs=NUM_ENVS)
    try:
        assert (env.spec.obs_dim, env.spec.critic_obs_dim) == (45, 60)
        obs, critic = env.reset(seed=0)
        assert critic is not None and torch.equal(critic[:, :45], obs)
        assert torch.equal(obs, plain.reset(seed=0)[0])
        first, second = _actions(env, 2)
        env.step(first)
        plain.step(first)
        step, plain_step = env.step(second), plain.step(second)
        assert torch.equal(step.obs, plain_step.obs)
        assert step.critic_obs is not None and torch.equal(step.critic_obs[:, :45], step.obs)
        lin_vel = env.base_lin_vel  # type: ignore[attr-defined]
        assert torch.equal(step.critic_obs[:, 45:48], lin_vel * 2.0) and torch.equal(step.critic_obs[:, 48:], first)
    finally:
        env.close()
    with pytest.raises(ValueError, match="privileged_critic applies to the Go2 tasks only"):
        make_env("genesis", "panda-grasp", 1, seed=0, device=CPU, options={"privileged_critic": True})
    with pytest.raises(ValueError, match=r"privileged_critic='false' must be true, false or null"):
        make_env("genesis", "go2-walk_easy", 1, seed=0, device=CPU, options={"privileged_critic": "false"})


@pytest.mark.sim
def test_go2_walk_randomises_mass_and_gains_per_env_and_replays_them_from_the_seed(genesis_envs: Any) -> None:
    env = genesis_envs("go2-walk")
    robot, base = env.robot, [env.base_link]  # type: ignore[attr-defined]

    def drawn() -> tuple[torch.Tensor, torch.Tensor]:
        added = robot.get_links_mass(base)[:, 0] - env.nominal_mass[:, 0]  # type: ignore[attr-defined]
        return added, env.kp.clone()  # type: ignore[attr-defined]

    env.reset(seed=4)
    added, kp = drawn()
    assert ((added > -1.0 - 1e-4) & (added < 3.0 + 1e-4)).all() and added.unique().numel() == NUM_ENVS
    assert ((kp >= 30.0 * 0.8 - 1e-4) & (kp <= 30.0 * 1.2 + 1e-4)).all() and kp.unique().numel() == 12 * NUM_ENVS
    env.reset(seed=5)
    assert not torch.equal(drawn()[1], kp)
    env.reset(seed=4)
    again = drawn()
    assert torch.equal(again[0], added) and torch.equal(again[1], kp)


def _urdf_limits() -> dict[str, tuple[float, float]]:
    import genesis

    urdf = Path(genesis.__file__).parent / "assets" / "urdf" / "go2" / "urdf" / "go2.urdf"
    limits = {}
    for joint in ET.parse(urdf).getroot().iter("joint"):
        limit = joint.find("limit")
        if joint.get("type") == "revolute" and limit is not None:
            limits[joint.get("name", "")] = (float(limit.get("lower", "nan")), float(limit.get("upper", "nan")))
    return limits


@pytest.mark.sim
@pytest.mark.parametrize("task", ["go2-walk_easy", "go2-walk"])
def test_go2_joint_limits_are_the_urdfs_and_bound_endpoints_reach_them(genesis_envs: Any, task: str) -> None:
    env = genesis_envs(task)
    limits = env.joint_limits()  # type: ignore[attr-defined]
    urdf = _urdf_limits()
    names = env.spec.joint_names
    assert len(names) == 12
    assert torch.allclose(limits.q_min, torch.tensor([urdf[n][0] for n in names]), atol=1e-6)
    assert torch.allclose(limits.q_max, torch.tensor([urdf[n][1] for n in names]), atol=1e-6)
    assert torch.equal(limits.scale, torch.full((12,), 0.25))
    low, high = joint_limit_bounds(limits)
    assert torch.allclose(limits.q0 + limits.scale * low, limits.q_min, atol=1e-5)
    assert torch.allclose(limits.q0 + limits.scale * high, limits.q_max, atol=1e-5)
    # By hand from the URDF: hip +-1.0472 around 0, front thigh [-1.5708, 3.4907] around 0.8, rear thigh
    # [-0.5236, 4.5379] around 1.0, calf [-2.7227, -0.8378] around -1.5; scale 0.25.
    by_hand = {
        "FR_hip_joint": (-4.1888, 4.1888),
        "FL_thigh_joint": (-9.4832, 10.7628),
        "RR_thigh_joint": (-6.0944, 14.1516),
        "RL_calf_joint": (-4.8908, 2.6488),
    }
    for name, (a_min, a_max) in by_hand.items():
        i = names.index(name)
        assert (low[i].item(), high[i].item()) == (pytest.approx(a_min, abs=2e-3), pytest.approx(a_max, abs=2e-3))
    # The joint-limit box through the registry, as a run with env.action_bounds=joint_limits gets it.
    # allow_suspicious: the rear thighs' range reaches 14.15 in action units, past the registry's "huge" mark.
    env_cfg = EnvConfig(name="genesis", task=task, action_bounds="joint_limits", allow_suspicious_bounds=True)
    bounded = make_env_from_config(env_cfg, 0, CPU, num_envs=1)
    try:
        assert torch.equal(bounded.spec.action_low, low) and torch.equal(bounded.spec.action_high, high)
    finally:
        bounded.close()


@pytest.mark.sim
def test_panda_declares_no_box_and_has_no_joint_limit_bounds(genesis_envs: Any) -> None:
    env = genesis_envs("panda-grasp")
    assert env.joint_limits() is None  # type: ignore[attr-defined]
    assert (env.spec.obs_dim, env.spec.action_dim, env.spec.max_episode_steps, env.spec.control_dt) == (
        14,
        6,
        300,
        0.01,
    )
    assert torch.equal(env.spec.action_high, torch.ones(6))  # the scalar box chosen above
    declared = env.inner.spec.action_high  # type: ignore[attr-defined]
    assert torch.isinf(declared).all()
    with pytest.raises(BoundsError, match="non-finite action box"):
        make_env("genesis", "panda-grasp", 1, seed=0, device=CPU)
    with pytest.raises(BoundsError, match="joint_limits"):
        make_env_from_config(EnvConfig(name="genesis", task="panda-grasp", action_bounds="joint_limits"), 0, CPU)


@pytest.mark.sim
def test_a_second_backend_in_one_process_is_refused(genesis_envs: Any) -> None:
    from flashsac.envs.adapters.genesis.runtime import GenesisBackendError, init_genesis

    genesis_envs("go2-walk_easy")  # Genesis runs on the CPU backend from here on
    assert init_genesis(CPU) == CPU
    with pytest.raises(GenesisBackendError, match=r"env\.device=cuda: Genesis already runs on cpu"):
        init_genesis(torch.device("cuda"))


@pytest.mark.sim
def test_renders_env_zero_offscreen(genesis_envs: Any) -> None:
    plain = genesis_envs("go2-walk_easy")
    assert not plain.spec.can_render
    with pytest.raises(RenderError, match="built without rendering"):
        plain.render(0)  # type: ignore[attr-defined]
    env = genesis_envs("go2-walk_easy", render=True)
    assert env.spec.can_render
    env.reset(seed=0)
    frame = env.render(0)  # type: ignore[attr-defined]
    assert frame.shape == (240, 240, 3) and frame.dtype == np.uint8 and frame.std() > 5
    with pytest.raises(RenderError, match="render\\(0\\) only"):
        env.render(1)  # type: ignore[attr-defined]
    with pytest.raises(IndexError):
        env.render(NUM_ENVS)  # type: ignore[attr-defined]


@pytest.mark.sim
def test_train_through_the_cli(genesis_envs: Any, tmp_path: Path) -> None:
    genesis_envs("go2-walk_easy")  # skips without genesis
    run_dir = tmp_path / "run"
    overrides = tiny_overrides(
        {
            "env.num_envs": 8,
            "env.max_episode_steps": 20,
            "train.num_env_steps": 160,
            "train.eval_every_env_steps": 160,
            "train.log_every_env_steps": 80,
        }
    )
    argv = ["train", "env=genesis", "env.task=go2-walk_easy", "preset=small", *overrides]
    assert main([*argv, f"logging.run_dir={run_dir}"]) == 0
    config = (run_dir / "config.yaml").read_text()
    assert "gamma: 0.95" in config and "action_bounds: scalar" in config and "action_bound: 3.0" in config
    with (run_dir / "scalars.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    lengths = [float(r["value"]) for r in rows if r["key"] == "eval/avg_length"]
    assert len(lengths) == 2 and all(1 <= v <= 20 for v in lengths)
    # The gait script on that checkpoint: one 20-step episode per env, read from the pre-reset diagnostics.
    spec = importlib.util.spec_from_file_location("go2_gait", Path(__file__).parents[2] / "benchmarks" / "go2_gait.py")
    assert spec is not None and spec.loader is not None
    gait = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gait)
    result = gait.measure(run_dir / "checkpoints" / "final.pt", num_envs=2, seed=0)
    per_env = result["per_env"]
    assert result["task"] == "go2-walk_easy" and result["trained_env_steps"] >= 160
    for survived, length in zip(per_env["survived"], per_env["length"], strict=True):
        assert 1 <= length <= 20 and survived == (length == 20)
    assert all(abs(v) < 2.0 for v in per_env["forward_speed"]) and all(abs(d) < 2.0 for d in per_env["distance"])


@pytest.mark.sim
def test_export_of_an_untrained_go2_policy_carries_the_robot_contract(genesis_envs: Any, tmp_path: Path) -> None:
    """A freshly initialised Go2 agent, saved through the checkpoint writer, exports with its 12-joint manifest."""
    import dataclasses
    import json

    from flashsac.agents.flashsac import FlashSACAgent
    from flashsac.checkpointing.checkpoint_file import save_checkpoint
    from flashsac.envs.adapters.genesis.go2_config import JOINT_NAMES, default_angle
    from flashsac.envs.protocol import spec_to_dict
    from flashsac.export.exported import load_exported

    env = genesis_envs("go2-walk_easy")  # skips without genesis
    cfg = compose_config(["env=genesis", "preset=small", "env.task=go2-walk_easy", "env.device=cpu"])
    probe = make_env_from_config(cfg.env, 0, CPU, num_envs=1)
    try:  # the spec exactly as a run with this config trains on it
        agent = FlashSACAgent(probe.spec, cfg.agent, CPU, total_updates=1, seed=0)
        payload = {
            "config": dataclasses.asdict(cfg),
            "env_spec": spec_to_dict(probe.spec),
            "agent": agent.state_dict(),
            "counters": {"env_steps": 0, "iteration": 0},
        }
    finally:
        probe.close()
    checkpoint = tmp_path / "checkpoints" / "final.pt"
    save_checkpoint(checkpoint, payload)
    assert main(["export", str(tmp_path), "--parity-obs", "800"]) == 0
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    robot = manifest["robot"]
    assert robot["joint_names"] == manifest["action"]["joint_names"] == list(JOINT_NAMES) and len(JOINT_NAMES) == 12
    assert robot["default_joint_pos"] == [default_angle(j) for j in JOINT_NAMES]
    assert robot["action_scale"] == [0.25] * 12 and robot["target_rule"] == "q_target = q0 + scale * action"
    urdf = _urdf_limits()
    assert robot["soft_joint_pos_limits"]["low"] == pytest.approx([urdf[j][0] for j in JOINT_NAMES], abs=1e-6)
    assert robot["soft_joint_pos_limits"]["high"] == pytest.approx([urdf[j][1] for j in JOINT_NAMES], abs=1e-6)
    assert robot["pd_gains"] == {"kp": [20.0] * 12, "kd": [0.5] * 12}
    action = manifest["action"]
    assert (action["bounds_mode"], action["low"], action["high"]) == ("scalar", [-3.0] * 12, [3.0] * 12)
    assert manifest["control_dt"] == pytest.approx(0.02) and manifest["env"]["task"] == "go2-walk_easy"
    layout = manifest["observation"]["layout"]
    assert [term["name"] for term in layout][:3] == ["base_ang_vel", "projected_gravity", "commands"]
    assert sum(term["size"] for term in layout) == manifest["observation"]["dim"] == env.spec.obs_dim == 45
    for result in manifest["parity"]["results"].values():
        assert result["max_diff_over_width"] <= manifest["parity"]["tolerance_of_box_width"]
    # The exported file acts on Go2 observations in environment units, inside the box.
    policy = load_exported(tmp_path / "export" / "policy.onnx")
    obs, _ = env.reset(seed=3)
    assert policy.act(obs).shape == (NUM_ENVS, 12) and bool((policy.act(obs).abs() <= 3.0).all())

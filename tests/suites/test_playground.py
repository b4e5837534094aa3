"""The MuJoCo Playground family: jitted same-step autoreset with the true final observation, DLPack, seeds.

Needs ``pip install 'flashsac[playground]'`` (playground 0.2.0 = MuJoCo Playground, on JAX); where it is absent the
tests marked ``sim`` skip with that command. The install checks, configs, joint-limit arithmetic and asset errors
run everywhere. Expected values come from Playground's own ``env.step`` run by hand next to the adapter.

JAX compiles each (task, num_envs) program once per process (20-60 s on 2 CPU cores); the tests share the
CartpoleBalance x 4 program, and keep a persistent JAX compilation cache (``FLASHSAC_TEST_JAX_CACHE``, default
under the temp directory) so that a second run skips most of the compiling.
"""

from __future__ import annotations

import csv
import os
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch

from conformance import adapter, run_suite
from flashsac.cli.compose import compose_config
from flashsac.cli.main import main
from flashsac.envs import MissingSimulatorError, UnknownTaskError, make_env
from flashsac.envs.action_bounds import joint_limit_bounds
from flashsac.envs.registry import RenderError, family
from tiny_run import tiny_overrides

CPU = torch.device("cpu")
FIX = "pip install 'flashsac[playground]'"
TASK = "CartpoleBalance"
N = 4


@pytest.fixture(scope="module")
def pg() -> Any:
    """The family module, with a persistent JAX compilation cache; skips where Playground is absent."""
    module = family("playground")
    try:
        module.require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))
    import jax

    cache = os.environ.get("FLASHSAC_TEST_JAX_CACHE", str(Path(tempfile.gettempdir()) / "flashsac-test-jax-cache"))
    jax.config.update("jax_compilation_cache_dir", cache)
    return module


def _cartpole(max_episode_steps: int | None = None, seed: int = 0) -> Any:
    return make_env("playground", TASK, N, seed=seed, device=CPU, max_episode_steps=max_episode_steps)


# --- install checks, configs and arithmetic (run with or without Playground) --------------------------------


@pytest.mark.parametrize(
    ("installed", "says"),
    [
        ({"playground": None, "mujoco-mjx": "3.17.0"}, "needs MuJoCo Playground (PyPI package 'playground')"),
        ({"playground": "0.1.0", "mujoco-mjx": "3.17.0"}, "needs playground 0.2.x, found playground 0.1.0"),
        ({"playground": "0.2.0", "mujoco-mjx": None}, "needs mujoco-mjx 3.x, found mujoco-mjx none"),
    ],
)
def test_missing_or_incompatible_versions_name_the_fix(
    monkeypatch: pytest.MonkeyPatch, installed: dict[str, str | None], says: str
) -> None:
    module = family("playground")
    monkeypatch.setattr(module, "installed_version", lambda dist: installed[dist])
    with pytest.raises(MissingSimulatorError) as info:
        module.require()
    message = str(info.value)
    assert says in message and message.endswith(f"fix: {FIX}") and "\n" not in message


def test_without_the_package_make_env_fails_in_one_line() -> None:
    # The real check, in a venv without Playground (the main dev venv).
    try:
        family("playground").require()
    except MissingSimulatorError:
        pass
    else:
        pytest.skip("MuJoCo Playground is installed here")
    with pytest.raises(MissingSimulatorError, match=r"not installed; fix: pip install 'flashsac\[playground\]'"):
        make_env("playground", TASK, 1, seed=0, device=CPU)


def test_the_family_module_imports_no_jax() -> None:
    code = (
        "import sys, flashsac.envs.adapters.playground\nprint('jax' in sys.modules, 'mujoco_playground' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_preset_is_the_papers_playground_regime() -> None:
    cfg = compose_config(["env=playground"])
    assert (cfg.env.name, cfg.env.task, cfg.env.num_envs, cfg.env.num_eval_envs) == (
        "playground",
        "G1JoystickFlatTerrain",
        1024,
        50,
    )
    assert (cfg.agent.gamma, cfg.agent.n_step, cfg.agent.use_amp) == (0.97, 1, True)
    assert (cfg.train.batch_size, cfg.train.updates_per_vector_step, cfg.train.num_eval_episodes) == (2048, 2.0, 50)
    assert (cfg.buffer.capacity, cfg.buffer.min_size, cfg.buffer.device) == (10_000_000, 100_000, "auto")
    assert cfg.env.max_episode_steps is None  # the task config's episode_length: 1000
    small = compose_config(["env=playground", "preset=small", f"env.task={TASK}", "env.num_envs=4"])
    assert (small.agent.gamma, small.env.num_envs, small.train.batch_size) == (0.97, 4, 256)


class _FakeModel:
    """The fields of a ``mujoco.MjModel`` that joint limits read: 3 joint-driving actuators, shuffled joints."""

    nu = 3
    actuator_trntype = np.array([0, 0, 0])
    # Action 0 drives joint 3, action 1 joint 1, action 2 joint 2 (joint 0 is a free joint without a range).
    actuator_trnid = np.array([[3, -1], [1, -1], [2, -1]])
    jnt_limited = np.array([0, 1, 1, 1])
    jnt_range = np.array([[0.0, 0.0], [-1.0, 1.0], [0.0, 2.0], [-0.5, 2.5]])


def test_joint_limits_are_the_soft_limits_of_each_actions_joint() -> None:
    from flashsac.envs.adapters.playground.joint_limits import joint_limits_from_model as limits_of

    limits = limits_of(_FakeModel(), default_pose=[0.5, 0.0, 1.5], action_scale=0.5, soft_factor=0.9)
    # Soft limits: centre +- 0.5 * width * 0.9 of joints 3, 1, 2: centres 1.0, 0.0, 1.0; widths 3, 2, 2.
    torch.testing.assert_close(limits.q_min, torch.tensor([1.0 - 1.35, -0.9, 1.0 - 0.9]))
    torch.testing.assert_close(limits.q_max, torch.tensor([1.0 + 1.35, 0.9, 1.0 + 0.9]))
    torch.testing.assert_close(limits.q0, torch.tensor([0.5, 0.0, 1.5]))
    torch.testing.assert_close(limits.scale, torch.full((3,), 0.5))
    low, high = joint_limit_bounds(limits)
    # q0 + s * a reaches exactly the soft limits at the box's ends.
    torch.testing.assert_close(limits.q0 + 0.5 * low, limits.q_min)
    torch.testing.assert_close(limits.q0 + 0.5 * high, limits.q_max)


def test_joint_limits_refuse_non_joint_actuators_and_unlimited_joints() -> None:
    from flashsac.envs.adapters.playground.joint_limits import joint_limits_from_model as limits_of

    tendon = _FakeModel()
    tendon.actuator_trntype = np.array([0, 3, 0])
    with pytest.raises(ValueError, match="actuator 1 does not drive a joint"):
        limits_of(tendon, [0.0] * 3, 0.5, 0.9)
    free = _FakeModel()
    free.actuator_trnid = np.array([[0, -1], [1, -1], [2, -1]])
    with pytest.raises(ValueError, match="joint 0 has no range"):
        limits_of(free, [0.0] * 3, 0.5, 0.9)


def _fake_mjx_env(tmp_path: Path) -> SimpleNamespace:
    """The attributes of ``mujoco_playground._src.mjx_env`` the asset check reads (see mjx_env.py)."""
    deps = tmp_path / "site-packages" / "mujoco_playground" / "external_deps"
    return SimpleNamespace(
        EXTERNAL_DEPS_PATH=deps, MENAGERIE_PATH=deps / "mujoco_menagerie", MENAGERIE_COMMIT_SHA="1b86ece5"
    )


def test_missing_robot_assets_name_the_directory_the_repo_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flashsac.envs.adapters.playground.assets import use_menagerie

    monkeypatch.delenv("FLASHSAC_MENAGERIE_PATH", raising=False)
    mjx_env = _fake_mjx_env(tmp_path)
    use_menagerie("CartpoleBalance", mjx_env)  # suite tasks need no Menagerie
    with pytest.raises(MissingSimulatorError) as info:
        use_menagerie("T1JoystickRoughTerrain", mjx_env)
    message = str(info.value)
    expected_dir = tmp_path / "site-packages" / "mujoco_playground" / "external_deps" / "mujoco_menagerie"
    for part in ("booster_t1/", "github.com/deepmind/mujoco_menagerie", f"not at {expected_dir / 'booster_t1'}"):
        assert part in message, part
    assert "checkout 1b86ece5" in message and "FLASHSAC_MENAGERIE_PATH=" in message and "\n" not in message


def test_the_menagerie_variable_redirects_playground(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flashsac.envs.adapters.playground.assets import use_menagerie

    mjx_env = _fake_mjx_env(tmp_path)
    checkout = tmp_path / "my_menagerie"
    (checkout / "unitree_g1" / "assets").mkdir(parents=True)
    monkeypatch.setenv("FLASHSAC_MENAGERIE_PATH", str(checkout))
    use_menagerie("G1JoystickFlatTerrain", mjx_env)
    assert checkout == mjx_env.MENAGERIE_PATH
    monkeypatch.delenv("FLASHSAC_MENAGERIE_PATH")
    with pytest.raises(MissingSimulatorError, match="unitree_g1/"):
        use_menagerie("G1JoystickFlatTerrain", mjx_env)
    assert mjx_env.MENAGERIE_PATH == mjx_env.EXTERNAL_DEPS_PATH / "mujoco_menagerie"


# --- the real simulator -------------------------------------------------------------------------------------


@pytest.mark.sim
@pytest.mark.parametrize("task", [TASK, "PendulumSwingup"])
def test_conformance(pg: Any, task: str) -> None:
    run_suite(adapter("playground", task, N))


@pytest.mark.sim
def test_task_names_and_spec(pg: Any) -> None:
    tasks = pg.list_tasks()
    assert {"CartpoleBalance", "PendulumSwingup", "CheetahRun", "HumanoidRun", "WalkerWalk"} <= set(tasks)
    assert tasks[-4:] == [
        "G1JoystickFlatTerrain",
        "G1JoystickRoughTerrain",
        "T1JoystickFlatTerrain",
        "T1JoystickRoughTerrain",
    ]
    with pytest.raises(UnknownTaskError, match=r"env\.task='CartpolBalance'.*CartpoleBalance"):
        make_env("playground", "CartpolBalance", N, seed=0, device=CPU)
    env = _cartpole()
    try:
        spec = env.spec
        assert (spec.obs_dim, spec.action_dim, spec.critic_obs_dim, spec.max_episode_steps) == (5, 1, None, 1000)
        assert spec.action_low.tolist() == [-1.0] and spec.action_high.tolist() == [1.0]
        assert spec.control_dt == pytest.approx(0.01) and spec.joint_names == ("slider",) and spec.exact_final_obs
        assert env.joint_limits() is None  # force-controlled: no joint-position targets
        with pytest.raises(ValueError, match=r"action has shape \(4, 2\), expected \(4, 1\)"):
            env.step(torch.zeros(N, 2))
    finally:
        env.close()


@pytest.mark.sim
def test_final_obs_at_a_time_out_is_playgrounds_own_next_obs(pg: Any) -> None:
    import jax

    limit = 5
    env = _cartpole(max_episode_steps=limit, seed=3)
    try:
        # Step Playground's own env by hand from the same state, with the same actions, for one whole episode.
        plain_step = jax.jit(jax.vmap(env.playground_env.step))
        state = env.playground_state()
        actions = torch.rand(limit, N, 1, generator=torch.Generator().manual_seed(1)) * 2 - 1
        for t in range(limit):
            step = env.step(actions[t])
            state = plain_step(state, jax.numpy.asarray(actions[t].numpy()))
            expected = torch.from_numpy(np.array(state.obs))
            torch.testing.assert_close(step.final_obs, expected, rtol=1e-5, atol=1e-5)
            assert not step.terminated.any()
            assert step.truncated.tolist() == [t == limit - 1] * N
        # At the time-out obs is the next episode's first observation, final_obs the true s_T.
        assert ((step.obs - step.final_obs).abs().amax(dim=1) > 1e-3).all()
        first, _ = env.reset(seed=3)
        assert not torch.equal(first, step.final_obs)
    finally:
        env.close()


class _BlowUpState(NamedTuple):
    """A minimal Playground-like state: a counter that turns NaN at 3 (MJX's blow-up), never setting ``done``."""

    x: Any
    obs: Any
    reward: Any
    done: Any

    def replace(self, **fields: Any) -> _BlowUpState:
        return self._replace(**fields)


class _BlowUpEnv:
    """Counts up by one per step and diverges to NaN on the third, without reporting ``done`` (the worst case)."""

    action_size = 1

    def reset(self, key: Any) -> _BlowUpState:
        import jax.numpy as jnp

        x = jnp.zeros(())
        return _BlowUpState(x, jnp.stack([x, -x]), jnp.zeros(()), jnp.zeros(()))

    def step(self, state: _BlowUpState, action: Any) -> _BlowUpState:
        import jax.numpy as jnp

        x = state.x + 1.0
        x = jnp.where(x >= 3.0, jnp.nan, x)
        return _BlowUpState(x, jnp.stack([x, -x]), x, jnp.zeros(()))


@pytest.mark.sim
def test_a_diverged_simulation_ends_as_a_termination_with_finite_values(pg: Any) -> None:
    import jax
    import jax.numpy as jnp

    from flashsac.envs.adapters.playground.program import build

    program = build("blow-up", 2, lambda: (_BlowUpEnv(), None), "cpu")
    carry, obs, _ = program.reset(jax.random.PRNGKey(0), jnp.asarray(100, jnp.int32))
    action = jnp.zeros((2, 1), jnp.float32)
    for expected in (1.0, 2.0):
        carry, out = program.step(carry, action)
        assert np.asarray(out.final_obs)[:, 0].tolist() == [expected, expected]
        assert not np.asarray(out.terminated).any()
    carry, out = program.step(carry, action)  # the third step is NaN everywhere
    assert np.asarray(out.terminated).all() and not np.asarray(out.truncated).any()
    assert np.asarray(out.final_obs).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert np.asarray(out.reward).tolist() == [0.0, 0.0]
    assert np.asarray(out.obs).tolist() == [[0.0, 0.0], [0.0, 0.0]]  # the fresh episode's first observation
    carry, out = program.step(carry, action)
    assert np.asarray(out.final_obs)[:, 0].tolist() == [1.0, 1.0]  # the next episode runs normally


@pytest.mark.sim
def test_simulator_done_is_terminated_even_at_the_time_limit(pg: Any) -> None:
    # Playground's suite tasks end an episode only when the simulation diverges (NaN in qpos/qvel): a NaN action
    # makes it diverge on purpose. Limit 3; env 0 diverges at step 2, env 1 at step 6, its time-limit step.
    env = _cartpole(max_episode_steps=3)
    try:
        flags = []
        for t in range(1, 7):
            action = torch.zeros(N, 1)
            action[0, 0] = float("nan") if t == 2 else 0.0
            action[1, 0] = float("nan") if t == 6 else 0.0
            step = env.step(action)
            assert torch.isfinite(step.obs).all(), f"step {t}: a diverged env was not reset"
            flags.append((step.terminated.int().tolist(), step.truncated.int().tolist()))
            if t in (2, 6):
                ended = 0 if t == 2 else 1
                # The diverged s_{t+1} is zeroed (never NaN into the target critic), the others are untouched.
                assert torch.equal(step.final_obs[ended], torch.zeros_like(step.final_obs[ended]))
                assert step.reward[ended].item() == 0.0
        assert flags == [
            ([0, 0, 0, 0], [0, 0, 0, 0]),
            ([1, 0, 0, 0], [0, 0, 0, 0]),
            ([0, 0, 0, 0], [0, 1, 1, 1]),
            ([0, 0, 0, 0], [0, 0, 0, 0]),
            ([0, 0, 0, 0], [1, 0, 0, 0]),  # env 0's second episode began after its step 2
            ([0, 1, 0, 0], [0, 0, 1, 1]),  # env 1 diverged on its time-limit step: terminated, not truncated
        ]
    finally:
        env.close()


@pytest.mark.sim
def test_a_seed_reproduces_every_episode_including_autoresets(pg: Any) -> None:
    env = _cartpole(max_episode_steps=3)
    actions = torch.rand(8, N, 1, generator=torch.Generator().manual_seed(2)) * 2 - 1

    def rollout(seed: int | None) -> list[torch.Tensor]:
        obs, _ = env.reset(seed=seed)
        return [obs.clone()] + [env.step(a).obs.clone() for a in actions]

    try:
        first, again, other = rollout(5), rollout(5), rollout(6)
        assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
        assert not torch.equal(first[0], other[0])
        assert len({tuple(row.tolist()) for row in first[0]}) == N, "envs started alike: keys not split per env"
        # Steps 3 and 6 reset every env from keys carried in the state: fresh, seed-determined starts.
        assert not torch.equal(first[3], first[6]) and torch.equal(first[6], again[6])
        unseeded = rollout(None)
        assert not torch.equal(unseeded[0], first[0])
    finally:
        env.close()


@pytest.mark.sim
def test_tensors_cross_by_dlpack_without_copies(pg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import jax

    env = _cartpole()
    to_torch: list[tuple[int, int]] = []
    to_jax: list[tuple[int, int]] = []
    real_to_torch, real_to_jax = torch.from_dlpack, jax.dlpack.from_dlpack

    def spy_to_torch(array: Any) -> torch.Tensor:
        tensor = real_to_torch(array)
        to_torch.append((array.unsafe_buffer_pointer(), tensor.data_ptr()))
        return tensor

    def spy_to_jax(tensor: Any) -> Any:
        array = real_to_jax(tensor)
        to_jax.append((tensor.data_ptr(), array.unsafe_buffer_pointer()))
        return array

    monkeypatch.setattr(torch, "from_dlpack", spy_to_torch)
    monkeypatch.setattr(jax.dlpack, "from_dlpack", spy_to_jax)
    try:
        step = env.step(torch.zeros(N, 1))
        assert len(to_jax) == 1 and len(to_torch) == 5  # action; obs, final_obs, reward, terminated, truncated
        assert all(src == dst for src, dst in to_jax + to_torch), "a DLPack hand-over copied its buffer"
        assert step.obs.data_ptr() in {dst for _, dst in to_torch}
    finally:
        env.close()


@pytest.mark.sim
def test_joystick_task_without_menagerie_names_what_is_missing(pg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import mujoco_playground._src.mjx_env as mjx_env

    robot_dir = Path(str(mjx_env.EXTERNAL_DEPS_PATH)) / "mujoco_menagerie" / "unitree_g1"
    if (robot_dir / "assets").is_dir():
        pytest.skip(f"Menagerie's G1 is installed at {robot_dir}")
    monkeypatch.delenv("FLASHSAC_MENAGERIE_PATH", raising=False)

    def no_clone() -> None:
        raise AssertionError("the adapter let Playground try to git-clone Menagerie")

    monkeypatch.setattr(mjx_env, "ensure_menagerie_exists", no_clone)
    with pytest.raises(MissingSimulatorError) as info:
        make_env("playground", "G1JoystickFlatTerrain", N, seed=0, device=CPU)
    message = str(info.value)
    assert f"not at {robot_dir}" in message and "FLASHSAC_MENAGERIE_PATH" in message and "\n" not in message


@pytest.mark.sim
def test_incomplete_menagerie_checkout_names_the_failure(
    pg: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mujoco_playground._src.mjx_env as mjx_env

    (tmp_path / "unitree_g1" / "assets").mkdir(parents=True)  # the directory, but none of its meshes
    monkeypatch.setenv("FLASHSAC_MENAGERIE_PATH", str(tmp_path))
    monkeypatch.setattr(mjx_env, "MENAGERIE_PATH", mjx_env.MENAGERIE_PATH)  # restored afterwards
    with pytest.raises(MissingSimulatorError, match=r"needs the robot model unitree_g1/ .*\(ValueError: .*STL"):
        make_env("playground", "G1JoystickRoughTerrain", N, seed=0, device=CPU)


@pytest.mark.sim
def test_renders_rgb_frames_of_the_chosen_env(pg: Any) -> None:
    env = make_env("playground", TASK, N, seed=0, device=CPU, render=True)
    try:
        assert env.spec.can_render
        try:
            frames = [env.render(i) for i in (0, 1)]  # type: ignore[attr-defined]
        except RenderError as exc:
            pytest.skip(str(exc))
        assert all(f.shape == (240, 240, 3) and f.dtype == np.uint8 and f.std() > 5 for f in frames)
        assert not np.array_equal(frames[0], frames[1]), "envs 0 and 1 start apart: their frames should differ"
    finally:
        env.close()
        env.close()


@pytest.mark.sim
def test_train_through_the_cli(pg: Any, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    overrides = tiny_overrides(
        {
            "env.num_envs": N,
            "env.num_eval_envs": N,  # the same compiled program as training
            "train.num_env_steps": 200,
            "train.eval_every_env_steps": 200,
            "train.num_eval_episodes": N,
        }
    )
    argv = ["train", "env=playground", f"env.task={TASK}", "preset=small", *overrides]
    assert main([*argv, f"logging.run_dir={run_dir}"]) == 0
    assert "gamma: 0.97" in (run_dir / "config.yaml").read_text()
    with (run_dir / "scalars.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    returns = [float(r["value"]) for r in rows if r["key"] == "eval/avg_return"]
    assert len(returns) == 2 and all(0.0 < r <= 40.0 for r in returns)  # 40 steps of reward in [0, 1]


def _placeholder_menagerie(root: Path, robot: str, xml: Path) -> None:
    """Menagerie's ``robot/assets`` with every mesh ``xml`` names, each a 1 cm tetrahedron (binary STL).

    In Playground's G1/T1 ``*_mjx_feetonly.xml`` every body has an explicit ``<inertial>`` and every mesh geom is
    of class ``visual`` (no contacts, no mass), so the meshes' shapes change the pictures, not the dynamics.
    """
    assets = root / robot / "assets"
    assets.mkdir(parents=True)
    corners = [(0.0, 0.0, 0.0), (0.01, 0.0, 0.0), (0.0, 0.01, 0.0), (0.0, 0.0, 0.01)]
    faces = [(0, 1, 2), (0, 2, 3), (0, 3, 1), (1, 3, 2)]
    body = b"".join(
        struct.pack("<3f", 0, 0, 0) + b"".join(struct.pack("<3f", *corners[i]) for i in face) + b"\0\0"
        for face in faces
    )
    for name in set(re.findall(r'file="[^"]*/([^"/]+\.(?:stl|STL))"', xml.read_text())):
        (assets / name).write_bytes(b"\0" * 80 + struct.pack("<I", len(faces)) + body)


@pytest.mark.sim
@pytest.mark.slow
def test_g1_joystick_with_placeholder_meshes(pg: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("FLASHSAC_PLAYGROUND_JOYSTICK") != "1":
        pytest.skip("set FLASHSAC_PLAYGROUND_JOYSTICK=1: G1 compiles for ~5 min and steps ~5 env-steps/s on 2 CPUs")
    import mujoco_playground._src.mjx_env as mjx_env

    xml = Path(str(mjx_env.ROOT_PATH)) / "locomotion" / "g1" / "xmls" / "g1_mjx_feetonly.xml"
    _placeholder_menagerie(tmp_path, "unitree_g1", xml)
    monkeypatch.setenv("FLASHSAC_MENAGERIE_PATH", str(tmp_path))
    monkeypatch.setattr(mjx_env, "MENAGERIE_PATH", mjx_env.MENAGERIE_PATH)  # restored afterwards
    env = make_env("playground", "G1JoystickFlatTerrain", 2, seed=0, device=CPU)
    try:
        spec, plain = env.spec, env.playground_env
        assert (spec.obs_dim, spec.critic_obs_dim, spec.action_dim, spec.max_episode_steps) == (103, 216, 29, 1000)
        assert spec.control_dt == pytest.approx(0.02) and spec.joint_names[0] == "left_hip_pitch_joint"
        assert plain._config.push_config.enable is False  # pushes off (docs/algorithm.md section 8)
        limits = env.joint_limits()
        # Playground's own soft limits and default pose (G1's actuators follow its joint order).
        torch.testing.assert_close(limits.q_min, torch.as_tensor(np.asarray(plain._soft_lowers), dtype=torch.float32))
        torch.testing.assert_close(limits.q_max, torch.as_tensor(np.asarray(plain._soft_uppers), dtype=torch.float32))
        torch.testing.assert_close(limits.q0, torch.as_tensor(np.asarray(plain._default_pose), dtype=torch.float32))
        assert limits.scale.tolist() == [0.5] * 29
        joint_limit_bounds(limits)  # the default pose lies inside the soft limits
        ended = torch.zeros(2, dtype=torch.bool)
        for _ in range(80):  # with zero actions from its randomised start, G1 falls within ~60 steps
            step = env.step(torch.zeros(2, 29))
            assert step.critic_obs is not None and step.final_critic_obs is not None
            # privileged_state begins with state (docs/algorithm.md section 6.4).
            assert torch.equal(step.critic_obs[:, :103], step.obs)
            assert torch.equal(step.final_critic_obs[:, :103], step.final_obs)
            assert not step.truncated.any()
            ended |= step.terminated
        assert ended.all(), "no G1 fell in 80 steps of zero action"
    finally:
        env.close()

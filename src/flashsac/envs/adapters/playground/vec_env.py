"""A MuJoCo Playground task behind the batched env contract, its tensors shared with JAX through DLPack.

Observations, rewards and flags leave the jitted step as JAX arrays and become torch tensors with
``torch.from_dlpack`` (no copy where the torch device is JAX's device: CPU here, the GPU on a CUDA machine);
actions go the other way with ``jax.dlpack.from_dlpack``. Nothing passes through NumPy and nothing waits on the
host during a step. The batched program itself (autoreset, final observations, flags) is in :mod:`.program`.

Seeding: ``reset(seed)`` draws every env's start and every later autoreset from ``jax.random.PRNGKey(seed)``
(split per env), so a seed reproduces the whole stream of episodes under the same actions.
"""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import torch

from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.adapters.mujoco import RENDER_SIZE, actuated_joint_names
from flashsac.envs.adapters.playground.assets import ROBOT_DIRS, missing_assets_error, use_menagerie
from flashsac.envs.adapters.playground.joint_limits import joint_limits_from_model
from flashsac.envs.adapters.playground.program import Carry, Program, build
from flashsac.envs.protocol import EnvSpec, Step
from flashsac.envs.registry import RenderError

__all__ = ["PlaygroundVecEnv", "config_overrides", "simulation_impl"]


def simulation_impl(backend: str) -> str | None:
    """The MJX implementation to run on JAX backend ``backend``; ``None`` keeps the task config's own.

    Playground 0.2 defaults every task to ``impl="warp"`` (MuJoCo Warp kernels, written for CUDA GPUs). Warp can
    build them for the CPU too, but slowly (a minute of kernel builds for CartpoleBalance on 2 cores, cached under
    ``~/.cache/warp``); on a CPU backend the pure-JAX implementation is used instead, as Playground's own suite
    tests do (``dm_control_suite_test.py``: ``config_overrides={"impl": "jax"}``).
    """
    return "jax" if backend == "cpu" else None


def config_overrides(task: str, backend: str) -> dict[str, Any]:
    """Playground config overrides for ``task``: the CPU implementation, and no pushes on the joystick tasks.

    docs/algorithm.md section 8 trains the joystick tasks with pushes and domain randomisation off. Pushes are a
    config switch (``push_config.enable``); domain randomisation only exists as a training-wrapper argument
    (``randomization_fn``), which this adapter never applies.
    """
    overrides: dict[str, Any] = {}
    impl = simulation_impl(backend)
    if impl is not None:
        overrides["impl"] = impl
    if task in ROBOT_DIRS:
        overrides["push_config.enable"] = False
    return overrides


def _load(package: ModuleType, task: str, backend: str) -> tuple[Any, Any]:
    """Make Playground's env for ``task`` with :func:`config_overrides`; absent robot models name the fix."""
    registry: Any = package.registry
    mjx_env: Any = importlib.import_module("mujoco_playground._src.mjx_env")
    use_menagerie(task, mjx_env)
    config = registry.get_default_config(task)
    config.update_from_flattened_dict(config_overrides(task, backend))
    try:
        return registry.load(task, config=config), config
    except (subprocess.CalledProcessError, OSError, ValueError) as exc:
        # A failed clone, or a checkout without some mesh (MuJoCo's "resource not found" is a ValueError).
        if task not in ROBOT_DIRS:
            raise
        robot_dir = Path(str(mjx_env.MENAGERIE_PATH)) / ROBOT_DIRS[task]
        reason = " ".join(str(exc).split())  # MuJoCo's XML errors span lines; the error stays on one
        raise missing_assets_error(task, robot_dir, mjx_env, f"{type(exc).__name__}: {reason}") from exc


def _torch_device(array: jax.Array) -> torch.device:
    """The torch device that shares memory with a JAX array (``cpu``, or ``cuda:i`` for JAX GPU ``i``)."""
    device = next(iter(array.devices()))
    return torch.device("cpu") if device.platform == "cpu" else torch.device("cuda", device.id)


class PlaygroundVecEnv:
    """``num_envs`` copies of one Playground task as a :class:`~flashsac.envs.protocol.VecEnv`.

    Args:
        task: A Playground task name (see :func:`flashsac.envs.adapters.playground.list_tasks`).
        num_envs: Number of envs vmapped together.
        seed: Seed of the first reset.
        device: Device of the returned tensors.
        max_episode_steps: Time limit in env steps; ``None`` keeps the config's ``episode_length``.
        render: Offer :meth:`render`.
        package: The imported ``mujoco_playground`` module.
    """

    def __init__(
        self,
        task: str,
        num_envs: int,
        seed: int,
        device: torch.device,
        max_episode_steps: int | None = None,
        render: bool = False,
        package: ModuleType | None = None,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"env.num_envs={num_envs} must be >= 1.")
        backend = jax.default_backend()
        playground = package if package is not None else importlib.import_module("mujoco_playground")
        self._program: Program = build(task, num_envs, lambda: _load(playground, task, backend), backend)
        env, config = self._program.env, self._program.config
        limit = int(max_episode_steps) if max_episode_steps is not None else int(config.episode_length)
        # Reset inputs are committed to the device like the DLPack actions are: jit keys its compiled programs on
        # committedness, and mixed inputs would compile the step a second time (~15 s on 2 CPU cores).
        self._jax_device = jax.devices()[0]
        self._limit = jax.device_put(jnp.asarray(limit, jnp.int32), self._jax_device)
        self._key = jax.random.PRNGKey(seed)
        self._carry: Carry | None = None
        self._closed = False
        self._renderer: Any = None
        self._task = task
        obs, critic_obs = self._reset_jax(seed)
        self._sim_device = _torch_device(obs)
        self._device = torch.device(device)
        self._spec = EnvSpec(
            task=task,
            num_envs=num_envs,
            obs_dim=int(obs.shape[1]),
            action_dim=int(env.action_size),
            # Playground's torch wrapper clips actions to [-1, 1] (wrapper_torch.py): that is its declared box.
            action_low=-torch.ones(int(env.action_size), device=self._device),
            action_high=torch.ones(int(env.action_size), device=self._device),
            max_episode_steps=limit,
            device=self._device,
            critic_obs_dim=None if critic_obs is None else int(critic_obs.shape[1]),
            control_dt=float(env.dt),
            joint_names=actuated_joint_names(env.mj_model),
            exact_final_obs=True,
            can_render=render,
        )

    @property
    def spec(self) -> EnvSpec:
        """The static description of this environment batch."""
        return self._spec

    @property
    def playground_env(self) -> Any:
        """Playground's own (unbatched) ``MjxEnv`` behind this batch, for inspection and tests."""
        return self._program.env

    def playground_state(self) -> Any:
        """The current batched ``mjx_env.State`` (leading dim ``num_envs``; post-reset where episodes ended)."""
        if self._carry is None:
            raise RuntimeError(f"Playground task {self._task!r} was closed; build a new env.")
        return self._carry.state

    def _torch(self, array: jax.Array | None) -> torch.Tensor | None:
        """A JAX array as a torch tensor on ``spec.device`` (zero-copy where that is the array's device)."""
        if array is None:
            return None
        tensor = torch.from_dlpack(array)
        return tensor if tensor.device == self._device else tensor.to(self._device, non_blocking=True)

    def _reset_jax(self, seed: int | None) -> tuple[jax.Array, jax.Array | None]:
        if seed is not None:
            self._key = jax.random.PRNGKey(seed)
        self._key, key = jax.random.split(self._key)
        self._carry, obs, critic_obs = self._program.reset(jax.device_put(key, self._jax_device), self._limit)
        return obs, critic_obs

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reset every env; the same seed gives the same starts and, under the same actions, the same episodes."""
        obs, critic_obs = self._reset_jax(seed)
        out = self._torch(obs)
        assert out is not None
        return out, self._torch(critic_obs)

    def step(self, action: torch.Tensor) -> Step:
        """Advance every env one control step, resetting ended envs in the same jitted call."""
        if self._carry is None:
            raise RuntimeError(f"Playground task {self._task!r} was closed; build a new env.")
        expected = (self._spec.num_envs, self._spec.action_dim)
        if tuple(action.shape) != expected:
            # A new shape would silently trigger a fresh (slow) compilation; refuse it instead.
            raise ValueError(f"action has shape {tuple(action.shape)}, expected {expected}.")
        action = action.detach().to(device=self._sim_device, dtype=torch.float32).contiguous()
        self._carry, out = self._program.step(self._carry, jax.dlpack.from_dlpack(action))
        obs, final_obs, reward = self._torch(out.obs), self._torch(out.final_obs), self._torch(out.reward)
        terminated, truncated = self._torch(out.terminated), self._torch(out.truncated)
        assert obs is not None and final_obs is not None and reward is not None
        assert terminated is not None and truncated is not None
        return Step(
            obs=obs,
            reward=reward,
            terminated=terminated,
            truncated=truncated,
            final_obs=final_obs,
            critic_obs=self._torch(out.critic_obs),
            final_critic_obs=self._torch(out.final_critic_obs),
        )

    def joint_limits(self) -> JointLimits | None:
        """Soft joint limits, default pose and action scale of the joystick tasks; ``None`` for the suite tasks.

        The joystick tasks command ``default_pose + action * action_scale`` as joint-position targets.
        """
        if self._task not in ROBOT_DIRS:
            return None
        env, config = self._program.env, self._program.config
        return joint_limits_from_model(
            env.mj_model, env._default_pose, config.action_scale, config.soft_joint_pos_limit_factor
        )

    def render(self, env_index: int = 0) -> np.ndarray:
        """Env ``env_index``'s current state as an ``(H, W, 3)`` uint8 frame from the model's first camera.

        Raises:
            IndexError: if ``env_index`` is not in ``[0, num_envs)``.
            RenderError: if the env was built without ``render=True`` or no offscreen OpenGL context exists.
        """
        if not 0 <= env_index < self._spec.num_envs:
            raise IndexError(f"env_index={env_index} is outside [0, {self._spec.num_envs}).")
        if not self._spec.can_render or self._carry is None:
            raise RenderError(f"Task {self._task!r} was built without rendering; use make_env(..., render=True).")
        mujoco: Any = importlib.import_module("mujoco")
        model = self._program.env.mj_model
        data = mujoco.MjData(model)
        sim = self._carry.state.data
        for field in ("qpos", "qvel", "mocap_pos", "mocap_quat"):
            getattr(data, field)[...] = np.asarray(getattr(sim, field)[env_index]).reshape(getattr(data, field).shape)
        try:
            mujoco.mj_forward(model, data)
            if self._renderer is None:
                self._renderer = mujoco.Renderer(model, height=RENDER_SIZE, width=RENDER_SIZE)
            self._renderer.update_scene(data, camera=0 if model.ncam > 0 else -1)
            frame = self._renderer.render()
        except Exception as exc:  # whatever the GL backend raises, the fix is the same
            raise RenderError.offscreen_gl(self._task, exc) from exc
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        """Drop the simulator state and renderer; idempotent (the compiled program stays cached)."""
        if self._closed:
            return
        self._closed = True
        self._carry = None
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

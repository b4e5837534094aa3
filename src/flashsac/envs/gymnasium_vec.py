"""Lift ``gymnasium.Env`` factories (CPU simulators) into the batched, torch-native env contract.

The simulators step synchronously on the CPU through ``gymnasium.vector.SyncVectorEnv`` in SAME_STEP autoreset
mode; this module converts what they return into float32/bool tensors on the requested device, builds the
dense ``final_obs`` from the vector env's masked ``info["final_obs"]`` and keeps ``terminated`` and
``truncated`` apart. Actions arrive in environment units: the agent maps tanh onto the env's own Box bounds,
so no ``RescaleAction`` wrapper is applied here.

Envs built with ``render_mode="rgb_array"`` can render: :meth:`GymnasiumVecEnv.render` returns the frame of one
of them, and the spec says ``can_render=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.wrappers import TimeLimit

from flashsac.envs.protocol import EnvSpec, Step
from flashsac.envs.registry import RenderError

__all__ = ["GymnasiumVecEnv", "episode_time_limit"]

_SUCCESS_KEYS = ("success", "is_success")


def episode_time_limit(env: gym.Env) -> int | None:
    """Return the tightest ``TimeLimit`` anywhere in ``env``'s wrapper chain, or ``None`` if unbounded."""
    limits: list[int] = []
    current: Any = env
    while isinstance(current, gym.Wrapper):
        if isinstance(current, TimeLimit):
            limits.append(int(current._max_episode_steps))
        current = current.env
    return min(limits) if limits else None


def _with_time_limit(task: str, make: Callable[[], gym.Env], limit: int | None) -> Callable[[], gym.Env]:
    """Wrap a factory so that an explicit ``limit`` overrides whatever time limit the env registers."""

    def build() -> gym.Env:
        env = make()
        if limit is None:
            return env
        inner = episode_time_limit(env)
        if inner is not None and inner < limit:
            env.close()
            raise ValueError(
                f"Task {task!r}: the env factory already applies a {inner}-step TimeLimit, so "
                f"max_episode_steps={limit} cannot lengthen episodes. Build the env with the limit instead "
                f"(e.g. gymnasium.make(id, max_episode_steps={limit}))."
            )
        return env if inner == limit else TimeLimit(env, max_episode_steps=limit)

    return build


def _finite_box_bounds(task: str, space: gym.Space) -> tuple[np.ndarray, np.ndarray]:
    """Return the float32 ``(low, high)`` of a 1-D Box action space, refusing anything SAC cannot act in."""
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
        raise ValueError(
            f"Task {task!r} has action space {space}; flashsac needs a 1-D gymnasium Box. "
            "Fix: wrap the env in a gymnasium.ActionWrapper that exposes a 1-D Box of continuous actions."
        )
    low, high = space.low.astype(np.float32), space.high.astype(np.float32)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        raise ValueError(
            f"Task {task!r} has non-finite action bounds low={low.tolist()}, high={high.tolist()}: SAC maps "
            "tanh onto the env's bounds, so they must be finite. Fix: wrap the env with "
            "gymnasium.wrappers.ClipAction/RescaleAction onto finite bounds (e.g. from actuator limits)."
        )
    return low, high


class GymnasiumVecEnv:
    """Gymnasium envs stepped synchronously behind the :class:`~flashsac.envs.protocol.VecEnv` contract.

    Args:
        task: Task name as the user typed it (goes into the spec and error messages).
        env_fns: One factory per env, each returning a ``gym.Env`` with a 1-D Box action space and a Box
            observation space; envs made with ``render_mode="rgb_array"`` make the batch render-capable.
        device: Device on which returned tensors live (the simulators themselves run on the CPU).
        max_episode_steps: Explicit time limit overriding the registered one, or ``None`` to keep it.
        joint_names: Optional function reading actuated joint names (action order) from the first env.
    """

    def __init__(
        self,
        task: str,
        env_fns: Sequence[Callable[[], gym.Env]],
        device: torch.device,
        max_episode_steps: int | None = None,
        joint_names: Callable[[gym.Env], tuple[str, ...]] | None = None,
    ) -> None:
        self._vec = gym.vector.SyncVectorEnv(
            [_with_time_limit(task, fn, max_episode_steps) for fn in env_fns],
            autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
        )
        self._closed = False
        self._action_dtype = self._vec.single_action_space.dtype
        try:
            self._spec = self._build_spec(task, device, joint_names)
        except Exception:
            self.close()
            raise

    def _build_spec(
        self, task: str, device: torch.device, joint_names: Callable[[gym.Env], tuple[str, ...]] | None
    ) -> EnvSpec:
        first = self._vec.envs[0]
        obs_space = self._vec.single_observation_space
        if not isinstance(obs_space, gym.spaces.Box):
            raise ValueError(
                f"Task {task!r} has observation space {obs_space}; flashsac needs a Box. "
                "Fix: wrap the env with gymnasium.wrappers.FlattenObservation."
            )
        low, high = _finite_box_bounds(task, self._vec.single_action_space)
        return EnvSpec(
            task=task,
            num_envs=self._vec.num_envs,
            obs_dim=int(np.prod(obs_space.shape)),
            action_dim=int(low.shape[0]),
            action_low=torch.from_numpy(low).to(device),
            action_high=torch.from_numpy(high).to(device),
            max_episode_steps=episode_time_limit(first),
            device=device,
            control_dt=float(getattr(first.unwrapped, "dt", 0.0)),
            joint_names=joint_names(first) if joint_names is not None else (),
            exact_final_obs=True,
            can_render=first.render_mode == "rgb_array",
        )

    @property
    def spec(self) -> EnvSpec:
        """The static description of this batch."""
        return self._spec

    def _to_obs(self, obs: np.ndarray) -> torch.Tensor:
        """``(N, ...)`` numpy observations -> ``(N, obs_dim)`` float32 tensor on the spec's device."""
        flat = np.asarray(obs, dtype=np.float32).reshape(self._spec.num_envs, -1)
        return torch.from_numpy(flat).to(self._spec.device)

    def _to_mask(self, flags: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(flags, dtype=np.bool_)).to(self._spec.device)

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, None]:
        """Reset every env (env ``i`` gets ``seed + i``); the same seed gives the same observations."""
        obs, _ = self._vec.reset(seed=seed)
        return self._to_obs(obs), None

    def step(self, action: torch.Tensor) -> Step:
        """Advance all envs one step; ended episodes are reset in the same call (same-step autoreset)."""
        action = torch.clamp(action, self._spec.action_low, self._spec.action_high)
        np_action = action.detach().to("cpu").numpy().astype(self._action_dtype, copy=False)
        obs, reward, terminated, truncated, info = self._vec.step(np_action)
        obs = np.asarray(obs, dtype=np.float32).reshape(self._spec.num_envs, -1)
        final_obs = obs.copy()
        done_rows = np.flatnonzero(info.get("_final_obs", np.zeros(self._spec.num_envs, dtype=np.bool_)))
        if done_rows.size:
            # Only the ended rows hold an object each; stacking just those keeps the hot path loop-free.
            final_obs[done_rows] = np.stack(info["final_obs"][done_rows]).reshape(done_rows.size, -1)
        terminated = np.asarray(terminated, dtype=np.bool_)
        # gymnasium's TimeLimit may flag both at the last step; a terminal state is never bootstrapped.
        truncated = np.asarray(truncated, dtype=np.bool_) & ~terminated
        success = _success(info, self._spec.num_envs)
        return Step(
            obs=self._to_obs(obs),
            reward=torch.from_numpy(np.asarray(reward, dtype=np.float32)).to(self._spec.device),
            terminated=self._to_mask(terminated),
            truncated=self._to_mask(truncated),
            final_obs=self._to_obs(final_obs),
            info={} if success is None else {"success": self._to_mask(success)},
        )

    def render(self, env_index: int = 0) -> np.ndarray:
        """Render env ``env_index`` as an ``(H, W, 3)`` uint8 RGB frame (offscreen, no display needed).

        After an episode ends the env has already been reset (same-step autoreset), so the frame then shows
        the first state of the next episode.

        Raises:
            IndexError: if ``env_index`` is not in ``[0, num_envs)``.
            RenderError: if the envs were not built with ``render_mode="rgb_array"`` or no offscreen OpenGL
                context can be created; the message names ``MUJOCO_GL`` and how to fix it.
        """
        if not 0 <= env_index < self._spec.num_envs:
            raise IndexError(f"env_index={env_index} is outside [0, {self._spec.num_envs}).")
        if not self._spec.can_render:
            raise RenderError(
                f"Task {self._spec.task!r} was built without rendering; build it with "
                "make_env(..., render=True) (gymnasium render_mode='rgb_array')."
            )
        try:
            frame = self._vec.envs[env_index].render()
        except Exception as exc:  # whatever the GL backend raises, the fix is the same
            raise RenderError.offscreen_gl(self._spec.task, exc) from exc
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[-1] != 3:
            raise RenderError(f"Task {self._spec.task!r} rendered shape {frame.shape}; expected (H, W, 3) RGB.")
        return frame.astype(np.uint8, copy=False)

    def close(self) -> None:
        """Close every simulator; idempotent."""
        if not self._closed:
            self._closed = True
            self._vec.close()


def _success(info: dict[str, Any], num_envs: int) -> np.ndarray | None:
    """Per-env success flag of this step, or ``None`` where no env reports one.

    For envs whose episode just ended, the step's own info lives in ``info["final_info"]`` (the top level then
    holds the reset info of the next episode), so their flag is read from there.
    """
    ended = np.asarray(info.get("_final_info", np.zeros(num_envs, dtype=np.bool_)), dtype=np.bool_)
    success = np.zeros(num_envs, dtype=np.bool_)
    found = False
    for source, rows in ((info, ~ended), (info.get("final_info", {}), ended)):
        key = next((k for k in _SUCCESS_KEYS if k in source), None)
        if key is None:
            continue
        present = np.asarray(source.get(f"_{key}", np.ones(num_envs, dtype=np.bool_)), dtype=np.bool_) & rows
        success = np.where(present, np.asarray(source[key]).astype(np.bool_), success)
        found = found or bool(present.any())
    return success if found else None

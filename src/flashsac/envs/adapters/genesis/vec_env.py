"""The env contract on one batched Genesis scene: same-step autoreset, true final observations, seeded resets.

:class:`GenesisVecEnv` owns what every Genesis task shares -- the time limit, the order of a step, the
generator every random draw comes from, rendering and closing -- and asks its subclass (a task) for five
things: ``_apply`` (actions into the simulator, physics stepped), ``_refresh`` (simulator state into torch
buffers), ``_evaluate`` (reward and terminations), ``_observe`` (actor and critic observations) and
``_reset_envs`` (put chosen envs back to an initial state). Everything is batched over the scene's ``n_envs``
with torch ops on Genesis' device; no Python loop runs over envs.

One step, in the order of the Genesis example: apply the action and step physics; read the state; compute
reward and terminations (``truncated`` = time limit reached and not terminated); observe -- that is the true
``s_{t+1}`` (``final_obs``), with the task's diagnostics of it (``Step.info``); reset the envs that ended, read
the state again and observe; the returned ``obs`` takes the fresh observation where an episode ended and
``final_obs`` elsewhere, so the two are equal exactly where nothing ended. Genesis' per-env setters take index
lists, so finding the ended envs is one ``nonzero`` per step (a device sync on CUDA that the simulator's API
imposes; on the CPU backend it costs nothing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from flashsac.envs.protocol import EnvSpec, Step
from flashsac.envs.registry import RenderError

__all__ = ["RENDER_SIZE", "GenesisVecEnv"]

RENDER_SIZE = 240
"""Side of the square RGB frames :meth:`GenesisVecEnv.render` returns (the size the other adapters use)."""


class GenesisVecEnv:
    """Contract logic shared by the Genesis tasks; a subclass builds the scene and defines the task.

    Args:
        scene: The built Genesis scene (``n_envs = spec.num_envs``).
        spec: The task's spec (its ``device`` is Genesis' device).
        seed: Seed of the generator every random draw of the task comes from (reseeded by ``reset(seed)``).
        camera: A Genesis camera bound to env 0, or ``None`` (then ``spec.can_render`` is ``False``).
    """

    def __init__(self, scene: Any, spec: EnvSpec, seed: int, camera: Any | None = None) -> None:
        self.scene = scene
        self._spec = spec
        self._camera = camera
        self.device = spec.device
        self.num_envs = spec.num_envs
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(seed)
        self.elapsed = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self._limit = spec.max_episode_steps
        self._closed = False

    @property
    def spec(self) -> EnvSpec:
        """The static description of this batch."""
        return self._spec

    # ------------------------------------------------------------------ task hooks

    def _apply(self, action: torch.Tensor) -> None:
        """Send ``action`` (already clipped to the declared box) to the simulator and step physics."""
        raise NotImplementedError

    def _refresh(self) -> None:
        """Read the simulator state the task needs into its torch buffers."""
        raise NotImplementedError

    def _evaluate(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Reward ``(N,)`` float32 and terminated ``(N,)`` bool of the step just taken."""
        raise NotImplementedError

    def _observe(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Actor observation ``(N, obs_dim)`` and privileged observation (or ``None``) of the current state."""
        raise NotImplementedError

    def _reset_envs(self, envs_idx: torch.Tensor) -> None:
        """Put envs ``envs_idx`` (int64, non-empty) in a fresh initial state drawn from ``self.gen``."""
        raise NotImplementedError

    def _step_info(self) -> dict[str, torch.Tensor]:
        """Per-env diagnostics of ``s_{t+1}`` for ``Step.info``, read before ended envs are reset (default none)."""
        return {}

    def _end_step(self) -> None:
        """Bookkeeping after the step's observations (e.g. remember this action as the last one)."""

    def _on_full_reset(self) -> None:
        """Redraw per-episode-independent randomness (e.g. domain randomisation) at ``reset``."""

    # ------------------------------------------------------------------ the contract

    def uniform(self, low: float, high: float, shape: tuple[int, ...]) -> torch.Tensor:
        """Uniform draws in ``[low, high)`` from the env's generator, on its device."""
        draw = torch.rand(shape, generator=self.gen, device=self.device)
        return low + (high - low) * draw

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reset every env (reseeding first when ``seed`` is given); return ``(obs, critic_obs)``.

        The whole scene is first rewound to its built state (``scene.reset``), which also clears the solver's
        warm starts, so the same seed replays the same episodes exactly.
        """
        if seed is not None:
            self.gen.manual_seed(seed)
        self.scene.reset()
        self._on_full_reset()
        self._reset_envs(torch.arange(self.num_envs, device=self.device))
        self.elapsed.zero_()
        self._refresh()
        return self._observe()

    def step(self, action: torch.Tensor) -> Step:
        """Advance every env one control step, with same-step autoreset and the true final observations."""
        action = action.to(device=self.device, dtype=torch.float32)
        action = torch.clamp(action, self._spec.action_low, self._spec.action_high)
        self._apply(action)
        self.elapsed += 1
        self._refresh()
        reward, terminated = self._evaluate()
        limit = self._limit
        truncated = torch.zeros_like(terminated) if limit is None else (self.elapsed >= limit) & ~terminated
        final_obs, final_critic_obs = self._observe()
        info = self._step_info()
        done = terminated | truncated
        ended = done.nonzero().squeeze(1)
        obs, critic_obs = final_obs.clone(), None if final_critic_obs is None else final_critic_obs.clone()
        if ended.numel() > 0:
            self._reset_envs(ended)
            self.elapsed.index_fill_(0, ended, 0)
            self._refresh()
            fresh_obs, fresh_critic_obs = self._observe()
            obs = torch.where(done[:, None], fresh_obs, final_obs)
            if fresh_critic_obs is not None and final_critic_obs is not None:
                critic_obs = torch.where(done[:, None], fresh_critic_obs, final_critic_obs)
        self._end_step()
        return Step(
            obs=obs,
            reward=reward.to(torch.float32),
            terminated=terminated,
            truncated=truncated,
            final_obs=final_obs,
            critic_obs=critic_obs,
            final_critic_obs=final_critic_obs,
            info=info,
        )

    def render(self, env_index: int = 0) -> np.ndarray:
        """The current state of env 0 as an ``(H, W, 3)`` uint8 RGB frame, drawn offscreen by Genesis.

        Genesis binds a camera to one env when the scene is built, so only env 0 can be drawn. After an episode
        ends the env has already been reset (same-step autoreset), so the frame then shows the next episode.

        Raises:
            IndexError: if ``env_index`` is not in ``[0, num_envs)``.
            RenderError: if the env was built without ``render=True``, or ``env_index`` is not 0.
        """
        if not 0 <= env_index < self.num_envs:
            raise IndexError(f"env_index={env_index} is outside [0, {self.num_envs}).")
        if self._camera is None:
            raise RenderError(
                f"Task {self._spec.task!r} was built without rendering; build it with make_env(..., render=True)."
            )
        if env_index != 0:
            raise RenderError(
                f"Task {self._spec.task!r}: Genesis binds its camera to env 0 at build time; render(0) only."
            )
        self._aim_camera()
        rgb = self._camera.render(rgb=True)[0]
        return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)[..., :3])

    def _aim_camera(self) -> None:
        """Point the camera before a frame (tasks whose robot moves follow it)."""

    def close(self) -> None:
        """Destroy the Genesis scene; calling it twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self.scene.destroy()

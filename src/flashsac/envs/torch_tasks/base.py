"""Shared machinery of the built-in batched torch tasks: state tensors, time limits, same-step autoreset.

Also a tiny numpy rasteriser (filled segments, rectangles and discs on a uint8 canvas) with which the tasks
draw one env's state as an RGB frame: no display, no OpenGL, a fraction of a millisecond per frame.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod

import numpy as np
import torch

from flashsac.envs.deploy_info import ObsTerm, PDGains
from flashsac.envs.protocol import EnvSpec, Step


class BatchedTorchTask(ABC):
    """N copies of a small physical system simulated as tensors on any device.

    Subclasses define the state layout, the dynamics, the observation and the termination rule; this class
    implements the env contract around them: per-env step counters, time-limit truncation, same-step
    autoreset with the true final observation, and seeded reproducible resets. No per-env Python loops.
    """

    obs_dim: int
    state_dim: int
    control_dt: float
    default_max_episode_steps: int
    joint_names: tuple[str, ...] = ()
    """Names of the actuated joints in action order (for export manifests); empty where actions are not joints."""
    obs_terms: tuple[ObsTerm, ...] = ()
    """The observation's blocks in order (for export manifests)."""

    def __init__(
        self,
        task: str,
        num_envs: int,
        device: torch.device,
        max_episode_steps: int | None,
        action_low: list[float],
        action_high: list[float],
    ) -> None:
        self._spec = EnvSpec(
            task=task,
            num_envs=num_envs,
            obs_dim=self.obs_dim,
            action_dim=len(action_low),
            action_low=torch.tensor(action_low, dtype=torch.float32, device=device),
            action_high=torch.tensor(action_high, dtype=torch.float32, device=device),
            max_episode_steps=max_episode_steps or self.default_max_episode_steps,
            device=device,
            control_dt=self.control_dt,
            joint_names=self.joint_names,
            exact_final_obs=True,
            # Rendering is offered by every task that draws itself (overrides ``_draw``).
            can_render=type(self)._draw is not BatchedTorchTask._draw,
        )
        self._generator = torch.Generator(device=device)
        self._generator.manual_seed(0)
        self._state = torch.zeros(num_envs, self.state_dim, device=device)
        self._elapsed = torch.zeros(num_envs, dtype=torch.int64, device=device)
        self._closed = False

    @property
    def spec(self) -> EnvSpec:
        """The static description of this batch."""
        return self._spec

    @abstractmethod
    def _initial_state(self, n: int) -> torch.Tensor:
        """Sample ``(n, state_dim)`` initial states from ``self._generator``."""

    @abstractmethod
    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(next_state, reward)`` for a batch; ``action`` is already clipped to the bounds."""

    @abstractmethod
    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        """Return ``(n, obs_dim)`` observations of the states."""

    def _is_terminal(self, state: torch.Tensor) -> torch.Tensor:
        """``(n,)`` bool: the state is terminal (no bootstrap). Default: never."""
        return torch.zeros(state.shape[0], dtype=torch.bool, device=state.device)

    def _info(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        """Extra per-env tensors reported with each step."""
        return {}

    def _draw(self, state: np.ndarray) -> np.ndarray:
        """Draw one env's ``(state_dim,)`` float64 state as an ``(H, W, 3)`` uint8 frame (optional)."""
        raise NotImplementedError(f"task {self.spec.task!r} does not draw itself")

    def render(self, env_index: int = 0) -> np.ndarray:
        """Draw the current state of env ``env_index`` as an ``(H, W, 3)`` uint8 RGB frame.

        After an episode ends the env has already been reset (same-step autoreset), so the frame then shows
        the first state of the next episode.

        Raises:
            IndexError: if ``env_index`` is not in ``[0, num_envs)``.
            NotImplementedError: if the task does not draw itself (``spec.can_render`` is ``False``).
        """
        if not 0 <= env_index < self.spec.num_envs:
            raise IndexError(f"env_index={env_index} is outside [0, {self.spec.num_envs}).")
        return self._draw(self._state[env_index].detach().to("cpu", torch.float64).numpy())

    def observation_layout(self) -> tuple[ObsTerm, ...]:
        """The observation's blocks in order (:class:`flashsac.envs.protocol.DeployableEnv`)."""
        return self.obs_terms

    def pd_gains(self) -> PDGains | None:
        """``None``: the built-in tasks integrate their dynamics directly, without a PD loop."""
        return None

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, None]:
        """Reset every env; the same seed gives the same initial observations."""
        if seed is not None:
            self._generator.manual_seed(seed)
        self._state = self._initial_state(self.spec.num_envs)
        self._elapsed.zero_()
        return self._observe(self._state), None

    def step(self, action: torch.Tensor) -> Step:
        """Advance all envs one step; ended episodes are reset in the same call."""
        action = torch.maximum(torch.minimum(action, self.spec.action_high), self.spec.action_low)
        next_state, reward = self._dynamics(self._state, action)
        self._elapsed += 1
        terminated = self._is_terminal(next_state)
        limit = self.spec.max_episode_steps
        truncated = (self._elapsed >= limit) & ~terminated if limit is not None else torch.zeros_like(terminated)
        final_obs = self._observe(next_state)
        info = self._info(next_state)
        done = terminated | truncated
        fresh = self._initial_state(self.spec.num_envs)
        self._state = torch.where(done[:, None], fresh, next_state)
        self._elapsed = torch.where(done, torch.zeros_like(self._elapsed), self._elapsed)
        obs = torch.where(done[:, None], self._observe(self._state), final_obs)
        return Step(
            obs=obs,
            reward=reward.to(torch.float32),
            terminated=terminated,
            truncated=truncated,
            final_obs=final_obs,
            info=info,
        )

    def close(self) -> None:
        """Nothing to release; idempotent."""
        self._closed = True

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The full simulator state (states, step counters, RNG), so a resumed run continues bit-exactly."""
        return {
            "state": self._state.clone(),
            "elapsed": self._elapsed.clone(),
            "generator": self._generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore :meth:`state_dict` output of a batch with the same task and env count."""
        if tuple(state["state"].shape) != tuple(self._state.shape):
            raise ValueError(
                f"env state has shape {tuple(state['state'].shape)}, this batch {tuple(self._state.shape)} "
                "(num_envs or task differ)."
            )
        self._state = state["state"].to(self._state.device).clone()
        self._elapsed = state["elapsed"].to(self._elapsed.device).clone()
        self._generator.set_state(state["generator"].cpu())  # generator states are CPU byte tensors


class Canvas:
    """An ``(size, size, 3)`` uint8 RGB image with a few filled primitives, all vectorised over pixels.

    Coordinates are pixels, ``x`` to the right and ``y`` downwards, pixel centres at integer coordinates;
    shapes that leave the image are clipped.

    Args:
        size: Width and height in pixels (a multiple of 16 keeps video encoders from rescaling).
        background: RGB fill colour.
    """

    def __init__(self, size: int = 240, background: tuple[int, int, int] = (255, 255, 255)) -> None:
        self.image = np.empty((size, size, 3), dtype=np.uint8)
        self.image[:] = background
        self._y, self._x = _pixel_grid(size)

    def segment(
        self, start: tuple[float, float], end: tuple[float, float], width: float, color: tuple[int, int, int]
    ) -> None:
        """Fill the capsule of ``width`` pixels around the segment ``start``-``end`` (round ends)."""
        (x0, y0), (x1, y1) = start, end
        dx, dy = x1 - x0, y1 - y0
        length_sq = max(dx * dx + dy * dy, 1e-12)
        # Project every pixel onto the segment, clamp to its ends, and keep those within half the width.
        t = np.clip(((self._x - x0) * dx + (self._y - y0) * dy) / length_sq, 0.0, 1.0)
        dist_sq = (self._x - (x0 + t * dx)) ** 2 + (self._y - (y0 + t * dy)) ** 2
        self.image[dist_sq <= (width / 2) ** 2] = color

    def disc(self, center: tuple[float, float], radius: float, color: tuple[int, int, int]) -> None:
        """Fill the disc of ``radius`` pixels around ``center``."""
        cx, cy = center
        self.image[(self._x - cx) ** 2 + (self._y - cy) ** 2 <= radius**2] = color

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: tuple[int, int, int]) -> None:
        """Fill the axis-aligned rectangle with corners ``(x0, y0)`` and ``(x1, y1)``."""
        size = self.image.shape[0]
        left, right = (max(0, min(size, round(v))) for v in sorted((x0, x1)))
        top, bottom = (max(0, min(size, round(v))) for v in sorted((y0, y1)))
        self.image[top:bottom, left:right] = color


@functools.lru_cache(maxsize=4)
def _pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y, x)`` float32 pixel coordinates, built once per size (every frame of a video reuses them)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    y.flags.writeable = False
    x.flags.writeable = False
    return y, x

"""Shared machinery of the built-in batched torch tasks: state tensors, time limits, same-step autoreset."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch

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
            exact_final_obs=True,
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

"""Preallocated ring replay buffer with exact, masked n-step windows built at sample time.

Layout: ``T = capacity // num_envs`` vector steps per env; slot ``(t mod T, env)`` holds ``s_t``, ``a_t``,
``r_t`` and the episode-end flags of step ``t``. Each observation is stored once: the bootstrap observation
of a window is read from the same env's slot ``t + K``; only the true final observations of truncated steps,
which that slot cannot hold (it holds the post-reset observation), go to a sparse :class:`FinalObsStore`.

Newest-step semantics: the observation the env returned with the newest add (``Step.obs``, post-reset where an
episode ended) is kept as a one-row-per-env *pending* tensor and is never sampled. A window starting at ``t`` is
sampleable once slot ``t + n`` has been written, i.e. for ``oldest <= t <= newest - n``, so ``n`` vector steps are
always held back. The pending row checks the chain: the next :meth:`ReplayBuffer.add` must pass ``obs`` equal to
it. Where it differs (the trainer re-reset an env without an episode end, e.g. after evaluation on a shared
instance) the previous step is marked *truncated* with the pending observation as its true final observation, so
no window bootstraps across the break; such breaks are counted in the device tensor ``episode_breaks`` (the
trainer logs it as ``buffer/episode_breaks``).
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from flashsac.buffers.batch import Batch
from flashsac.buffers.final_obs import FinalObsStore, default_final_obs_capacity

__all__ = ["EnvStep", "ReplayBuffer"]

_OBS_DTYPES = (torch.float32, torch.bfloat16, torch.float16)


class EnvStep(Protocol):
    """What :meth:`ReplayBuffer.add` reads of an env's ``flashsac.envs.Step`` (which satisfies this protocol).

    Declared here because the buffer layer does not import the env layer; the meaning of every field is the
    env contract's (``flashsac.envs.protocol``). Tensors have leading dimension ``N`` (``num_envs``).
    """

    @property
    def obs(self) -> torch.Tensor:
        """``(N, obs_dim)`` the observation the env returned: post-reset where an episode ended."""
        ...

    @property
    def reward(self) -> torch.Tensor:
        """``(N,)`` r_t."""
        ...

    @property
    def terminated(self) -> torch.Tensor:
        """``(N,)`` bool, the episode ended in a terminal state."""
        ...

    @property
    def truncated(self) -> torch.Tensor:
        """``(N,)`` bool, the episode was cut by the time limit."""
        ...

    @property
    def final_obs(self) -> torch.Tensor:
        """``(N, obs_dim)`` the true s_{t+1}."""
        ...

    @property
    def critic_obs(self) -> torch.Tensor | None:
        """Privileged counterpart of ``obs``, or ``None``."""
        ...

    @property
    def final_critic_obs(self) -> torch.Tensor | None:
        """Privileged counterpart of ``final_obs``, or ``None``."""
        ...


class ReplayBuffer:
    """Uniform replay over per-env time rings with exact n-step windows (effective discount gamma^K).

    Args:
        capacity: Transitions over all envs; ``capacity // num_envs`` vector steps are kept per env.
        num_envs: Number of envs added per :meth:`add` call.
        obs_dim: Size of the actor observation.
        action_dim: Size of the action.
        n_step: Window length ``n`` of the n-step return.
        gamma: Discount in ``(0, 1]``.
        device: Device of the storage and of every sampled tensor.
        critic_obs_dim: Size of the privileged critic observation, or ``None``.
        obs_dtype: Storage dtype of observations (float32, bfloat16 or float16); batches are float32.
        max_episode_steps: Env time limit, used only to size the final-observation store.
        final_obs_capacity: Rows of the sparse final-observation store (default and sizing:
            :func:`~flashsac.buffers.final_obs.default_final_obs_capacity`; capped at capacity + num_envs).
            A truncated transition whose row the ring has overwritten is *stale*: its window then bootstraps
            from the post-reset observation and the device counter ``stale_final_obs_samples`` counts it (the
            trainer logs it as ``buffer/stale_final_obs_samples``).
        generator: Optional generator on ``device`` that drives sampling (for reproducibility).

    Raises:
        ValueError: naming the argument that is out of range.
    """

    def __init__(
        self,
        capacity: int,
        num_envs: int,
        obs_dim: int,
        action_dim: int,
        *,
        n_step: int = 1,
        gamma: float = 0.99,
        device: torch.device | str = "cpu",
        critic_obs_dim: int | None = None,
        obs_dtype: torch.dtype = torch.float32,
        max_episode_steps: int | None = None,
        final_obs_capacity: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        device = torch.device(device)
        for name, value in (("num_envs", num_envs), ("obs_dim", obs_dim), ("action_dim", action_dim)):
            if value < 1:
                raise ValueError(f"ReplayBuffer {name} must be >= 1, got {value}.")
        if n_step < 1:
            raise ValueError(f"ReplayBuffer n_step must be >= 1, got {n_step}.")
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"ReplayBuffer gamma must lie in (0, 1], got {gamma}.")
        if capacity < num_envs * (n_step + 1):
            raise ValueError(
                f"ReplayBuffer capacity must be >= num_envs * (n_step + 1) = {num_envs * (n_step + 1)} "
                f"so that one n-step window fits per env, got {capacity}."
            )
        if critic_obs_dim is not None and critic_obs_dim < 1:
            raise ValueError(f"ReplayBuffer critic_obs_dim must be >= 1 or None, got {critic_obs_dim}.")
        if obs_dtype not in _OBS_DTYPES:
            raise ValueError(f"ReplayBuffer obs_dtype must be one of {_OBS_DTYPES}, got {obs_dtype}.")
        if max_episode_steps is not None and max_episode_steps < 1:
            raise ValueError(f"ReplayBuffer max_episode_steps must be >= 1 or None, got {max_episode_steps}.")
        if final_obs_capacity is None:
            final_obs_capacity = default_final_obs_capacity(capacity, num_envs, max_episode_steps)
        if final_obs_capacity < num_envs:
            # One add may store a final observation for every env; fewer rows would collide within one write.
            raise ValueError(
                f"ReplayBuffer final_obs_capacity must be >= num_envs ({num_envs}), got {final_obs_capacity}."
            )
        if generator is not None and generator.device.type != device.type:
            raise ValueError(f"ReplayBuffer generator is on {generator.device}, the buffer on {device}.")

        self.capacity, self.num_envs, self.obs_dim, self.action_dim = capacity, num_envs, obs_dim, action_dim
        self.n_step, self.gamma, self.device, self.obs_dtype = n_step, gamma, device, obs_dtype
        self.critic_obs_dim, self.generator = critic_obs_dim, generator
        self.steps_per_env = capacity // num_envs
        # More rows than slots plus one add can never be referenced at once.
        self.final_obs_capacity = min(final_obs_capacity, capacity + num_envs)
        T, N = self.steps_per_env, num_envs
        self.obs = torch.zeros(T, N, obs_dim, dtype=obs_dtype, device=device)
        self.critic_obs = torch.zeros(T, N, critic_obs_dim, dtype=obs_dtype, device=device) if critic_obs_dim else None
        self.action = torch.zeros(T, N, action_dim, device=device)
        self.reward = torch.zeros(T, N, device=device)
        self.terminated = torch.zeros(T, N, dtype=torch.bool, device=device)
        self.truncated = torch.zeros(T, N, dtype=torch.bool, device=device)
        self.final_idx = torch.full((T, N), -1, dtype=torch.long, device=device)
        self.final_store = FinalObsStore(self.final_obs_capacity, obs_dim, critic_obs_dim, obs_dtype, device)
        # Kept in float32 so that the chain check in add() compares exactly what the env returned.
        self.pending_obs = torch.zeros(N, obs_dim, device=device)
        self.pending_critic_obs = torch.zeros(N, critic_obs_dim, device=device) if critic_obs_dim else None
        self.stale_final_obs_samples = torch.zeros((), dtype=torch.long, device=device)
        self.episode_breaks = torch.zeros((), dtype=torch.long, device=device)
        # gamma^k computed in float64 once, so the effective discount is exact to float32 rounding.
        self._gamma_pows = (gamma ** torch.arange(n_step + 1, dtype=torch.float64)).float().to(device)
        self._env_arange = torch.arange(N, device=device)
        self._window = torch.arange(n_step, device=device)
        self._steps = 0  # vector steps ever added (host-side: add() is driven by the host loop)

    @property
    def num_added(self) -> int:
        """Transitions ever added, over all envs."""
        return self._steps * self.num_envs

    def _sample_range(self) -> tuple[int, int]:
        """Return ``(first t, number of t)`` of windows whose slots ``t .. t + n`` are all written."""
        oldest = max(0, self._steps - self.steps_per_env)
        return oldest, max(0, self._steps - self.n_step - oldest)

    def __len__(self) -> int:
        """Return the number of sampleable transitions (windows whose bootstrap slot is written)."""
        return self._sample_range()[1] * self.num_envs

    def can_sample(self, batch_size: int) -> bool:
        """Return whether at least ``batch_size`` distinct transitions are sampleable."""
        return len(self) >= max(batch_size, 1)

    def add(
        self,
        obs: torch.Tensor,
        action: torch.Tensor,
        step: EnvStep,
        critic_obs: torch.Tensor | None = None,
    ) -> None:
        """Store one vector step of every env (inputs may live on another device; they are copied in).

        Args:
            obs: ``(N, obs_dim)`` s_t, the observation ``action`` was chosen on; equal to the previous call's
                ``step.obs`` unless the env was re-reset in between.
            action: ``(N, action_dim)`` a_t.
            step: What the env returned for ``action`` (an ``flashsac.envs.Step``): reward, episode-end flags,
                the true s_{t+1} (``final_obs``) and the post-reset observation (``obs``), with their privileged
                counterparts where ``critic_obs_dim`` was given.
            critic_obs: ``(N, critic_obs_dim)`` privileged s_t; required iff ``critic_obs_dim`` was given.

        Raises:
            ValueError: on a shape mismatch or missing/unexpected critic observations.
        """
        N, D = self.num_envs, self.obs_dim
        shapes = {"obs": (obs, (N, D)), "action": (action, (N, self.action_dim)), "step.reward": (step.reward, (N,))}
        shapes |= {"step.terminated": (step.terminated, (N,)), "step.truncated": (step.truncated, (N,))}
        shapes |= {"step.obs": (step.obs, (N, D)), "step.final_obs": (step.final_obs, (N, D))}
        critic = {"critic_obs": critic_obs, "step.critic_obs": step.critic_obs}
        critic["step.final_critic_obs"] = step.final_critic_obs
        if self.critic_obs_dim is None and any(c is not None for c in critic.values()):
            raise ValueError("ReplayBuffer.add got critic observations but critic_obs_dim is None.")
        if self.critic_obs_dim is not None:
            for name, c in critic.items():
                if c is None:
                    raise ValueError(f"ReplayBuffer.add needs {name} (the buffer has critic_obs_dim set).")
                shapes[name] = (c, (N, self.critic_obs_dim))
        for name, (tensor, shape) in shapes.items():
            if tuple(tensor.shape) != shape:
                raise ValueError(f"ReplayBuffer.add {name} must have shape {shape}, got {tuple(tensor.shape)}")

        obs32 = obs.to(self.device, torch.float32)
        critic32 = critic_obs.to(self.device, torch.float32) if critic_obs is not None else None
        if self._steps > 0:
            self._close_broken_episodes(obs32, critic32)
        T = self.steps_per_env
        slot = self._steps % T
        trunc = step.truncated.to(self.device, torch.bool)
        self.obs[slot].copy_(obs32)
        self.action[slot].copy_(action)
        self.reward[slot].copy_(step.reward)
        self.terminated[slot].copy_(step.terminated)
        self.truncated[slot].copy_(trunc)
        if self.critic_obs is not None and critic32 is not None:
            self.critic_obs[slot].copy_(critic32)
        fcrit = step.final_critic_obs.to(self.device) if step.final_critic_obs is not None else None
        owner = slot * N + self._env_arange
        self.final_idx[slot] = self.final_store.write(trunc, owner, step.final_obs.to(self.device), fcrit)
        self.pending_obs.copy_(step.obs)
        if self.pending_critic_obs is not None and step.critic_obs is not None:
            self.pending_critic_obs.copy_(step.critic_obs)
        self._steps += 1

    def _close_broken_episodes(self, obs: torch.Tensor, critic_obs: torch.Tensor | None) -> None:
        """Mark the previous step truncated (final obs: pending) where ``obs`` does not continue it."""
        prev = (self._steps - 1) % self.steps_per_env
        broken = (obs != self.pending_obs).any(-1)
        if critic_obs is not None and self.pending_critic_obs is not None:
            broken |= (critic_obs != self.pending_critic_obs).any(-1)
        # A step that already ended its episode needs nothing: its bootstrap is masked or in the final store.
        broken &= ~(self.terminated[prev] | self.truncated[prev])
        owner = prev * self.num_envs + self._env_arange
        pos = self.final_store.write(broken, owner, self.pending_obs, self.pending_critic_obs)
        self.final_idx[prev] = torch.where(broken, pos, self.final_idx[prev])
        self.truncated[prev] |= broken
        self.episode_breaks += broken.sum()

    def _sample_indices(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``(t, env)`` uniformly with replacement; ``t`` is the absolute vector-step index."""
        first, count = self._sample_range()
        if batch_size < 1:
            raise ValueError(f"ReplayBuffer.sample batch_size must be >= 1, got {batch_size}.")
        if count == 0:
            raise RuntimeError(
                f"ReplayBuffer has no sampleable transition yet: {self._steps} vector steps added, a window "
                f"needs n_step + 1 = {self.n_step + 1}. Check can_sample() first."
            )
        flat = torch.randint(0, count * self.num_envs, (batch_size,), device=self.device, generator=self.generator)
        return first + torch.div(flat, self.num_envs, rounding_mode="floor"), flat % self.num_envs

    def sample(self, batch_size: int) -> Batch:
        """Sample ``batch_size`` n-step transitions uniformly with replacement (no host sync).

        Returns:
            A float32 :class:`Batch` on the buffer's device.

        Raises:
            RuntimeError: when nothing is sampleable yet (see :meth:`can_sample`).
        """
        t, env = self._sample_indices(batch_size)
        return self._gather(t, env)

    def _gather(self, t: torch.Tensor, env: torch.Tensor) -> Batch:
        """Build the n-step transitions starting at absolute vector step ``t`` of env ``env`` (both ``(B,)``).

        Every ``t`` must satisfy ``oldest <= t <= newest - n`` (as :meth:`_sample_indices` guarantees).
        """
        T, N = self.steps_per_env, self.num_envs
        slot = t % T
        win = (t[:, None] + self._window) % T  # (B, n) slots of steps t .. t+n-1
        env_w = env[:, None]
        term, trunc = self.terminated[win, env_w], self.truncated[win, env_w]
        done = term | trunc
        # Step k is in the window iff no episode ended strictly before it; K = number of steps in the window.
        included = (torch.cumsum(done.int(), 1) - done.int()) == 0
        k_len = included.sum(1)
        reward = (self.reward[win, env_w] * self._gamma_pows[:-1] * included).sum(1)
        ended_term = (term & included).any(1)
        ended_trunc = (trunc & included).any(1) & ~ended_term
        end_slot = (t + k_len) % T
        bootstrap_obs = self.obs[end_slot, env].float()
        bootstrap_critic = self.critic_obs[end_slot, env].float() if self.critic_obs is not None else None
        last_slot = (t + k_len - 1) % T
        f_obs, f_critic, valid = self.final_store.read(self.final_idx[last_slot, env], last_slot * N + env)
        use_final = ended_trunc & valid
        self.stale_final_obs_samples += (ended_trunc & ~valid).sum()
        bootstrap_obs = torch.where(use_final[:, None], f_obs, bootstrap_obs)
        if bootstrap_critic is not None and f_critic is not None:
            bootstrap_critic = torch.where(use_final[:, None], f_critic, bootstrap_critic)
        return Batch(
            obs=self.obs[slot, env].float(),
            action=self.action[slot, env],
            reward=reward,
            bootstrap_obs=bootstrap_obs,
            terminated=ended_term.float(),
            bootstrap_discount=self._gamma_pows[k_len],
            critic_obs=self.critic_obs[slot, env].float() if self.critic_obs is not None else None,
            bootstrap_critic_obs=bootstrap_critic,
        )

    def diagnostics(self) -> dict[str, int]:
        """The buffer's health counters since it was built (or restored), as host integers.

        ``stale_final_obs_samples``: sampled time-outs whose true final observation the final-obs store had
        already overwritten (they bootstrapped from the post-reset observation; raise ``final_obs_capacity``
        when it grows). ``episode_breaks``: envs re-reset without an episode end (closed as time-outs).

        One device-to-host copy: call it at log intervals, not per step.
        """
        names = ("stale_final_obs_samples", "episode_breaks")
        values = torch.stack([getattr(self, name) for name in names]).tolist()
        return dict(zip(names, values, strict=True))

    def _config(self) -> dict[str, Any]:
        names = ("capacity", "num_envs", "obs_dim", "action_dim", "n_step", "gamma", "critic_obs_dim")
        config = {name: getattr(self, name) for name in names}
        return config | {"obs_dtype": str(self.obs_dtype), "final_obs_capacity": self.final_obs_capacity}

    def _tensors(self) -> dict[str, torch.Tensor]:
        names = ["obs", "action", "reward", "terminated", "truncated", "final_idx", "pending_obs"]
        names += ["stale_final_obs_samples", "episode_breaks"]
        if self.critic_obs is not None:
            names += ["critic_obs", "pending_critic_obs"]
        return {name: getattr(self, name) for name in names}

    def state_dict(self) -> dict[str, Any]:
        """Return the buffer's state: plain config, the step counter and its tensors.

        The tensors are the live storage (not copies), so a checkpoint writer can stream them to disk one by
        one; copy them before mutating the buffer if a snapshot is needed. The generator is not included.
        """
        tensors = self._tensors() | {f"final_store.{k}": v for k, v in self.final_store.state_dict().items()}
        return {"config": self._config(), "steps": self._steps, "tensors": tensors}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`state_dict` of a buffer built with the same arguments.

        Raises:
            ValueError: when the configuration or a tensor's shape differs.
        """
        if state["config"] != self._config():
            raise ValueError(f"ReplayBuffer state is from {state['config']}, this buffer is {self._config()}.")
        tensors = state["tensors"]
        for name, tensor in self._tensors().items():
            if name not in tensors or tuple(tensors[name].shape) != tuple(tensor.shape):
                raise ValueError(f"ReplayBuffer state tensor {name!r} is missing or has the wrong shape.")
            tensor.copy_(tensors[name])
        store = {k.removeprefix("final_store."): v for k, v in tensors.items() if k.startswith("final_store.")}
        self.final_store.load_state_dict(store)
        self._steps = int(state["steps"])

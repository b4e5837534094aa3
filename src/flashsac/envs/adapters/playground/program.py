"""The batched JAX program behind a Playground task: one jitted reset and one jitted step with same-step autoreset.

Playground's stock training wrappers (``wrapper.py``: ``EpisodeWrapper`` + ``BraxAutoResetWrapper``) overwrite the
observation of an ended episode with the next episode's first one, so the true ``s_{t+1}`` is lost, and they fold
the time limit into ``done``. :func:`build` replaces them with one jitted function that

1. steps every env (``vmap(env.step)``),
2. reads the simulator's ``done`` as ``terminated`` and the time limit as ``truncated`` (a ``done`` on the
   time-limit step stays ``terminated``; the two are never both set),
3. keeps the stepped observation as the final observation (actor and privileged parts),
4. resets the ended envs with a full ``env.reset`` (fresh command, gait phase, push timer, ...) from per-env PRNG
   keys carried in the state, inside ``lax.cond`` so that steps where nothing ended skip the reset's cost,
5. treats a diverged simulation as a termination: where the stepped observation or reward holds a NaN or an
   infinity (MJX can blow up; Playground's tasks then set ``done`` on a NaN ``qpos``), the env is ``terminated``,
   its reward is 0 and its final observation is 0. A terminal transition is never bootstrapped, but its final
   observation still goes through the target critic, where one NaN would poison the whole batch.

Compiled programs are cached per (task, num_envs, impl): the time limit is an argument, not a constant, so the
train env, a second env with a forced limit, or a rebuilt env of the same size reuse one compilation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["Carry", "Program", "Transition", "build", "split_obs"]

_CACHE_SIZE = 4
_CACHE: dict[tuple[str, int, str], Program] = {}


class Carry(NamedTuple):
    """Everything the batched env needs between steps (a pytree; every leaf has leading dim ``num_envs``).

    Attributes:
        state: Playground's batched ``mjx_env.State``.
        elapsed: ``(N,)`` int32 steps since each env's last reset.
        key: ``(N, 2)`` uint32 PRNG keys the next autoresets draw from (advanced every step).
        limit: ``()`` int32 time limit in env steps.
    """

    state: Any
    elapsed: jax.Array
    key: jax.Array
    limit: jax.Array


class Transition(NamedTuple):
    """One batched step's results: post-reset observations, reward, flags and the true final observations."""

    obs: jax.Array
    critic_obs: jax.Array | None
    reward: jax.Array
    terminated: jax.Array
    truncated: jax.Array
    final_obs: jax.Array
    final_critic_obs: jax.Array | None


@dataclass(frozen=True)
class Program:
    """A task's Playground env with its compiled batched reset and step.

    Attributes:
        env: The ``mjx_env.MjxEnv`` instance.
        config: Its ``ConfigDict`` (overrides applied).
        num_envs: Batch size the functions are traced for.
        reset: ``(key, limit) -> (Carry, obs, critic_obs)``.
        step: ``(Carry, action) -> (Carry, Transition)``.
    """

    env: Any
    config: Any
    num_envs: int
    reset: Callable[[jax.Array, jax.Array], tuple[Carry, jax.Array, jax.Array | None]]
    step: Callable[[Carry, jax.Array], tuple[Carry, Transition]]


def split_obs(obs: Any) -> tuple[jax.Array, jax.Array | None]:
    """Actor and critic parts of a batched Playground observation, each flattened to ``(N, dim)`` float32.

    A dict observation gives its ``state`` to the actor and its ``privileged_state`` (where present) to the
    critic; an array observation is the actor's alone.
    """
    if isinstance(obs, Mapping):
        if "state" not in obs:
            raise ValueError(f"Playground observation dict has keys {sorted(obs)}; expected a 'state' entry.")
        actor, critic = obs["state"], obs.get("privileged_state")
    else:
        actor, critic = obs, None

    def flat(x: jax.Array) -> jax.Array:
        return jnp.reshape(x, (x.shape[0], -1)).astype(jnp.float32)

    return flat(actor), None if critic is None else flat(critic)


def _conform(tree: Any, like: Any) -> Any:
    """``tree`` with every leaf cast to the dtype of the matching leaf of ``like`` (shapes already agree).

    Resets and steps may give one field different dtypes or weak types (a Python ``0`` at reset, an int32 after a
    step): without this the step's input and output would differ and jit would compile the step twice.
    """
    return jax.tree.map(lambda x, ref: jax.lax.convert_element_type(x, ref.dtype), tree, like)


def _zero_where(rows: jax.Array, x: jax.Array) -> jax.Array:
    """``x`` (``(N, dim)``) with the rows where ``rows`` (``(N,)`` bool) is set replaced by zeros."""
    return jnp.where(rows[:, None], jnp.zeros_like(x), x)


def _programs(env: Any, num_envs: int) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The jitted batched reset and step of ``env`` for ``num_envs`` envs."""
    batched_reset = jax.vmap(env.reset)
    batched_step = jax.vmap(env.step)

    def reset(key: jax.Array, limit: jax.Array) -> tuple[Carry, jax.Array, jax.Array | None]:
        keys = jax.random.split(key, 2 * num_envs)
        state = batched_reset(keys[:num_envs])
        action = jnp.zeros((num_envs, env.action_size), jnp.float32)
        # Give the carry the exact types a step returns, so that the step compiles once.
        state = _conform(state, jax.eval_shape(batched_step, state, action))
        carry = Carry(state, jnp.zeros(num_envs, jnp.int32), keys[num_envs:], jnp.asarray(limit, jnp.int32))
        return (carry, *split_obs(state.obs))

    def step(carry: Carry, action: jax.Array) -> tuple[Carry, Transition]:
        # Playground's envs set done afresh each step; clear it as its own autoreset wrapper does.
        state = carry.state.replace(done=jnp.zeros_like(carry.state.done))
        stepped = batched_step(state, action)
        final_obs, final_critic_obs = split_obs(stepped.obs)
        reward = stepped.reward.astype(jnp.float32)
        diverged = ~(jnp.isfinite(final_obs).all(axis=1) & jnp.isfinite(reward))
        if final_critic_obs is not None:
            diverged |= ~jnp.isfinite(final_critic_obs).all(axis=1)
        terminated = (stepped.done != 0) | diverged
        elapsed = carry.elapsed + 1
        truncated = (elapsed >= carry.limit) & ~terminated
        ended = terminated | truncated
        pairs = jax.vmap(jax.random.split)(carry.key)
        next_key, reset_key = pairs[:, 0], pairs[:, 1]

        def with_resets() -> Any:
            fresh = batched_reset(reset_key)

            def pick(new: jax.Array, old: jax.Array) -> jax.Array:
                mask = jnp.reshape(ended, (num_envs,) + (1,) * (old.ndim - 1))
                return jnp.where(mask, new.astype(old.dtype), old)

            return jax.tree.map(pick, fresh, stepped)

        # A real branch (the predicate is not batched): most steps end no episode and skip the reset entirely.
        merged = jax.lax.cond(jnp.any(ended), with_resets, lambda: stepped)
        obs, critic_obs = split_obs(merged.obs)
        final_obs = _zero_where(diverged, final_obs)
        final_critic_obs = None if final_critic_obs is None else _zero_where(diverged, final_critic_obs)
        reward = jnp.where(diverged, 0.0, reward)
        next_carry = Carry(merged, jnp.where(ended, 0, elapsed).astype(jnp.int32), next_key, carry.limit)
        return next_carry, Transition(obs, critic_obs, reward, terminated, truncated, final_obs, final_critic_obs)

    return jax.jit(reset), jax.jit(step)


def build(task: str, num_envs: int, load: Callable[[], tuple[Any, Any]], impl: str) -> Program:
    """The (cached) program for ``task`` at ``num_envs`` envs; ``load`` makes ``(env, config)`` on a cache miss."""
    key = (task, num_envs, impl)
    if key not in _CACHE:
        env, config = load()
        reset, step = _programs(env, num_envs)
        while len(_CACHE) >= _CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]
        _CACHE[key] = Program(env, config, num_envs, reset, step)
    return _CACHE[key]

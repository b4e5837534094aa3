"""The tiny training run the integration tests share: pendulum swing-up, 4 envs, 16-wide networks, 11 bins.

A test states only how its run differs: ``tiny_overrides({"train.num_env_steps": 600})``, with ``None`` to
drop a key (its preset default applies). A few hundred env steps of this run take seconds on 2 CPU cores.
"""

from __future__ import annotations

TINY_RUN: dict[str, object] = {
    "env.num_envs": 4,
    "env.num_eval_envs": 2,
    "env.max_episode_steps": 40,
    "agent.actor_hidden_dim": 16,
    "agent.critic_hidden_dim": 16,
    "agent.critic_num_bins": 11,
    "buffer.capacity": 1000,
    "buffer.min_size": 64,
    "train.batch_size": 32,
    "train.updates_per_vector_step": 1,
    "train.num_env_steps": 400,
    "train.eval_every_env_steps": 400,
    "train.num_eval_episodes": 2,
    "train.log_every_env_steps": 40,
    "logging.progress": "false",
}


def tiny_overrides(changes: dict[str, object] | None = None) -> list[str]:
    """Hydra overrides for the tiny run with ``changes`` applied (a ``None`` value removes the key)."""
    merged = {**TINY_RUN, **(changes or {})}
    return [f"{key}={value}" for key, value in merged.items() if value is not None]

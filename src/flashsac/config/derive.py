"""Values derived from the configuration: iteration counts, update budget, interval lengths."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flashsac.config.schema import RunConfig

__all__ = ["MIN_AUTO_EVAL_EPISODES", "Derived", "derive", "whole_rounds"]

MIN_AUTO_EVAL_EPISODES = 10
"""Episodes an automatic evaluation runs at least (``train.num_eval_episodes=null``, ``flashsac eval``)."""


def whole_rounds(at_least: int, num_envs: int) -> int:
    """The fewest episodes ``>= at_least`` that ``num_envs`` envs run in whole rounds (a multiple of ``num_envs``)."""
    return num_envs * math.ceil(at_least / num_envs)


@dataclass(frozen=True)
class Derived:
    """Quantities computed once from a :class:`RunConfig`.

    Attributes:
        num_iterations: Vector-env steps in the run (``num_env_steps / (num_envs * world_size)``, rounded up).
        warmup_iterations: Vector steps of uniform-random actions before the first update.
        total_updates: Updates the run will make (sets the LR schedule lengths).
        num_eval_episodes: Episodes per evaluation (whole rounds of the eval envs).
    """

    num_iterations: int
    warmup_iterations: int
    total_updates: int
    num_eval_episodes: int


def derive(cfg: RunConfig, world_size: int = 1) -> Derived:
    """Compute the derived quantities of a run configuration (assumes it passed :func:`validate`).

    Args:
        cfg: The run configuration.
        world_size: Data-parallel ranks (docs/distributed.md). ``env.num_envs`` and ``buffer.min_size`` are per
            rank and ``train.num_env_steps`` counts all ranks, so every vector step collects ``world_size *
            env.num_envs`` env steps and N ranks take N times fewer vector steps (and updates) than one.
    """
    num_envs = cfg.env.num_envs
    num_iterations = math.ceil(cfg.train.num_env_steps / (num_envs * world_size))
    # Each rank fills its own buffer shard: warm-up lasts until a shard holds buffer.min_size transitions.
    warmup_iterations = min(num_iterations, math.ceil(cfg.buffer.min_size / num_envs))
    total_updates = max(1, math.floor((num_iterations - warmup_iterations) * cfg.train.updates_per_vector_step))
    eval_envs = cfg.env.num_eval_envs
    num_eval_episodes = cfg.train.num_eval_episodes or whole_rounds(MIN_AUTO_EVAL_EPISODES, eval_envs)
    return Derived(num_iterations, warmup_iterations, total_updates, num_eval_episodes)

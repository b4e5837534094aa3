"""Gymnasium helpers of the stand-in (real: mani_skill/utils/gym_utils.py, ManiSkill 3.0.1)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym


def find_max_episode_steps_value(env: Any) -> int | None:
    """The time limit given to ``gymnasium.make`` or registered (real: the same search down the wrapper stack).

    A ``ManiSkillVectorEnv`` is searched from its wrapped env; on each level ``max_episode_steps``, then
    ``_max_episode_steps``, then the level's spec are tried.
    """
    from mani_skill.vector.wrappers.gymnasium import ManiSkillVectorEnv

    current = env._env if isinstance(env, ManiSkillVectorEnv) else env
    while current is not None:
        for name in ("max_episode_steps", "_max_episode_steps"):
            try:
                return current.get_wrapper_attr(name)
            except AttributeError:
                pass
        if current.spec is not None and current.spec.max_episode_steps is not None:
            return current.spec.max_episode_steps
        current = current.env if isinstance(current, gym.Wrapper) else None
    return None

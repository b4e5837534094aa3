"""Task registration and the batched time limit (real: mani_skill/utils/registration.py, ManiSkill 3.0.1).

Facts imitated: ``register_env(uid, max_episode_steps=...)`` registers the class with gymnasium under ``uid`` with
``disable_env_checker=True`` and one additional wrapper ``MSTimeLimit`` (``TimeLimitWrapper``). That wrapper sets
``truncated = base_env.elapsed_steps >= max_episode_steps`` (a per-env bool tensor); built inside
``gymnasium.make`` it takes ``max_episode_steps`` from ``make``'s own argument when not ``None`` and removes
gymnasium's ``TimeLimit`` from the stack (real: by reading the calling frame, as here).
"""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

import gymnasium as gym
import torch
from gymnasium.envs.registration import WrapperSpec

REGISTERED_ENVS: dict[str, type] = {}


class TimeLimitWrapper(gym.Wrapper):
    """Per-env truncation at ``max_episode_steps`` from the base env's ``elapsed_steps`` counter."""

    def __init__(self, env: gym.Env, max_episode_steps: int | None) -> None:
        super().__init__(env)
        caller = sys._getframe(1)
        if caller.f_code.co_name == "make" and "max_episode_steps" in caller.f_locals:
            if caller.f_locals["max_episode_steps"] is not None:
                max_episode_steps = caller.f_locals["max_episode_steps"]
            inner: Any = env
            while isinstance(inner, gym.Wrapper):
                if isinstance(inner, gym.wrappers.TimeLimit):
                    self.env = inner.env
                    break
                inner = inner.env
        self._max_episode_steps = max_episode_steps

    @property
    def base_env(self) -> Any:
        """The unwrapped batched env."""
        return self.env.unwrapped

    def step(self, action: Any) -> tuple[Any, Any, Any, torch.Tensor, dict]:
        """Step the env; ``truncated`` comes from the per-env step counter."""
        obs, reward, terminated, _, info = self.env.step(action)
        base = self.base_env
        if self._max_episode_steps is None:
            truncated = torch.zeros(base.num_envs, dtype=torch.bool, device=base.device)
        else:
            truncated = base.elapsed_steps >= self._max_episode_steps
        return obs, reward, terminated, truncated, info


def make(env_id: str, **kwargs: Any) -> Any:
    """Instantiate a registered task class with ``kwargs`` (real: ``registration.make``)."""
    if env_id not in REGISTERED_ENVS:
        raise KeyError(f"Env {env_id} not found in registry")
    return REGISTERED_ENVS[env_id](**kwargs)


def register_env(
    uid: str,
    max_episode_steps: int | None = None,
    override: bool = False,
    asset_download_ids: tuple[str, ...] | list[str] = (),
    **kwargs: Any,
) -> Any:
    """Class decorator registering a task for ManiSkill and gymnasium (real: ``registration.register_env``).

    ``asset_download_ids`` is accepted and ignored: the stand-in needs no assets (the real ``make`` downloads
    them, or asks on stdin unless ``MS_SKIP_ASSET_DOWNLOAD_PROMPT=1``).
    """

    def _register(cls: type) -> type:
        REGISTERED_ENVS[uid] = cls
        gym.register(
            uid,
            entry_point=partial(make, env_id=uid),
            max_episode_steps=max_episode_steps,
            disable_env_checker=True,
            kwargs=dict(kwargs),
            additional_wrappers=(
                WrapperSpec(
                    "MSTimeLimit",
                    entry_point="mani_skill.utils.registration:TimeLimitWrapper",
                    kwargs={"max_episode_steps": max_episode_steps},
                ),
            ),
        )
        return cls

    return _register

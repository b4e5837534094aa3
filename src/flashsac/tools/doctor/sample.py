"""Roll an env with one action source and keep what the doctor inspects: actions, observations, rewards, ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from flashsac.envs.protocol import VecEnv

__all__ = ["Rollout", "roll"]


@dataclass
class Rollout:
    """What ``steps`` vector steps of one action source produced, flattened over envs and time (on CPU).

    Attributes:
        actions: ``(steps * N, action_dim)`` the actions sent to the env.
        obs: ``(steps * N + N, obs_dim)`` every observation seen (reset ones included).
        rewards: ``(steps * N,)``.
        terminated: ``(steps * N,)`` bool.
        truncated: ``(steps * N,)`` bool.
        episode_steps_at_end: Elapsed steps of each episode that ended (terminated or truncated), in order.
        ended_terminated: For each entry of ``episode_steps_at_end``: ``True`` if it terminated.
        final_equals_reset: Number of ended episodes whose ``final_obs`` equals the post-reset ``obs``.
    """

    actions: torch.Tensor
    obs: torch.Tensor
    rewards: torch.Tensor
    terminated: torch.Tensor
    truncated: torch.Tensor
    episode_steps_at_end: torch.Tensor
    ended_terminated: torch.Tensor
    final_equals_reset: int


def roll(env: VecEnv, act: Callable[[torch.Tensor], torch.Tensor], steps: int, seed: int) -> Rollout:
    """Reset ``env`` with ``seed`` and step it ``steps`` times with ``act(obs)``; collect everything on CPU.

    A diagnostic, not a hot loop: tensors are moved to the CPU each step so the doctor can inspect any device.
    """
    obs, _ = env.reset(seed)
    n = env.spec.num_envs
    elapsed = torch.zeros(n, dtype=torch.int64)
    actions, seen, rewards, terminated, truncated = [], [obs.cpu()], [], [], []
    ends, ended_terminated, final_equals_reset = [], [], 0
    for _ in range(steps):
        action = act(obs)
        step = env.step(action)
        elapsed += 1
        done = step.done.cpu()
        actions.append(action.detach().cpu())
        seen.append(step.obs.cpu())
        rewards.append(step.reward.cpu())
        terminated.append(step.terminated.cpu())
        truncated.append(step.truncated.cpu())
        if bool(done.any()):
            ends.append(elapsed[done].clone())
            ended_terminated.append(step.terminated.cpu()[done])
            same = (step.final_obs.cpu()[done] == step.obs.cpu()[done]).all(dim=1)
            final_equals_reset += int(same.sum())
            elapsed[done] = 0
        obs = step.obs
    empty_long, empty_bool = torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.bool)
    return Rollout(
        actions=torch.cat(actions) if actions else torch.zeros(0, env.spec.action_dim),
        obs=torch.cat(seen),
        rewards=torch.cat(rewards) if rewards else torch.zeros(0),
        terminated=torch.cat(terminated) if terminated else empty_bool,
        truncated=torch.cat(truncated) if truncated else empty_bool,
        episode_steps_at_end=torch.cat(ends) if ends else empty_long,
        ended_terminated=torch.cat(ended_terminated) if ended_terminated else empty_bool,
        final_equals_reset=final_equals_reset,
    )

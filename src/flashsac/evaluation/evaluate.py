"""The evaluation protocol: deterministic policy, one whole episode per eval env per round.

Each eval env contributes exactly its first episode of a round (steps after its first episode end are
masked out); ``num_episodes`` must be a multiple of the number of eval envs. Metrics: mean return, mean
length, success at any step of the episode and success at its final step (docs/algorithm.md section 7.4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from flashsac.envs.protocol import VecEnv

__all__ = ["EvalResult", "evaluate"]


@dataclass
class EvalResult:
    """Outcome of one evaluation.

    Attributes:
        returns: Undiscounted return of each episode.
        lengths: Length of each episode in env steps.
        success_once: Per episode, whether ``info["success"]`` was true at any step (absent: all false).
        success_end: Per episode, whether ``info["success"]`` was true at the final step.
    """

    returns: list[float]
    lengths: list[int]
    success_once: list[bool]
    success_end: list[bool]

    def scalars(self) -> dict[str, float]:
        """The logged summary: ``eval/avg_return``, ``eval/avg_length``, ``eval/avg_success_once``/``_end``."""
        n = max(len(self.returns), 1)
        return {
            "eval/avg_return": sum(self.returns) / n,
            "eval/avg_length": sum(self.lengths) / n,
            "eval/avg_success_once": sum(self.success_once) / n,
            "eval/avg_success_end": sum(self.success_end) / n,
        }


@torch.no_grad()
def evaluate(policy: Callable[[torch.Tensor], torch.Tensor], env: VecEnv, num_episodes: int, seed: int) -> EvalResult:
    """Run ``num_episodes`` episodes of the deterministic ``policy`` on ``env``.

    Args:
        policy: Maps ``(N, obs_dim)`` observations to actions in environment units.
        env: The evaluation environments (``N = env.spec.num_envs``).
        num_episodes: A multiple of ``N``.
        seed: Seed of the first round's reset; round r uses ``seed + r``.
    """
    spec = env.spec
    n = spec.num_envs
    if num_episodes % n:
        raise ValueError(f"num_eval_episodes={num_episodes} must be a multiple of the eval env count {n}.")
    limit = spec.max_episode_steps or 100_000
    result = EvalResult([], [], [], [])
    for round_index in range(num_episodes // n):
        obs, _ = env.reset(seed + round_index)
        ret = torch.zeros(n, device=spec.device)
        length = torch.zeros(n, dtype=torch.int64, device=spec.device)
        running = torch.ones(n, dtype=torch.bool, device=spec.device)
        once = torch.zeros(n, dtype=torch.bool, device=spec.device)
        end = torch.zeros(n, dtype=torch.bool, device=spec.device)
        for t in range(limit):
            step = env.step(policy(obs).to(spec.device))
            ret += torch.where(running, step.reward, torch.zeros_like(step.reward))
            length += running.long()
            success = step.info.get("success")
            if success is not None:
                once |= running & success.bool()
                end = torch.where(running & step.done, success.bool(), end)
            running &= ~step.done
            obs = step.obs
            # Checking for the end syncs with the device, so do it only every few steps.
            if t % 16 == 15 and not bool(running.any()):
                break
        result.returns += ret.tolist()
        result.lengths += length.tolist()
        result.success_once += once.tolist()
        result.success_end += end.tolist()
    return result

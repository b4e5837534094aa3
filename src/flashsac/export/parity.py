"""Parity of an exported policy with the checkpoint's torch policy, on rollout observations and extreme values.

The reference is exactly what ``flashsac eval`` runs: :meth:`FlashSACAgent.act` with ``deterministic=True``. The
observations are the ones a deployed policy meets (states visited by the checkpoint's own stochastic policy in the
task's simulator) plus inputs far outside them (zeros, +-1e3 on every entry, on one entry at a time, and random
signs), where a wrongly folded normaliser or a missing clamp would show. An export passes when, in every action
dimension, the largest absolute difference is at most :data:`TOLERANCE` of that dimension's box width.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.envs.protocol import VecEnv
from flashsac.export.formats import Runner

__all__ = [
    "EXTREME",
    "TOLERANCE",
    "ParityResult",
    "compare",
    "extreme_observations",
    "rollout_observations",
    "run_batched",
]

TOLERANCE = 1e-5
"""Largest allowed difference, as a fraction of each action dimension's width ``high - low``."""

EXTREME = 1e3
"""Magnitude of the out-of-distribution test inputs."""


@dataclass(frozen=True)
class ParityResult:
    """How far one exported format's actions are from the torch policy's.

    Attributes:
        format: ``"onnx"`` or ``"torchscript"``.
        observations: Number of observations compared.
        max_abs_diff: Largest absolute difference over all observations and dimensions (environment units).
        max_diff_over_width: Largest per-dimension difference divided by that dimension's box width.
    """

    format: str
    observations: int
    max_abs_diff: float
    max_diff_over_width: float

    @property
    def passed(self) -> bool:
        """``True`` when every dimension is within :data:`TOLERANCE` of its box width."""
        return self.max_diff_over_width <= TOLERANCE


def extreme_observations(obs_dim: int, seed: int = 0) -> torch.Tensor:
    """``(3 + 2 obs_dim + 64, obs_dim)`` inputs: zeros, all +-1e3, each entry +-1e3 alone, 64 random sign patterns."""
    eye = torch.eye(obs_dim)
    generator = torch.Generator().manual_seed(seed)
    signs = torch.randint(0, 2, (64, obs_dim), generator=generator).float() * 2 - 1
    ones = torch.ones(1, obs_dim)
    return torch.cat((torch.zeros(1, obs_dim), torch.cat((ones, -ones, eye, -eye, signs)) * EXTREME))


@torch.no_grad()
def rollout_observations(agent: FlashSACAgent, env: VecEnv, count: int, seed: int) -> torch.Tensor:
    """At least ``count`` observations ``(M, obs_dim)`` (CPU) visited by ``agent``'s stochastic policy in ``env``.

    The exploration noise comes from a generator of its own (seeded by ``seed``), so the agent's and the process's
    random streams are left untouched.
    """
    generator = torch.Generator(device=env.spec.device).manual_seed(seed)
    agent.actor.eval()
    obs, _ = env.reset(seed)
    collected: list[torch.Tensor] = []
    total = 0
    while total < count:
        collected.append(obs.detach().to("cpu", torch.float32))
        total += obs.shape[0]
        mean, log_std = agent.actor(obs.to(agent.device))
        noise = torch.randn(mean.shape, generator=generator, device=env.spec.device).to(agent.device)
        action = agent.action_scaler.to_env(torch.tanh(mean + log_std.exp() * noise))
        obs = env.step(action.to(env.spec.device)).obs
    return torch.cat(collected)


def compare(
    name: str, reference: torch.Tensor, candidate: torch.Tensor, low: torch.Tensor, high: torch.Tensor
) -> ParityResult:
    """Compare ``candidate`` actions with ``reference`` ones, both ``(M, A)`` in environment units."""
    diff = (candidate.detach().cpu().double() - reference.detach().cpu().double()).abs()
    width = (high.detach().cpu().double() - low.detach().cpu().double())[None, :]
    if diff.numel() == 0:
        return ParityResult(name, 0, 0.0, 0.0)
    # NaN (a broken graph) must fail: torch.nan_to_num maps it to +inf before the maximum.
    diff = torch.nan_to_num(diff, nan=float("inf"))
    return ParityResult(name, int(diff.shape[0]), float(diff.max()), float((diff / width).max()))


def run_batched(runner: Runner, obs: torch.Tensor, batch: int = 4096) -> torch.Tensor:
    """``runner`` over ``obs`` in chunks of ``batch`` rows (bounded memory for large parity sets)."""
    return torch.cat([runner(chunk) for chunk in obs.split(batch)])

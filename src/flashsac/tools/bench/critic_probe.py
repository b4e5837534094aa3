"""How much the trained critic's value depends on the action, against what the action really changes.

For a checkpoint, one deterministic evaluation episode is replayed from its reset seed. At each probe step k
(``--at``) and for each probe action a (``--actions``, in tanh units), the same episode is replayed to step k,
a is taken once, and the deterministic policy acts after it; the discounted return from step k, scaled by the
run's reward scale, is a Monte-Carlo estimate of Q(s_k, a) for the deterministic policy. Beside it stands the
critic's own estimate (the smaller of the twin expected values, as the actor loss uses it). The spread of each
across the probe actions says whether the critic resolves what the action does: a critic that is nearly flat in
the action where the true returns differ gives the actor no direction. The environment must be deterministic
given its reset seed (DMC and the MuJoCo tasks are).

Usage: ``flashsac bench critic-probe --checkpoint RUN/checkpoints/final.pt``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch

from flashsac.agents.flashsac.exploration import NoiseRepeater
from flashsac.envs.protocol import VecEnv
from flashsac.envs.registry import make_env_from_config
from flashsac.evaluation.policy import LoadedPolicy, load_policy
from flashsac.tools.bench.common import machine_info, write_json

__all__ = ["DESCRIPTION", "main", "probe"]

DESCRIPTION = "a checkpoint's critic: value spread across actions vs the Monte-Carlo returns those actions give"


def _rollout(
    env: VecEnv,
    policy: LoadedPolicy,
    seed: int,
    at: int,
    unit_action: torch.Tensor,
    gamma: float,
    noise: NoiseRepeater | None = None,
) -> tuple[torch.Tensor, float, int]:
    """Replay the deterministic episode to step ``at``, take ``unit_action`` there, then follow the policy.

    The policy acts with its mean, or with ``noise`` as in training (tanh of mean + std x repeated noise).
    Returns the observation at ``at``, the discounted raw return from ``at`` and the episode length.
    """
    agent = policy.agent
    obs, _ = env.reset(seed=seed)
    probe_obs = obs
    discounted, discount = 0.0, 1.0
    t = 0
    while True:
        with torch.no_grad():
            if t == at:
                probe_obs = obs
                action = agent.action_scaler.to_env(unit_action.view(1, -1))
            elif t > at and noise is not None:
                action = agent.action_scaler.to_env(agent.actor.sample(obs.to(agent.device), noise())[0])
            else:
                action = agent.act(obs, deterministic=True)
        step = env.step(action)
        if t >= at:
            discounted += discount * float(step.reward[0])
            discount *= gamma
        t += 1
        if bool(step.terminated[0]) or bool(step.truncated[0]):
            return probe_obs, discounted, t
        obs = step.obs


def probe(checkpoint: Path, at: list[int], actions: list[float], seed: int, noisy: int = 0) -> dict[str, Any]:
    """Critic values and Monte-Carlo returns (both in scaled-return units) at each probe step and action.

    With ``noisy`` > 0, each (step, action) also gets the mean return of that many rollouts in which the policy
    acts with its training noise after the probe action (noise seeds 0..noisy-1): the noisy policy's returns.
    """
    policy = load_policy(checkpoint)
    agent, cfg = policy.agent, policy.cfg
    if policy.spec.action_dim != 1:
        raise SystemExit(
            f"critic-probe: {checkpoint} acts on {policy.spec.action_dim} action dimensions; the probe varies one "
            "action (use a 1-D task such as dmc cartpole)."
        )
    if policy.spec.critic_obs_dim is not None:
        raise SystemExit(
            f"critic-probe: {checkpoint} has a privileged critic observation; the probe feeds the critic the actor's "
            "observation, so it supports only tasks without one."
        )
    env = make_env_from_config(cfg.env, seed, torch.device("cpu"), num_envs=1)
    agent.actor.eval()
    agent.critic.eval()
    scale = float(agent.reward_scaler.scale()) if cfg.agent.normalize_reward else 1.0
    grid = torch.tensor(actions, dtype=torch.float32)
    rows = []
    try:
        for k in at:
            returns: list[float] = []
            noisy_returns: list[float] = []
            obs, length = torch.empty(0), 0
            for a in grid:
                obs, ret, length = _rollout(env, policy, seed, k, a.view(1), cfg.agent.gamma)
                returns.append(ret / scale)
                total = 0.0
                for noise_seed in range(noisy):
                    noise = NoiseRepeater(
                        1, 1, cfg.agent.noise_zeta_mu, cfg.agent.noise_zeta_max, device=agent.device, seed=noise_seed
                    )
                    total += _rollout(env, policy, seed, k, a.view(1), cfg.agent.gamma, noise)[1] / scale
                if noisy:
                    noisy_returns.append(total / noisy)
            if k >= length:
                break
            with torch.no_grad():
                x = obs.to(agent.device).expand(len(grid), -1)
                q = agent.critic.expected_value(agent.critic(x, grid.view(-1, 1).to(agent.device))).min(0).values
            rows.append(
                {
                    "step": k,
                    "obs": [round(v, 4) for v in obs[0].tolist()],
                    "critic_q": [round(v, 4) for v in q.tolist()],
                    "monte_carlo_q": [round(v, 4) for v in returns],
                    "critic_spread": round(float(q.max() - q.min()), 4),
                    "monte_carlo_spread": round(max(returns) - min(returns), 4),
                }
            )
            if noisy:
                rows[-1] |= {
                    "noisy_monte_carlo_q": [round(v, 4) for v in noisy_returns],
                    "noisy_monte_carlo_spread": round(max(noisy_returns) - min(noisy_returns), 4),
                }
    finally:
        env.close()
    return {
        "checkpoint": str(checkpoint),
        "reward_scale": scale,
        "actions": actions,
        "seed": seed,
        "noisy_rollouts": noisy,
        "rows": rows,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashsac bench critic-probe", description=DESCRIPTION)
    parser.add_argument("--checkpoint", type=Path, required=True, help="a flashsac checkpoint of a 1-D action task")
    parser.add_argument("--at", type=int, nargs="+", default=[0, 20, 40, 60, 80, 100], help="probe steps")
    parser.add_argument("--actions", type=float, nargs="+", default=[-1.0, -0.5, 0.0, 0.5, 1.0], help="tanh units")
    parser.add_argument("--seed", type=int, default=12345, help="reset seed of the replayed episode")
    parser.add_argument(
        "--noisy", type=int, default=0, help="also average this many rollouts with the training noise after the probe"
    )
    parser.add_argument("--out", type=Path, help="JSON result file (default: print only)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Probe the checkpoint, print one line per probe step, write the JSON if ``--out`` is given."""
    args = _parser().parse_args(argv)
    if not args.checkpoint.is_file():
        raise SystemExit(f"critic-probe: --checkpoint {args.checkpoint} is not a file; pass a checkpoint .pt file.")
    if any(not -1.0 <= a <= 1.0 for a in args.actions):
        raise SystemExit("critic-probe: --actions are tanh units; give values in [-1, 1].")
    if args.noisy < 0:
        raise SystemExit("critic-probe: --noisy counts rollouts; give 0 or more.")
    torch.set_num_threads(1)
    result = probe(args.checkpoint, args.at, args.actions, args.seed, args.noisy)
    for row in result["rows"]:
        line = (
            f"step {row['step']:4d}: critic spread {row['critic_spread']:.4f} "
            f"(Q {', '.join(f'{v:.3f}' for v in row['critic_q'])}) | Monte-Carlo spread "
            f"{row['monte_carlo_spread']:.4f} (G {', '.join(f'{v:.3f}' for v in row['monte_carlo_q'])})"
        )
        if "noisy_monte_carlo_q" in row:
            noisy = ", ".join(f"{v:.3f}" for v in row["noisy_monte_carlo_q"])
            line += f" | with noise {row['noisy_monte_carlo_spread']:.4f} (G {noisy})"
        print(line)
    if args.out is not None:
        write_json(args.out, {"benchmark": "critic-probe", "machine": machine_info(torch.device("cpu"))} | result)
        print(f"critic-probe: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

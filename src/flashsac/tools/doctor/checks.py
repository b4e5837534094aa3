"""The doctor's diagnoses: pure functions from rollouts, bounds and joint limits to statistics and findings."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.bounded import HUGE_BOUND
from flashsac.envs.protocol import EnvSpec
from flashsac.tools.doctor.sample import Rollout

__all__ = [
    "EDGE_BAND",
    "ActionStats",
    "Finding",
    "action_stats",
    "bounds_findings",
    "episode_findings",
    "observation_findings",
    "reward_findings",
    "saturation_findings",
]

EDGE_BAND = 0.02
"""An action within this share of the box width from a bound counts as saturated (pinned at the edge)."""
_OBS_HUGE, _OBS_STD_HUGE, _REWARD_HUGE = 1e3, 100.0, 1e3


@dataclass(frozen=True)
class Finding:
    """One diagnosis: ``level`` is ``error`` (training would be wrong), ``warning`` or ``info``."""

    level: str
    topic: str
    message: str


@dataclass(frozen=True)
class ActionStats:
    """Per-dimension statistics of one action source (lists of length ``action_dim``).

    Attributes:
        source: ``random`` (uniform warm-up actions) or ``initial_policy`` (the untrained actor, stochastic).
        edge_share: Share of actions within ``EDGE_BAND`` of the box width from either bound.
        beyond_soft_limits: Share whose joint target ``q0 + s * a`` leaves the soft limits (``None``: no limits).
        declared_range_used: Width between the 1st and 99th percentile over the declared width (``None`` when
            the declared bounds are infinite).
    """

    source: str
    edge_share: list[float]
    beyond_soft_limits: list[float] | None
    declared_range_used: list[float] | None


def action_stats(
    source: str,
    actions: torch.Tensor,
    low: torch.Tensor,
    high: torch.Tensor,
    declared_low: torch.Tensor,
    declared_high: torch.Tensor,
    limits: JointLimits | None,
) -> ActionStats:
    """Saturation, soft-limit excess and range use of ``(samples, action_dim)`` actions in the box ``[low, high]``."""
    band = EDGE_BAND * (high - low)
    edge = ((actions <= low + band) | (actions >= high - band)).float().mean(0)
    beyond = None
    if limits is not None:
        target = limits.q0.cpu() + limits.scale.cpu() * actions
        outside = (target < limits.q_min.cpu() - 1e-6) | (target > limits.q_max.cpu() + 1e-6)
        beyond = outside.float().mean(0).tolist()
    used = None
    declared_width = declared_high - declared_low
    if bool(torch.isfinite(declared_width).all()):
        spread = torch.quantile(actions, 0.99, dim=0) - torch.quantile(actions, 0.01, dim=0)
        used = (spread / declared_width).tolist()
    return ActionStats(source, edge.tolist(), beyond, used)


def bounds_findings(
    declared_low: torch.Tensor,
    declared_high: torch.Tensor,
    mode: str,
    refused: str | None,
    limits: JointLimits | None,
    joint_box: tuple[torch.Tensor, torch.Tensor] | None,
) -> list[Finding]:
    """Unbounded or huge declared bounds, what the run's box choice does about them, and the joint-limit box."""
    out: list[Finding] = []
    finite = bool(torch.isfinite(declared_low).all() and torch.isfinite(declared_high).all())
    widest = float(torch.maximum(declared_low.abs(), declared_high.abs()).max())
    if refused is not None:
        out.append(Finding("error", "bounds", f"training refuses this run's action box: {refused}"))
    if not finite:
        out.append(
            Finding("warning", "bounds", "the env declares unbounded actions; a tanh policy needs a finite box.")
        )
    elif widest > HUGE_BOUND:
        out.append(
            Finding(
                "warning",
                "bounds",
                f"the env declares bounds up to +-{widest:g} (the IsaacLab +-100 trap): random and tanh actions "
                "spread over that box mostly ask for joint targets far beyond the joints' range.",
            )
        )
    if joint_box is not None and finite:
        share = float(((joint_box[1] - joint_box[0]) / (declared_high - declared_low)).mean())
        out.append(
            Finding(
                "info",
                "bounds",
                f"the soft joint limits cover {100 * share:.2g}% of the declared range on average "
                "(env.action_bounds=joint_limits trains on exactly that part).",
            )
        )
    if limits is None and mode == "joint_limits":
        out.append(Finding("error", "bounds", "env.action_bounds=joint_limits, but the env exposes no joint limits."))
    return out


def saturation_findings(stats: list[ActionStats]) -> list[Finding]:
    """Flag action sources that mostly hit the box edges or the soft joint limits."""
    out: list[Finding] = []
    for s in stats:
        if s.beyond_soft_limits is not None:
            beyond = sum(s.beyond_soft_limits) / len(s.beyond_soft_limits)
            if beyond > 0.25:
                out.append(
                    Finding(
                        "warning",
                        "saturation",
                        f"{100 * beyond:.0f}% of {s.source} actions ask for joint targets beyond the soft limits "
                        "(the joints sit against their stops); use env.action_bounds=joint_limits.",
                    )
                )
        edge = max(s.edge_share)
        if s.source == "initial_policy" and edge > 0.2:
            out.append(
                Finding(
                    "warning",
                    "saturation",
                    f"the initial policy puts up to {100 * edge:.0f}% of its actions at the box edges "
                    "(tanh saturated): check agent.init_std and the bounds.",
                )
            )
    return out


def observation_findings(obs: torch.Tensor) -> list[Finding]:
    """Non-finite, huge or constant observation dimensions."""
    out: list[Finding] = []
    bad = ~torch.isfinite(obs).all(0)
    if bool(bad.any()):
        dims = bad.nonzero().flatten().tolist()
        out.append(Finding("error", "observations", f"non-finite observations in dimensions {dims}."))
    clean = torch.nan_to_num(obs, nan=0.0, posinf=0.0, neginf=0.0)
    big = (clean.abs().amax(0) > _OBS_HUGE) | (clean.std(0) > _OBS_STD_HUGE)
    if bool(big.any()):
        dims = big.nonzero().flatten().tolist()
        out.append(
            Finding(
                "warning",
                "observations",
                f"observation dimensions {dims} reach |x| > {_OBS_HUGE:g} or std > {_OBS_STD_HUGE:g}: the "
                "networks' first batch-norm copes, but check the units (radians vs degrees, raw positions).",
            )
        )
    constant = clean.std(0) == 0
    if bool(constant.any()) and clean.shape[0] > 1:
        out.append(Finding("info", "observations", f"dimensions {constant.nonzero().flatten().tolist()} never change."))
    return out


def reward_findings(rewards: torch.Tensor) -> list[Finding]:
    """Non-finite, huge or all-zero rewards."""
    if rewards.numel() == 0:
        return []
    if not bool(torch.isfinite(rewards).all()):
        return [Finding("error", "rewards", "non-finite rewards: training would stop at the first one.")]
    biggest = float(rewards.abs().max())
    if biggest > _REWARD_HUGE:
        return [
            Finding(
                "warning",
                "rewards",
                f"per-step rewards reach |r| = {biggest:g}: FlashSAC's return-based scaling copes, but a reward "
                "this large often means a mis-scaled term.",
            )
        ]
    if biggest == 0.0:
        return [Finding("info", "rewards", "every reward was 0 in this sample (sparse task, or a broken reward).")]
    return []


def episode_findings(spec: EnvSpec, rollout: Rollout) -> list[Finding]:
    """Time-limit set-up and the true final observation."""
    out: list[Finding] = []
    limit = spec.max_episode_steps
    if limit is None:
        out.append(
            Finding(
                "warning",
                "time_limit",
                "the env has no time limit: episodes only end by termination; set env.max_episode_steps.",
            )
        )
    if not spec.exact_final_obs:
        out.append(
            Finding(
                "warning",
                "final_obs",
                "the adapter cannot return the true final observation: time-outs bootstrap from the post-reset "
                "observation (biased targets).",
            )
        )
    ended = rollout.episode_steps_at_end.numel()
    if ended == 0:
        out.append(Finding("info", "time_limit", "no episode ended in the sample; raise --steps to check ends."))
        return out
    if spec.exact_final_obs and rollout.final_equals_reset == ended:
        out.append(
            Finding(
                "error",
                "final_obs",
                f"all {ended} ended episodes returned final_obs equal to the post-reset observation, though the "
                "adapter claims exact final observations.",
            )
        )
    both = int((rollout.terminated & rollout.truncated).sum())
    if both:
        out.append(
            Finding(
                "error",
                "time_limit",
                f"{both} steps set terminated and truncated together: a time-out must be truncated only "
                "(bootstrap), a termination terminated only.",
            )
        )
    at_limit = rollout.episode_steps_at_end == limit if limit is not None else torch.zeros(ended, dtype=torch.bool)
    terminal = int(rollout.ended_terminated.sum())
    terminal_at_limit = int((at_limit & rollout.ended_terminated).sum())
    if terminal and terminal_at_limit == terminal and not bool(rollout.truncated.any()):
        out.append(
            Finding(
                "error",
                "time_limit",
                f"all {terminal} terminations came exactly at the time limit ({limit}) and nothing was truncated: "
                "time-outs are reported as terminations (no bootstrap).",
            )
        )
    return out

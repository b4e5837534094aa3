"""``flashsac doctor``'s work: build the env as training would, roll two action sources, diagnose, write files."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from flashsac.agents.random import RandomPolicy
from flashsac.config.schema import EnvConfig, RunConfig
from flashsac.envs.action_bounds import joint_limit_bounds
from flashsac.envs.bounded import BoundedEnv, BoundsError, apply_bounds, env_joint_limits
from flashsac.envs.protocol import VecEnv
from flashsac.envs.registry import make_raw_env
from flashsac.tools.doctor.checks import (
    ActionStats,
    Finding,
    action_stats,
    bounds_findings,
    episode_findings,
    observation_findings,
    reward_findings,
    saturation_findings,
)
from flashsac.tools.doctor.figure import plot_action_distributions
from flashsac.tools.doctor.sample import roll
from flashsac.trainer.parts import build_agent, resolve_run_devices, seed_run

__all__ = ["DoctorReport", "default_steps", "diagnose"]

_MAX_DEFAULT_STEPS = 1100


@dataclass
class DoctorReport:
    """Everything the doctor found about one env, as the JSON file holds it."""

    env: str
    task: str
    num_envs: int
    vector_steps: int
    declared_low: list[float]
    declared_high: list[float]
    trained_low: list[float]
    trained_high: list[float]
    joint_limit_low: list[float] | None
    joint_limit_high: list[float] | None
    action_bounds: str
    stats: list[ActionStats]
    findings: list[Finding]
    figure: str
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        """The error-level findings (training would be wrong)."""
        return [f for f in self.findings if f.level == "error"]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``doctor.json`` (infinite bounds as strings, which JSON lacks)."""
        out = dataclasses.asdict(self)
        for key in ("declared_low", "declared_high"):
            out[key] = [v if math.isfinite(v) else str(v) for v in out[key]]
        return out


def default_steps(max_episode_steps: int | None) -> int:
    """Vector steps to roll by default: one whole episode and a little, so an episode end is seen."""
    return min((max_episode_steps or 200) + 2, _MAX_DEFAULT_STEPS)


def _training_box(raw: VecEnv, env_cfg: EnvConfig) -> tuple[VecEnv, str | None]:
    """The env as training would bound it, or (when training refuses) bounded by a fallback box to sample in."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the doctor reports huge bounds itself
            return apply_bounds(raw, env_cfg), None
    except BoundsError as err:
        limits = env_joint_limits(raw)
        if limits is not None:
            low, high = joint_limit_bounds(limits)
        else:
            low, high = -torch.ones(raw.spec.action_dim), torch.ones(raw.spec.action_dim)
        return BoundedEnv(raw, low, high), str(err)


def diagnose(cfg: RunConfig, out_dir: Path, steps: int | None = None) -> DoctorReport:
    """Roll the configured env with random and initial-policy actions and diagnose bounds, scales and ends.

    Args:
        cfg: The run configuration as ``flashsac train`` would use it (env, bounds choice, agent sizes).
        out_dir: Where ``doctor.json`` and ``actions.png`` go.
        steps: Vector steps per action source; ``None`` rolls one episode and a little.
    """
    e = cfg.env
    # Built as training builds its parts (seeded first), so the initial policy is one training could start from.
    seed_run(cfg)
    devices = resolve_run_devices(cfg)
    raw = make_raw_env(e, cfg.seed, devices.env)  # the declared box is reported, so the env is bounded below
    try:
        declared = (raw.spec.action_low.cpu(), raw.spec.action_high.cpu())
        limits = env_joint_limits(raw)
        joint_box = joint_limit_bounds(limits, e.joint_limit_fraction) if limits is not None else None
        env, refused = _training_box(raw, e)
        spec = env.spec
        box = (spec.action_low.cpu(), spec.action_high.cpu())
        steps = steps or default_steps(spec.max_episode_steps)
        agent = build_agent(cfg, spec, devices.learner)
        sources = {
            "random": RandomPolicy(spec, seed=cfg.seed).act,
            "initial_policy": lambda obs: agent.act(obs.to(devices.learner)).to(spec.device),
        }
        rollouts = {name: roll(env, act, steps, cfg.seed) for name, act in sources.items()}
    finally:
        raw.close()
    stats = [action_stats(n, r.actions, *box, *declared, limits) for n, r in rollouts.items()]
    findings = bounds_findings(*declared, e.action_bounds, refused, limits, joint_box) + saturation_findings(stats)
    findings += observation_findings(torch.cat([r.obs for r in rollouts.values()]))
    findings += reward_findings(torch.cat([r.rewards for r in rollouts.values()]))
    findings += episode_findings(spec, rollouts["random"])
    figure = plot_action_distributions(
        out_dir / "actions.png",
        {n: r.actions for n, r in rollouts.items()},
        box,
        declared,
        joint_box,
        spec.joint_names,
        f"{e.name}/{e.task}: actions vs bounds (env.action_bounds={e.action_bounds})",
    )
    report = DoctorReport(
        env=e.name,
        task=e.task,
        num_envs=spec.num_envs,
        vector_steps=steps,
        declared_low=declared[0].tolist(),
        declared_high=declared[1].tolist(),
        trained_low=box[0].tolist(),
        trained_high=box[1].tolist(),
        joint_limit_low=joint_box[0].tolist() if joint_box is not None else None,
        joint_limit_high=joint_box[1].tolist() if joint_box is not None else None,
        action_bounds=e.action_bounds,
        stats=stats,
        findings=findings,
        figure=str(figure),
        extras={"episodes_ended": int(rollouts["random"].episode_steps_at_end.numel())},
    )
    (out_dir / "doctor.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return report

"""A training run's state as a checkpoint holds it: capture, write, restore (checkpoint format 1).

A checkpoint is one dict: the agent's state, the configuration and env spec it was written under, the loop's
counters and carry-over (:class:`LoopState`), the simulator state where the env can give one
(:class:`~flashsac.envs.protocol.StatefulEnv`), the digest of the replay-buffer snapshot beside it (with
``train.checkpoint_buffer``) and the process RNG streams. Restoring it continues the run bit-exactly.

Under N ranks (docs/distributed.md) every rank writes this dict for its own envs, buffer shard, noise and RNG
streams: the ranks other than 0 first (``step_<env_steps>.rank<r>.pt``), then, once all of them are on disk,
rank 0 its ``step_<env_steps>.pt``, which records the world size. That file is written last, so it only exists
when the whole set does: a rank killed mid-save leaves the previous checkpoint the newest complete one. A
resume needs the same world size; each rank then restores its own file.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from flashsac.checkpointing.buffer_snapshot import load_buffer_snapshot, save_buffer_snapshot
from flashsac.checkpointing.checkpoint_file import CheckpointError, load_checkpoint, save_checkpoint
from flashsac.checkpointing.compatibility import check_compatible
from flashsac.checkpointing.run_files import (
    capture_rng,
    checkpoint_path,
    prune_checkpoints,
    rank_checkpoint_path,
    restore_rng,
)
from flashsac.checkpointing.scalar_rewind import rewind_scalar_files
from flashsac.config.schema import RunConfig
from flashsac.envs.protocol import StatefulEnv, spec_to_dict
from flashsac.logging.episodes import EpisodeStats
from flashsac.logging.metrics import MetricAccumulator

if TYPE_CHECKING:  # the trainer builds RunParts; this module only reads and fills them
    from flashsac.trainer.parts import RunParts

__all__ = ["CHECKPOINT_FORMAT", "LoopState", "capture_run_state", "restore_run_state", "save_run_checkpoint"]

CHECKPOINT_FORMAT = 1
"""Version of the checkpoint dict; a checkpoint of another version is refused."""


@dataclass
class LoopState:
    """What the training loop carries from one vector step to the next (the parts keep their own state).

    Attributes:
        obs: ``(N, obs_dim)`` observation the next action is chosen on.
        critic_obs: ``(N, critic_obs_dim)`` its privileged counterpart, or ``None``.
        episodes: The running training episodes' statistics.
        metrics: Metric sums since the last log interval.
        env_steps: Transitions collected over all envs.
        iteration: The last finished vector step (-1 before the first).
        update_budget: Fractional updates carried over between vector steps (``train.updates_per_vector_step``).
        eval_env_steps: Env steps of every evaluation so far.
        eval_returns: Their average returns.
        final_eval: The scalars of the latest evaluation.
        wall_time_s: Seconds of training spent by earlier processes of this run (resumes).
    """

    obs: torch.Tensor
    critic_obs: torch.Tensor | None
    episodes: EpisodeStats
    metrics: MetricAccumulator = field(default_factory=MetricAccumulator)
    env_steps: int = 0
    iteration: int = -1
    update_budget: float = 0.0
    eval_env_steps: list[int] = field(default_factory=list)
    eval_returns: list[float] = field(default_factory=list)
    final_eval: dict[str, float] = field(default_factory=dict)
    wall_time_s: float = 0.0


def capture_run_state(
    cfg: RunConfig, parts: RunParts, state: LoopState, wall_time_s: float, buffer_digest: str | None
) -> dict[str, Any]:
    """The checkpoint dict of the run at an iteration boundary (tensors and plain data only).

    Args:
        cfg: The run's configuration.
        parts: The run's parts (agent, env, warm-up policy).
        state: The loop's state.
        wall_time_s: Training seconds of the run so far, all processes together.
        buffer_digest: SHA-256 of the buffer snapshot written beside the checkpoint, or ``None`` without one.
    """
    env = parts.env
    return {
        "format_version": CHECKPOINT_FORMAT,
        "agent": parts.agent.state_dict(),
        "config": dataclasses.asdict(cfg),
        "env_spec": spec_to_dict(env.spec),
        "counters": {"env_steps": state.env_steps, "iteration": state.iteration},
        "loop": {
            "update_budget": state.update_budget,
            "obs": state.obs,
            "critic_obs": state.critic_obs,
            **state.episodes.state_dict(),
            "metrics": state.metrics.state_dict(),
            "random_policy": parts.random_policy.generator.get_state(),
            "env": env.state_dict() if isinstance(env, StatefulEnv) else None,
            "eval_env_steps": list(state.eval_env_steps),
            "eval_returns": list(state.eval_returns),
            "final_eval": dict(state.final_eval),
            "wall_time_s": wall_time_s,
        },
        "buffer_sha256": buffer_digest,
        "rng": capture_rng(),
        "ranks": {"world_size": parts.ranks.world_size, "rank": parts.ranks.rank},
    }


def save_run_checkpoint(
    run_dir: Path,
    cfg: RunConfig,
    parts: RunParts,
    state: LoopState,
    wall_time_s: float,
    path: Path | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the checkpoint of the current env step, after checking that everything is finite.

    With ``train.checkpoint_buffer`` the replay buffer goes to a checksummed ``.buffer`` file beside it, written
    first so that a checkpoint never names a missing file. Only the newest ``train.keep_checkpoints`` are kept.
    Under several ranks every rank calls this at the same step and writes its own files; rank 0's comes last.

    Args:
        run_dir: The run directory (checkpoints go to its ``checkpoints/``).
        cfg: The run's configuration.
        parts: The run's parts.
        state: The loop's state.
        wall_time_s: Training seconds of the run so far, all processes together.
        path: The file to write, instead of ``checkpoints/step_<env_steps>.pt`` of ``run_dir``.
        extra: Plain data added to the checkpoint under its own keys (which must not be the run state's).

    Returns:
        The checkpoint's path (rank 0's file).

    Raises:
        NonFiniteError: a parameter, or anything checked since the last log interval, is not finite (nothing is
            written then, so the newest checkpoint on disk stays a finite one).
    """
    agent = parts.agent
    networks = (agent.actor, agent.critic, agent.target_critic, agent.temperature)
    parameters = torch.cat([p.detach().reshape(-1) for network in networks for p in network.parameters()])
    parts.guard.check("parameter", parameters, state.env_steps)
    parts.guard.raise_if_tripped()
    ranks = parts.ranks
    path = path or checkpoint_path(run_dir, state.env_steps)
    own = path if ranks.is_main else rank_checkpoint_path(run_dir, state.env_steps, ranks.rank)
    buffer_digest = None
    if cfg.train.checkpoint_buffer:
        buffer_digest = save_buffer_snapshot(parts.buffer, own.with_suffix(".buffer"))
    payload = capture_run_state(cfg, parts, state, wall_time_s, buffer_digest)
    clash = set(extra or {}) & set(payload)
    if clash:
        raise ValueError(f"save_run_checkpoint: extra keys {sorted(clash)} would overwrite the run state.")
    payload = payload | (extra or {})
    if not ranks.is_main:
        save_checkpoint(own, payload)
    ranks.barrier()  # every other rank's files are on disk (fsynced) before rank 0's names the checkpoint
    if ranks.is_main:
        save_checkpoint(path, payload)
        prune_checkpoints(run_dir, cfg.train.keep_checkpoints)
    return path


def restore_run_state(
    payload: dict[str, Any],
    cfg: RunConfig,
    parts: RunParts,
    state: LoopState,
    run_dir: Path,
    buffer_path: Path | None = None,
) -> None:
    """Continue from a checkpoint: agent, loop state, env state where restorable, buffer, RNG streams.

    Simulators without a restorable state (not a ``StatefulEnv``) start fresh episodes instead, with a warning;
    everything else continues exactly. Scalar-log rows written after the checkpoint (work lost in a crash) are
    dropped, so the resumed run continues the same curves without duplicates.

    Args:
        payload: A loaded checkpoint of this run directory.
        cfg: The run's configuration (as resumed).
        parts: Freshly built parts of the same run; they are loaded in place.
        state: The loop state to overwrite.
        run_dir: The run directory (buffer snapshot and scalar files).
        buffer_path: The buffer snapshot, where not ``checkpoints/step_<env_steps>.buffer`` of ``run_dir``.

    Under several ranks ``payload`` is rank 0's checkpoint; every other rank restores its own file of the same
    step instead.

    Raises:
        CheckpointError: another checkpoint format, another world size, a missing rank file, or env or network
            sizes that differ from the checkpoint's.
        TensorFileError: the buffer snapshot is damaged or not the one the checkpoint names.
    """
    if payload.get("format_version") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint format {payload.get('format_version')} is not {CHECKPOINT_FORMAT}.")
    payload = _own_part(payload, parts, run_dir)
    env = parts.env
    check_compatible(payload, env.spec, cfg.agent, str(run_dir))
    parts.agent.load_state_dict(payload["agent"])
    loop = payload["loop"]
    state.env_steps, state.iteration = payload["counters"]["env_steps"], payload["counters"]["iteration"]
    state.update_budget = loop["update_budget"]
    state.metrics.load_state_dict(loop["metrics"])
    parts.random_policy.generator.set_state(loop["random_policy"])
    state.eval_env_steps = list(loop["eval_env_steps"])
    state.eval_returns = list(loop["eval_returns"])
    state.final_eval = dict(loop["final_eval"])
    state.wall_time_s = loop["wall_time_s"]
    if loop["env"] is not None and isinstance(env, StatefulEnv):
        env.load_state_dict(loop["env"])
        state.obs, state.critic_obs = loop["obs"], loop["critic_obs"]
        state.episodes.load_state_dict(loop)
    else:
        warnings.warn(
            f"{cfg.env.name}/{cfg.env.task} cannot restore its simulator state: the resumed run starts "
            "fresh episodes (everything else continues exactly).",
            stacklevel=2,
        )
        state.obs, state.critic_obs = env.reset(cfg.seed + parts.ranks.rank + state.iteration + 1)
    if payload["buffer_sha256"] is not None:
        path = buffer_path or rank_checkpoint_path(run_dir, state.env_steps, parts.ranks.rank).with_suffix(".buffer")
        load_buffer_snapshot(parts.buffer, path, expected_sha256=payload["buffer_sha256"])
    restore_rng(payload["rng"])
    if parts.ranks.is_main:  # rank 0's scalar files; the other ranks write none
        rewind_scalar_files(run_dir, state.env_steps)


def _own_part(payload: dict[str, Any], parts: RunParts, run_dir: Path) -> dict[str, Any]:
    """The checkpoint of this rank at the step ``payload`` (rank 0's) names, after checking the world size.

    Raises:
        CheckpointError: the checkpoint was written by another number of ranks, or this rank's file is missing
            or belongs to another step.
    """
    ranks = parts.ranks
    written_by = int(payload.get("ranks", {}).get("world_size", 1))
    if written_by != ranks.world_size:
        raise CheckpointError(
            f"resume={run_dir}: this run was trained by {written_by} rank(s) and is resumed with {ranks.world_size}; "
            f"resume it with the same number (torchrun --nproc_per_node={written_by} ... on one node), since every "
            "rank's envs, buffer shard and RNG streams are part of the checkpoint."
        )
    if ranks.is_main:
        return payload
    env_steps = payload["counters"]["env_steps"]
    own = load_checkpoint(rank_checkpoint_path(run_dir, env_steps, ranks.rank))
    if own["counters"] != payload["counters"] or own.get("ranks", {}).get("rank") != ranks.rank:
        raise CheckpointError(
            f"{rank_checkpoint_path(run_dir, env_steps, ranks.rank)} is not rank {ranks.rank}'s part of "
            f"checkpoint step_{env_steps}.pt; the run directory was altered."
        )
    return own

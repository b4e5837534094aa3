"""The off-policy training loop: collect, store, learn, then log / evaluate / checkpoint on intervals.

Counters: ``env_steps`` (transitions over all envs), ``iteration`` (vector steps), ``update_steps`` (gradient
updates, owned by the agent). Every interval is counted in env steps.
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.agents.random import RandomPolicy
from flashsac.buffers import ReplayBuffer
from flashsac.checkpointing.atomic import replace_with_copy, write_text_atomically
from flashsac.checkpointing.buffer_snapshot import load_buffer_snapshot, save_buffer_snapshot
from flashsac.checkpointing.checkpoint_file import CheckpointError, save_checkpoint
from flashsac.checkpointing.compatibility import check_compatible
from flashsac.checkpointing.run_files import (
    capture_rng,
    checkpoint_path,
    prune_checkpoints,
    restore_rng,
)
from flashsac.checkpointing.scalar_rewind import rewind_scalar_files
from flashsac.config.derive import derive
from flashsac.config.schema import RunConfig
from flashsac.config.validate import ConfigError
from flashsac.envs.protocol import Step, VecEnv, spec_to_dict
from flashsac.envs.registry import make_env_from_config, solved_return
from flashsac.evaluation.evaluate import EvalResult, evaluate
from flashsac.evaluation.plots import plot_learning_curve
from flashsac.evaluation.video import record_training_video
from flashsac.logging import MetricAccumulator, ScalarLogger, TrainingProgress
from flashsac.runtime.device import resolve_device
from flashsac.runtime.finite_guard import FiniteGuard
from flashsac.runtime.interrupt import InterruptRequest, defer_sigint
from flashsac.runtime.seeding import seed_everything

__all__ = ["TrainResult", "Trainer"]

_OBS_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_EVAL_SEED_OFFSET = 1_000_003  # evaluation episodes never reuse the training seeds
_CHECKPOINT_FORMAT = 1
_GUARDED_METRICS = ("critic/loss", "actor/loss", "temperature/loss", "critic/grad_norm", "actor/grad_norm")


@dataclass
class TrainResult:
    """What a finished run reports."""

    run_dir: Path
    env_steps: int
    update_steps: int
    eval_env_steps: list[int] = field(default_factory=list)
    eval_returns: list[float] = field(default_factory=list)
    final_eval: dict[str, float] = field(default_factory=dict)
    solved_return: float | None = None
    wall_time_s: float = 0.0

    @property
    def solved(self) -> bool | None:
        """Whether the final evaluation reached the task's solved threshold (``None`` if it has none)."""
        if self.solved_return is None:
            return None
        return self.final_eval.get("eval/avg_return", -float("inf")) >= self.solved_return


def _episode_means(scalars: dict[str, float]) -> dict[str, float]:
    """Turn the per-step sums of finished training episodes into per-episode means (when any finished)."""
    steps = scalars.pop("train/episodes_finished", 0.0)  # mean per vector step of episodes finished
    return_sum = scalars.pop("train/episode_return_sum", 0.0)
    length_sum = scalars.pop("train/episode_length_sum", 0.0)
    success_once_sum = scalars.pop("train/episode_success_once_sum", None)
    success_end_sum = scalars.pop("train/episode_success_end_sum", None)
    if steps > 0:
        scalars["train/episode_return"] = return_sum / steps
        scalars["train/episode_length"] = length_sum / steps
        # Only simulators that report info["success"] log success rates (the same two as evaluation).
        if success_once_sum is not None and success_end_sum is not None:
            scalars["train/episode_success_once"] = success_once_sum / steps
            scalars["train/episode_success_end"] = success_end_sum / steps
    return scalars


class Trainer:
    """Runs one FlashSAC training run into ``run_dir``.

    Args:
        cfg: A validated run configuration.
        run_dir: Existing or new directory for TensorBoard events, scalars, checkpoints and plots.
        resume_from: A checkpoint of this run directory to continue from (its state is restored exactly;
            simulators without a restorable state are reset instead).
    """

    def __init__(self, cfg: RunConfig, run_dir: Path, resume_from: dict[str, Any] | None = None) -> None:
        self.cfg, self.run_dir = cfg, run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        self.derived = derive(cfg)
        seed_everything(cfg.seed, cfg.deterministic)
        if cfg.num_threads:
            torch.set_num_threads(cfg.num_threads)
        self.device = resolve_device(cfg.device, "device")
        env_device = self.env_device = resolve_device(cfg.env.device, "env.device")
        buffer_device = (
            self.device if cfg.buffer.device == "auto" else resolve_device(cfg.buffer.device, "buffer.device")
        )
        e = cfg.env
        self.env = make_env_from_config(e, cfg.seed, env_device)
        spec = self.env.spec
        self.eval_env: VecEnv = (
            self.env
            if spec.shares_instance
            else make_env_from_config(e, cfg.seed + _EVAL_SEED_OFFSET, env_device, num_envs=e.num_eval_envs)
        )
        if spec.shares_instance:
            self._check_shared_eval_episodes()
        if not spec.exact_final_obs:
            warnings.warn(
                f"{e.name}/{e.task} cannot return the true final observation at time-outs; truncated transitions "
                "bootstrap from the post-reset observation (biased targets at time limits).",
                stacklevel=2,
            )
        self.solved_return = (
            cfg.train.solved_return if cfg.train.solved_return is not None else solved_return(e.name, e.task)
        )
        self.agent = FlashSACAgent(spec, cfg.agent, self.device, self.derived.total_updates, seed=cfg.seed)
        generator = torch.Generator(device=buffer_device)
        generator.manual_seed(cfg.seed)
        self.buffer = ReplayBuffer(
            cfg.buffer.capacity,
            spec.num_envs,
            spec.obs_dim,
            spec.action_dim,
            n_step=cfg.agent.n_step,
            gamma=cfg.agent.gamma,
            device=buffer_device,
            critic_obs_dim=spec.critic_obs_dim,
            obs_dtype=_OBS_DTYPES[cfg.buffer.obs_dtype],
            max_episode_steps=spec.max_episode_steps,
            generator=generator,
        )
        self.random_policy = RandomPolicy(spec, seed=cfg.seed)
        self.metrics = MetricAccumulator()
        self.guard = FiniteGuard(self.device, cfg.train.check_finite)
        self.result = TrainResult(run_dir, 0, 0, solved_return=self.solved_return)
        self.env_steps = 0
        self.iteration = -1
        self._update_budget = 0.0
        self.obs, self.critic_obs = self.env.reset(cfg.seed)
        self.guard.check_rows("observation", self.obs, 0)
        self.episode_return = torch.zeros(spec.num_envs, device=spec.device)
        self.episode_length = torch.zeros(spec.num_envs, device=spec.device)
        self.episode_success = torch.zeros(spec.num_envs, dtype=torch.bool, device=spec.device)  # success so far
        self._resumed = resume_from is not None
        self._interrupt = InterruptRequest()
        self._run_start = time.perf_counter()
        if resume_from is not None:
            self._restore(resume_from)

    # ------------------------------------------------------------------ the loop

    def run(self, stop_after_env_steps: int | None = None) -> TrainResult:
        """Train until ``train.num_env_steps``; return the evaluation history and final metrics.

        Args:
            stop_after_env_steps: Stop early, with a checkpoint, once this many env steps are done (as an
                interruption would); ``flashsac train resume=<run_dir>`` then continues the same run.

        Raises:
            KeyboardInterrupt: after writing a checkpoint of the current step, when interrupted.
        """
        cfg, spec = self.cfg, self.env.spec
        logger = ScalarLogger(
            self.run_dir,
            cfg.logging,
            dataclasses.asdict(cfg),
            run_name=self.run_dir.name,
            resume_env_steps=self.env_steps if self._resumed else None,
        )
        progress = TrainingProgress(cfg.train.num_env_steps, f"{cfg.env.name}/{cfg.env.task}", cfg.logging.progress)
        start = self._run_start = time.perf_counter()
        rate_clock, rate_env_steps, rate_updates = start, self.env_steps, self.agent.update_steps
        restore_sigint = defer_sigint(self._interrupt)
        try:
            if not self._resumed:
                self._evaluate(logger, progress)
            for iteration in range(self.iteration + 1, self.derived.num_iterations):
                self.iteration = iteration
                step, action = self._collect(self.obs)
                self._store(self.obs, self.critic_obs, action, step)
                self._track_episodes(step)
                self.obs, self.critic_obs = step.obs, step.critic_obs
                self._learn()
                previous, self.env_steps = self.env_steps, self.env_steps + spec.num_envs
                if self._crossed(previous, cfg.train.log_every_env_steps):
                    self.guard.raise_if_tripped()
                    now = time.perf_counter()
                    rates = {
                        "perf/env_steps_per_s": (self.env_steps - rate_env_steps) / (now - rate_clock),
                        "perf/updates_per_s": (self.agent.update_steps - rate_updates) / (now - rate_clock),
                    }
                    rate_clock, rate_env_steps, rate_updates = now, self.env_steps, self.agent.update_steps
                    buffer_health = {f"buffer/{name}": value for name, value in self.buffer.diagnostics().items()}
                    logger.log(self.env_steps, _episode_means(self.metrics.flush()) | rates | buffer_health)
                    progress.update(self.env_steps, rates["perf/env_steps_per_s"], rates["perf/updates_per_s"])
                if self._crossed(previous, cfg.train.eval_every_env_steps):
                    self._evaluate(logger, progress)
                    if spec.shares_instance:
                        self.obs, self.critic_obs = self.env.reset(cfg.seed + self.iteration)
                if self._crossed(previous, cfg.train.video_every_env_steps):
                    self._record_video(logger)
                if self._crossed(previous, cfg.train.checkpoint_every_env_steps):
                    self.save()
                if stop_after_env_steps is not None and self.env_steps >= stop_after_env_steps:
                    self.save()
                    return self.result
                if self._interrupt.requested:
                    raise KeyboardInterrupt
            if not self.result.eval_env_steps or self.result.eval_env_steps[-1] != self.env_steps:
                self._evaluate(logger, progress)
            final = self.save()
            replace_with_copy(final, self.run_dir / "checkpoints" / "final.pt")
        except KeyboardInterrupt:
            if self._interrupt.requested:  # raised at an iteration boundary, where the loop state is consistent
                self.save()
            raise
        finally:
            restore_sigint()
            progress.close()
            logger.close()
            self.close()
        result = self.result
        result.env_steps, result.update_steps = self.env_steps, self.agent.update_steps
        result.wall_time_s += time.perf_counter() - start
        self._write_summary(result)
        return result

    def _crossed(self, previous: int, every: int) -> bool:
        """Whether the last vector step crossed a multiple of ``every`` env steps (0 disables the interval)."""
        return every > 0 and previous // every != self.env_steps // every

    def _collect(self, obs: torch.Tensor) -> tuple[Step, torch.Tensor]:
        """Choose actions (uniform random during warm-up) and step the training envs."""
        if self.iteration < self.derived.warmup_iterations:
            action = self.random_policy.act()
        else:
            action = self.agent.act(obs).to(self.env.spec.device)
        return self.env.step(action), action

    def _store(self, obs: torch.Tensor, critic_obs: torch.Tensor | None, action: torch.Tensor, step: Step) -> None:
        """Write the transition to the buffer and feed the reward scaler."""
        # step.obs is what the agent acts on next (post-reset where an episode ended); final_obs is s_{t+1}.
        # One fused check (half the device ops of three separate ones): it runs every env step.
        checked = (("observation", step.obs), ("final observation", step.final_obs), ("reward", step.reward))
        self.guard.check_rows_many(checked, self.env_steps)
        self.buffer.add(obs, action, step, critic_obs=critic_obs)
        self.agent.update_reward_scaler(step.reward, step.done)

    def _track_episodes(self, step: Step) -> None:
        """Accumulate training-episode returns on device (add the last reward, *then* reset)."""
        episode_return, episode_length = self.episode_return, self.episode_length
        episode_return += step.reward
        episode_length += 1
        done = step.done.float()
        finished = done.sum()
        sums = {
            "train/episode_return_sum": (episode_return * done).sum(),
            "train/episodes_finished": finished,
            "train/episode_length_sum": (episode_length * done).sum(),
        }
        success = step.info.get("success")
        if success is not None:
            self.episode_success.logical_or_(success)
            sums["train/episode_success_once_sum"] = (self.episode_success.float() * done).sum()
            sums["train/episode_success_end_sum"] = (success.float() * done).sum()
            self.episode_success.logical_and_(~step.done)
        self.metrics.add(sums)
        episode_return.mul_(1.0 - done)
        episode_length.mul_(1.0 - done)

    def _learn(self) -> None:
        """Run U updates per vector step (fractional U through an accumulator) once warm-up is over."""
        if self.iteration < self.derived.warmup_iterations or not self.buffer.can_sample(self.cfg.train.batch_size):
            return
        self._update_budget += self.cfg.train.updates_per_vector_step
        while self._update_budget >= 1.0:
            metrics = self.agent.update(self.buffer.sample(self.cfg.train.batch_size))
            for name in _GUARDED_METRICS:
                if name in metrics:
                    self.guard.check(name, metrics[name], self.env_steps)
            self.metrics.add(metrics)
            self._update_budget -= 1.0

    def _evaluate(self, logger: ScalarLogger, progress: TrainingProgress) -> EvalResult:
        """Evaluate the deterministic policy and record it."""
        result = self.result
        outcome = evaluate(
            lambda o: self.agent.act(o, deterministic=True),
            self.eval_env,
            self.derived.num_eval_episodes,
            seed=self.cfg.seed + _EVAL_SEED_OFFSET + len(result.eval_env_steps) * 1000,
        )
        scalars = outcome.scalars()
        logger.log(self.env_steps, scalars)
        result.eval_env_steps.append(self.env_steps)
        result.eval_returns.append(scalars["eval/avg_return"])
        result.final_eval = scalars
        progress.update(self.env_steps, eval_return=scalars["eval/avg_return"])
        return outcome

    def _check_shared_eval_episodes(self) -> None:
        """Evaluation on the training instance runs whole rounds of ``env.num_envs``: fit the episode count."""
        e, t = self.cfg.env, self.cfg.train
        if not t.num_eval_episodes:  # automatic: the fewest whole rounds of the training envs (at least one)
            self.derived = dataclasses.replace(self.derived, num_eval_episodes=e.num_envs)
        elif t.num_eval_episodes % e.num_envs:
            self.env.close()
            raise ConfigError(
                f"train.num_eval_episodes={t.num_eval_episodes} is invalid: {e.name} evaluates on the training "
                f"instance, so it must be a multiple of env.num_envs={e.num_envs} (e.g. {e.num_envs})."
            )

    def _record_video(self, logger: ScalarLogger) -> None:
        """Record one deterministic episode to ``videos/step_<env_steps>.mp4`` and TensorBoard."""
        e = self.cfg.env
        record_training_video(
            lambda o: self.agent.act(o.to(self.device), deterministic=True),
            e,
            self.cfg.seed + _EVAL_SEED_OFFSET,
            self.env_device,
            self.run_dir / "videos" / f"step_{self.env_steps}.mp4",
            logger.tensorboard_writer,
            self.env_steps,
        )

    # ------------------------------------------------------------------ state and outputs

    def save(self) -> Path:
        """Write the checkpoint of the current env step (after checking that everything is finite).

        Holds everything an exact resume needs; with ``train.checkpoint_buffer`` the replay buffer goes to a
        checksummed ``.buffer`` file beside it, written first so that a checkpoint never names a missing file.
        Only the newest ``train.keep_checkpoints`` checkpoints are kept.
        """
        self.guard.check("parameter", torch.cat([p.detach().reshape(-1) for p in self._parameters()]), self.env_steps)
        self.guard.raise_if_tripped()
        path = checkpoint_path(self.run_dir, self.env_steps)
        buffer_digest = None
        if self.cfg.train.checkpoint_buffer:
            buffer_digest = save_buffer_snapshot(self.buffer, path.with_suffix(".buffer"))
        save_checkpoint(path, self._state_dict(buffer_digest))
        prune_checkpoints(self.run_dir, self.cfg.train.keep_checkpoints)
        return path

    def _parameters(self) -> list[torch.Tensor]:
        agent = self.agent
        networks = (agent.actor, agent.critic, agent.target_critic, agent.temperature)
        return [p for network in networks for p in network.parameters()]

    def _state_dict(self, buffer_digest: str | None) -> dict[str, Any]:
        env_state = getattr(self.env, "state_dict", None)
        return {
            "format_version": _CHECKPOINT_FORMAT,
            "agent": self.agent.state_dict(),
            "config": dataclasses.asdict(self.cfg),
            "env_spec": spec_to_dict(self.env.spec),
            "counters": {"env_steps": self.env_steps, "iteration": self.iteration},
            "loop": {
                "update_budget": self._update_budget,
                "obs": self.obs,
                "critic_obs": self.critic_obs,
                "episode_return": self.episode_return,
                "episode_length": self.episode_length,
                "episode_success": self.episode_success,
                "metrics": self.metrics.state_dict(),
                "random_policy": self.random_policy.generator.get_state(),
                "env": env_state() if env_state is not None else None,
                "eval_env_steps": list(self.result.eval_env_steps),
                "eval_returns": list(self.result.eval_returns),
                "final_eval": dict(self.result.final_eval),
                "wall_time_s": self.result.wall_time_s + time.perf_counter() - self._run_start,
            },
            "buffer_sha256": buffer_digest,
            "rng": capture_rng(),
        }

    def _restore(self, payload: dict[str, Any]) -> None:
        """Continue from a checkpoint: agent, loop state, env state where restorable, buffer, RNG streams."""
        if payload.get("format_version") != _CHECKPOINT_FORMAT:
            raise CheckpointError(f"checkpoint format {payload.get('format_version')} is not {_CHECKPOINT_FORMAT}.")
        check_compatible(payload, self.env.spec, self.cfg.agent, str(self.run_dir))
        self.agent.load_state_dict(payload["agent"])
        loop = payload["loop"]
        self.env_steps, self.iteration = payload["counters"]["env_steps"], payload["counters"]["iteration"]
        self._update_budget = loop["update_budget"]
        self.metrics.load_state_dict(loop["metrics"])
        self.random_policy.generator.set_state(loop["random_policy"])
        self.result.eval_env_steps = list(loop["eval_env_steps"])
        self.result.eval_returns = list(loop["eval_returns"])
        self.result.final_eval = dict(loop["final_eval"])
        self.result.wall_time_s = loop["wall_time_s"]
        load_env_state = getattr(self.env, "load_state_dict", None)
        if loop["env"] is not None and load_env_state is not None:
            load_env_state(loop["env"])
            self.obs, self.critic_obs = loop["obs"], loop["critic_obs"]
            self.episode_return.copy_(loop["episode_return"])
            self.episode_length.copy_(loop["episode_length"])
            if "episode_success" in loop:  # absent in checkpoints written before success tracking
                self.episode_success.copy_(loop["episode_success"])
        else:
            warnings.warn(
                f"{self.cfg.env.name}/{self.cfg.env.task} cannot restore its simulator state: the resumed run starts "
                "fresh episodes (everything else continues exactly).",
                stacklevel=2,
            )
            self.obs, self.critic_obs = self.env.reset(self.cfg.seed + self.iteration + 1)
        if payload["buffer_sha256"] is not None:
            path = checkpoint_path(self.run_dir, self.env_steps).with_suffix(".buffer")
            load_buffer_snapshot(self.buffer, path, expected_sha256=payload["buffer_sha256"])
        restore_rng(payload["rng"])
        # The scalar files may hold rows logged after this checkpoint (work lost in a crash): drop them now, so the
        # resumed run continues the same curves without duplicates.
        rewind_scalar_files(self.run_dir, self.env_steps)

    def _write_summary(self, result: TrainResult) -> None:
        plot_learning_curve(
            result.eval_env_steps,
            result.eval_returns,
            self.run_dir / "plots" / "learning_curve.png",
            f"{self.cfg.env.name}/{self.cfg.env.task} (seed {self.cfg.seed})",
            self.solved_return,
        )
        summary = {
            "env_steps": result.env_steps,
            "update_steps": result.update_steps,
            "wall_time_s": round(result.wall_time_s, 2),
            "final_eval": result.final_eval,
            "solved_return": result.solved_return,
            "solved": result.solved,
            "eval_env_steps": result.eval_env_steps,
            "eval_returns": result.eval_returns,
        }
        write_text_atomically(self.run_dir / "summary.json", json.dumps(summary, indent=2))

    def close(self) -> None:
        """Close the environments; idempotent."""
        self.env.close()
        if self.eval_env is not self.env:
            self.eval_env.close()

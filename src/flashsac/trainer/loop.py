"""The off-policy training loop: collect, store, learn, then log / evaluate / checkpoint on intervals.

Counters: ``env_steps`` (transitions over all envs), ``iteration`` (vector steps), ``update_steps`` (gradient
updates, owned by the agent). Every interval is counted in env steps. The run's parts come from
:func:`~flashsac.trainer.parts.build_run`; what a checkpoint holds, and how a resume restores it, is
:mod:`flashsac.checkpointing.run_state`.

Under data parallelism (docs/distributed.md) every rank runs this loop on its own envs and buffer shard;
``env_steps`` counts the envs of all ranks; rank 0 alone logs, evaluates and records videos, and every rank
writes its part of each checkpoint.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import torch

from flashsac.checkpointing.atomic import replace_with_copy
from flashsac.checkpointing.run_state import LoopState, restore_run_state, save_run_checkpoint
from flashsac.config.schema import RunConfig
from flashsac.envs.protocol import Step, VecEnv
from flashsac.evaluation.evaluate import EvalResult, evaluate
from flashsac.evaluation.summary import TrainResult, write_run_summary
from flashsac.evaluation.video import record_training_video
from flashsac.logging import ScalarLogger, TrainingProgress
from flashsac.logging.episodes import EpisodeStats, episode_means
from flashsac.runtime.distributed import SINGLE_PROCESS, DistributedContext
from flashsac.runtime.interrupt import InterruptRequest, defer_sigint
from flashsac.runtime.seeding import EVAL_SEED_OFFSET
from flashsac.trainer.parts import build_run

__all__ = ["TrainResult", "Trainer"]

_GUARDED_METRICS = ("critic/loss", "actor/loss", "temperature/loss", "critic/grad_norm", "actor/grad_norm")


class Trainer:
    """Runs one FlashSAC training run into ``run_dir``.

    Args:
        cfg: A validated run configuration.
        run_dir: Existing or new directory for TensorBoard events, scalars, checkpoints and plots.
        resume_from: A checkpoint of this run directory to continue from (its state is restored exactly;
            simulators without a restorable state are reset instead).
        ranks: The data-parallel ranks of a torchrun launch (a single process by default).
        env: An env already built and bounded (the rsl_rl runner's lifted env) instead of one made from
            ``cfg.env``; evaluation then shares it.
    """

    def __init__(
        self,
        cfg: RunConfig,
        run_dir: Path,
        resume_from: dict[str, Any] | None = None,
        ranks: DistributedContext = SINGLE_PROCESS,
        env: VecEnv | None = None,
    ) -> None:
        self.cfg, self.run_dir, self.ranks = cfg, run_dir, ranks
        run_dir.mkdir(parents=True, exist_ok=True)
        self.parts = parts = build_run(cfg, ranks, env=env)
        self.env, self.agent, self.buffer, self.guard = parts.env, parts.agent, parts.buffer, parts.guard
        self.derived = parts.derived
        obs, critic_obs = self.env.reset(cfg.seed + ranks.rank)
        self.guard.check_rows("observation", obs, 0)
        spec = self.env.spec
        self.state = LoopState(obs, critic_obs, EpisodeStats(spec.num_envs, spec.device))
        self._resumed = resume_from is not None
        self._interrupt = InterruptRequest()
        self._stop_agreed = False  # every rank saw the interrupt at the same sync point (several ranks only)
        self._run_start = time.perf_counter()
        self._rate_mark = (self._run_start, 0, 0)  # clock, env steps, update steps at the last log
        if resume_from is not None:
            self.restore(resume_from)

    @property
    def env_steps(self) -> int:
        """Transitions collected so far over all envs."""
        return self.state.env_steps

    # ------------------------------------------------------------------ the loop

    def run(self, stop_after_env_steps: int | None = None) -> TrainResult:
        """Train until ``train.num_env_steps``; return the evaluation history and final metrics.

        Args:
            stop_after_env_steps: Stop early, with a checkpoint, once this many env steps are done (as an
                interruption would); ``flashsac train resume=<run_dir>`` then continues the same run.

        Raises:
            KeyboardInterrupt: after writing a checkpoint of the current step, when interrupted.
        """
        cfg, state, spec, train, main = self.cfg, self.state, self.env.spec, self.cfg.train, self.ranks.is_main
        # Rank 0 alone writes scalars, evaluates and records videos; the other ranks only train.
        logger = (
            ScalarLogger(
                self.run_dir,
                cfg.logging,
                dataclasses.asdict(cfg),
                run_name=self.run_dir.name,
                resume_env_steps=state.env_steps if self._resumed else None,
            )
            if main
            else None
        )
        progress = TrainingProgress(
            train.num_env_steps, f"{cfg.env.name}/{cfg.env.task}", cfg.logging.progress and main
        )
        self._run_start = time.perf_counter()
        self._rate_mark = (self._run_start, state.env_steps, self.agent.update_steps)
        restore_sigint = defer_sigint(self._interrupt)
        try:
            if not self._resumed and logger is not None:
                self._evaluate(logger, progress)
            while state.iteration + 1 < self.derived.num_iterations:
                previous = self.vector_step()
                if self._crossed(previous, train.log_every_env_steps):
                    self.log_interval(logger, progress)
                if self._crossed(previous, train.eval_every_env_steps) and logger is not None:
                    self._evaluate(logger, progress)
                    if spec.shares_instance:  # evaluation reset the training envs
                        state.obs, state.critic_obs = self.env.reset(cfg.seed + state.iteration)
                if self._crossed(previous, train.video_every_env_steps) and logger is not None:
                    self._record_video(logger)
                if self._crossed(previous, train.checkpoint_every_env_steps):
                    self.save()
                if stop_after_env_steps is not None and state.env_steps >= stop_after_env_steps:
                    self.save()
                    return self._result()
                if self._interrupted(previous):
                    raise KeyboardInterrupt
            if logger is not None and (not state.eval_env_steps or state.eval_env_steps[-1] != state.env_steps):
                self._evaluate(logger, progress)
            final = self.save()
            if main:
                replace_with_copy(final, self.run_dir / "checkpoints" / "final.pt")
        except KeyboardInterrupt:
            # Raised at an iteration boundary, where the loop state is consistent; under several ranks only once
            # all of them agreed to stop there (a checkpoint is a collective).
            if self._stop_agreed if self.ranks.distributed else self._interrupt.requested:
                self.save()
            raise
        finally:
            restore_sigint()
            progress.close()
            if logger is not None:
                logger.close()
            self.close()
        result = self._result()
        if main:
            write_run_summary(result, f"{cfg.env.name}/{cfg.env.task} (seed {cfg.seed})")
        return result

    def vector_step(self) -> int:
        """One vector step: act (uniform random during warm-up), step the envs, store, track episodes, learn.

        The loop's body, shared with the rsl_rl runner (which groups vector steps into its iterations).

        Returns:
            The env steps before this vector step.
        """
        state = self.state
        state.iteration += 1
        step, action = self._collect(state.obs)
        self._store(state.obs, state.critic_obs, action, step)
        state.metrics.add(state.episodes.record(step.reward, step.done, step.info.get("success")))
        state.obs, state.critic_obs = step.obs, step.critic_obs
        self._learn()
        # env_steps counts the envs of every rank (each rank steps the same number in lockstep).
        previous, state.env_steps = state.env_steps, state.env_steps + self.env.spec.num_envs * self.ranks.world_size
        return previous

    def _crossed(self, previous: int, every: int) -> bool:
        """Whether the last vector step crossed a multiple of ``every`` env steps (0 disables the interval)."""
        return every > 0 and previous // every != self.state.env_steps // every

    def _interrupted(self, previous: int) -> bool:
        """Whether to stop at this iteration boundary after a Ctrl-C.

        A single process stops at the next boundary. Several ranks must stop at the same one, so they agree
        (one collective) only where they synchronise anyway: at log and checkpoint intervals.
        """
        if not self.ranks.distributed:
            return self._interrupt.requested
        train = self.cfg.train
        if not (
            self._crossed(previous, train.log_every_env_steps)
            or self._crossed(previous, train.checkpoint_every_env_steps)
        ):
            return False
        self._stop_agreed = self.ranks.any_true(self._interrupt.requested)
        return self._stop_agreed

    def _collect(self, obs: torch.Tensor) -> tuple[Step, torch.Tensor]:
        """Choose actions (uniform random during warm-up) and step the training envs."""
        if self.state.iteration < self.derived.warmup_iterations:
            action = self.parts.random_policy.act()
        else:
            action = self.agent.act(obs).to(self.env.spec.device)
        return self.env.step(action), action

    def _store(self, obs: torch.Tensor, critic_obs: torch.Tensor | None, action: torch.Tensor, step: Step) -> None:
        """Write the transition to the buffer and feed the reward scaler."""
        # step.obs is what the agent acts on next (post-reset where an episode ended); final_obs is s_{t+1}.
        # One fused check (half the device ops of three separate ones): it runs every env step.
        checked = (("observation", step.obs), ("final observation", step.final_obs), ("reward", step.reward))
        self.guard.check_rows_many(checked, self.state.env_steps)
        self.buffer.add(obs, action, step, critic_obs=critic_obs)
        self.agent.update_reward_scaler(step.reward, step.done)

    def _learn(self) -> None:
        """Run U updates per vector step (fractional U through an accumulator) once warm-up is over."""
        state, batch_size = self.state, self.cfg.train.batch_size
        if state.iteration < self.derived.warmup_iterations or not self.buffer.can_sample(batch_size):
            return
        state.update_budget += self.cfg.train.updates_per_vector_step
        while state.update_budget >= 1.0:
            metrics = self.agent.update(self.buffer.sample(batch_size))
            for name in _GUARDED_METRICS:
                if name in metrics:
                    self.guard.check(name, metrics[name], state.env_steps)
            state.metrics.add(metrics)
            state.update_budget -= 1.0

    def log_interval(self, logger: ScalarLogger | None, progress: TrainingProgress) -> dict[str, float]:
        """Log the metrics since the last interval, the loop's rates and the buffer's health counters; return them.

        Under several ranks the metrics are averaged over the ranks first (``logger`` is rank 0's; ``None`` on
        the others, which only take part in the collectives and return nothing).
        """
        self.guard.raise_if_tripped()
        metrics = self.ranks.mean_scalars(self.state.metrics.flush())
        if logger is None:
            return {}
        env_steps, update_steps, now = self.state.env_steps, self.agent.update_steps, time.perf_counter()
        clock, last_env_steps, last_update_steps = self._rate_mark
        rates = {
            "perf/env_steps_per_s": (env_steps - last_env_steps) / (now - clock),
            "perf/updates_per_s": (update_steps - last_update_steps) / (now - clock),
        }
        self._rate_mark = (now, env_steps, update_steps)
        buffer_health = {f"buffer/{name}": value for name, value in self.buffer.diagnostics().items()}
        scalars = episode_means(metrics) | rates | buffer_health
        logger.log(env_steps, scalars)
        progress.update(env_steps, rates["perf/env_steps_per_s"], rates["perf/updates_per_s"])
        return scalars

    def _evaluate(self, logger: ScalarLogger, progress: TrainingProgress) -> EvalResult:
        """Evaluate the deterministic policy and record it."""
        state = self.state
        outcome = evaluate(
            lambda o: self.agent.act(o, deterministic=True),
            self.parts.eval_env,
            self.derived.num_eval_episodes,
            seed=self.cfg.seed + EVAL_SEED_OFFSET + len(state.eval_env_steps) * 1000,
        )
        scalars = outcome.scalars()
        logger.log(state.env_steps, scalars)
        state.eval_env_steps.append(state.env_steps)
        state.eval_returns.append(scalars["eval/avg_return"])
        state.final_eval = scalars
        progress.update(state.env_steps, eval_return=scalars["eval/avg_return"])
        return outcome

    def _record_video(self, logger: ScalarLogger) -> None:
        """Record one deterministic episode to ``videos/step_<env_steps>.mp4`` and TensorBoard."""
        learner, env_steps = self.parts.devices.learner, self.state.env_steps
        record_training_video(
            lambda o: self.agent.act(o.to(learner), deterministic=True),
            self.cfg.env,
            self.cfg.seed + EVAL_SEED_OFFSET,
            self.parts.devices.env,
            self.run_dir / "videos" / f"step_{env_steps}.mp4",
            logger.tensorboard_writer,
            env_steps,
        )

    # ------------------------------------------------------------------ state and outputs

    def save(self, path: Path | None = None, extra: dict[str, Any] | None = None) -> Path:
        """Write the checkpoint of the current env step and return its path (see ``run_state.save_run_checkpoint``).

        Args:
            path: Where to write instead of ``checkpoints/step_<env_steps>.pt`` (the rsl_rl runner's ``model_<it>.pt``).
            extra: Plain data stored beside the run state under its own keys.
        """
        wall = self._wall_time_s()
        return save_run_checkpoint(self.run_dir, self.cfg, self.parts, self.state, wall, path=path, extra=extra)

    def restore(self, payload: dict[str, Any], buffer_path: Path | None = None) -> None:
        """Continue from a loaded checkpoint (see ``run_state.restore_run_state``); rates count from here.

        Args:
            payload: The checkpoint.
            buffer_path: Its replay-buffer snapshot, where not ``checkpoints/step_<env_steps>.buffer`` of this run.
        """
        restore_run_state(payload, self.cfg, self.parts, self.state, self.run_dir, buffer_path=buffer_path)
        self._resumed = True
        self._rate_mark = (time.perf_counter(), self.state.env_steps, self.agent.update_steps)

    def _wall_time_s(self) -> float:
        """Training seconds of the run so far, earlier processes (resumes) included."""
        return self.state.wall_time_s + time.perf_counter() - self._run_start

    def _result(self) -> TrainResult:
        """The run's result so far: counters, evaluation history, wall time."""
        state = self.state
        return TrainResult(
            self.run_dir,
            state.env_steps,
            self.agent.update_steps,
            list(state.eval_env_steps),
            list(state.eval_returns),
            dict(state.final_eval),
            self.parts.solved_return,
            self._wall_time_s(),
        )

    def close(self) -> None:
        """Close the environments; idempotent."""
        self.parts.close()

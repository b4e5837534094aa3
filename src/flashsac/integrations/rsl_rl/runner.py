"""``FlashSACRunner``: rsl_rl's ``OnPolicyRunner`` API over flashsac's own training loop.

IsaacLab's and mjlab's rsl_rl scripts build a runner as ``runner_cls(env, train_cfg, log_dir, device)``, may call
``add_git_repo_to_log``, ``load(path)`` to resume, then ``learn(num_learning_iterations, init_at_random_ep_len)``;
play scripts ``load`` with ``log_dir=None`` and call ``get_inference_policy`` and ``export_policy_to_*``. This
class answers those calls and nothing of FlashSAC is written twice:

* the env is lifted into the env contract (:func:`~flashsac.integrations.rsl_rl.vec_env.lift_vec_env`) and given
  the run's action box (:func:`~flashsac.envs.bounded.apply_bounds`);
* ``train_cfg`` becomes a typed :class:`~flashsac.config.schema.RunConfig`
  (:func:`~flashsac.integrations.rsl_rl.train_cfg.parse_train_cfg`);
* the agent, replay buffer and loop are the :class:`~flashsac.trainer.Trainer`'s (built by ``build_run`` exactly
  as ``flashsac train`` builds them): one rsl_rl iteration is ``num_steps_per_env`` of its vector steps, followed
  by its log; there is no evaluation (rsl_rl's runner has none; ``Train/mean_reward`` is the training episodes');
* checkpoints are flashsac's (atomic, safe to load, everything for an exact resume), written as rsl_rl users
  expect them: ``<log_dir>/model_<it>.pt`` every ``save_interval`` iterations and after the last one, with the
  replay buffer beside them as ``model_<it>.buffer`` when ``checkpoint_buffer`` is set;
* exports are ``flashsac.export``'s (parity-checked ONNX and TorchScript in environment units).

Iterations count as in rsl_rl: ``learn(n)`` runs ``n`` more iterations. The schedules (learning rate, warm-up) are
set by the config's ``max_iterations``; iterations beyond it keep the final learning rate.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from flashsac.checkpointing.checkpoint_file import CheckpointError, load_checkpoint
from flashsac.config.validate import ConfigError
from flashsac.envs.bounded import apply_bounds, env_joint_limits
from flashsac.envs.protocol import validate_spec
from flashsac.evaluation.policy import LoadedPolicy, load_policy
from flashsac.export.pipeline import export_policy, robot_facts
from flashsac.integrations.rsl_rl.log_dirs import checkpoint_file
from flashsac.integrations.rsl_rl.rsl_rl_log import RslRlLog
from flashsac.integrations.rsl_rl.train_cfg import RunnerSettings, parse_train_cfg
from flashsac.integrations.rsl_rl.vec_env import lift_vec_env, random_episode_lengths
from flashsac.logging import ScalarLogger, TrainingProgress
from flashsac.trainer import Trainer
from flashsac.trainer.parts import build_agent, resolve_run_devices, seed_run

__all__ = ["FlashSACRunner", "InferencePolicy"]

_RSL_RL_KEY = "rsl_rl"  # the checkpoint entry holding rsl_rl's "iter" and "infos"


class InferencePolicy(torch.nn.Module):
    """The deterministic policy as rsl_rl play scripts call it: ``policy(obs)`` with obs a TensorDict of groups.

    Args:
        act: Deterministic action of a ``(N, obs_dim)`` actor observation, in environment units.
        actor_groups: The observation groups concatenated into the actor's input.
        device: Where observations go before acting.
    """

    def __init__(self, act: Callable[[torch.Tensor], torch.Tensor], actor_groups: tuple[str, ...], device: Any):
        super().__init__()
        self._act, self.actor_groups, self.device = act, actor_groups, torch.device(device)

    def forward(self, obs: Any) -> torch.Tensor:
        """Actions for ``obs``: a TensorDict/dict of observation groups, or the actor's tensor itself."""
        if not isinstance(obs, torch.Tensor):
            parts = [obs[group].to(torch.float32) for group in self.actor_groups]
            obs = parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)
        with torch.no_grad():
            return self._act(obs.to(self.device))


class FlashSACRunner:
    """rsl_rl's runner API driving flashsac's FlashSAC agent, replay buffer and loop (see the module docstring).

    Args:
        env: An rsl_rl ``VecEnv`` (IsaacLab's or mjlab's ``RslRlVecEnvWrapper``, or any other).
        train_cfg: The runner config as a dict (``asdict``/``to_dict`` of a ``FlashSACRunnerCfg``).
        log_dir: The run's log directory; ``None`` builds the policy only (play, export).
        device: The learner device.

    Raises:
        ConfigError: one line naming the ``train_cfg`` key at fault, or a multi-process launch (``WORLD_SIZE``).
        BoundsError: the chosen action box is unusable (e.g. infinite).
    """

    def __init__(self, env: Any, train_cfg: dict[str, Any], log_dir: str | None = None, device: str = "cpu") -> None:
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise ConfigError(
                f"WORLD_SIZE={os.environ['WORLD_SIZE']}: the FlashSAC runner trains on one device; launch one process "
                "(mjlab: --gpu-ids [0]; IsaacLab: without --distributed)."
            )
        self.env, self.cfg, self.device = env, train_cfg, device
        self.log_dir = log_dir
        task = str(train_cfg.get("experiment_name") or "rsl_rl")
        self.lifted = lift_vec_env(env, train_cfg.get("obs_groups"), task)
        spec = self.lifted.spec
        self.settings: RunnerSettings = parse_train_cfg(
            train_cfg,
            num_envs=spec.num_envs,
            env_device=spec.device,
            device=device,
            task=task,
            joint_limited=env_joint_limits(self.lifted) is not None,
            log_dir=log_dir,
        )
        run = self.settings.run
        self.train_env = apply_bounds(self.lifted, run.env)
        validate_spec(self.train_env.spec)
        self._actor_groups = self.lifted.obs_groups["actor"]
        self.trainer: Trainer | None = None
        if log_dir is not None:
            Path(log_dir).mkdir(parents=True, exist_ok=True)
            self.trainer = Trainer(run, Path(log_dir), env=self.train_env)
            self.agent = self.trainer.agent
        else:  # play and export: the policy only, no replay buffer
            seed_run(run)
            self.agent = build_agent(run, self.train_env.spec, resolve_run_devices(run).learner)
        self.log = RslRlLog(log_dir, train_cfg, getattr(env, "cfg", None), spec.num_envs, device)
        self.current_learning_iteration = 0
        self._checkpoint: Path | None = None
        self._played: LoadedPolicy | None = None  # the policy a play runner loaded, with its own config

    # ------------------------------------------------------------------ training

    @property
    def _per_iteration(self) -> int:
        return self.settings.env_steps_per_iteration

    def learn(self, num_learning_iterations: int, init_at_random_ep_len: bool = False) -> None:
        """Run ``num_learning_iterations`` more iterations of ``num_steps_per_env`` vector steps each.

        Args:
            num_learning_iterations: Iterations to run (rsl_rl: ``max_iterations`` from the script).
            init_at_random_ep_len: Draw every env's episode timer uniformly first (seeded by the run seed), as
                rsl_rl's runner does, so time-outs spread over the iterations.

        Raises:
            ValueError: the runner was built without a ``log_dir`` (nothing to train into).
        """
        trainer = self.trainer
        if trainer is None:
            raise ValueError("FlashSACRunner.learn needs a log_dir: build the runner with log_dir=<run directory>.")
        run, state = self.settings.run, trainer.state
        if init_at_random_ep_len:
            random_episode_lengths(self.env, run.seed + state.env_steps)
        self.log.start()
        scalar_log = ScalarLogger(
            trainer.run_dir, run.logging, dataclasses.asdict(run), resume_env_steps=state.env_steps or None
        )
        progress = TrainingProgress(run.train.num_env_steps, run.env.task, enabled=False)
        done = state.env_steps // self._per_iteration
        last = done + num_learning_iterations - 1
        try:
            for iteration in range(done, done + num_learning_iterations):
                start = time.perf_counter()
                for _ in range(self.settings.num_steps_per_env):
                    trainer.vector_step()
                scalars = trainer.log_interval(scalar_log, progress)
                seconds = time.perf_counter() - start
                named = self.log.write(iteration, scalars, self.lifted.log.drain(), self._per_iteration, seconds)
                self.current_learning_iteration = iteration
                self._print(iteration, last, named, seconds)
                if iteration % self.settings.save_interval == 0 or iteration == last:
                    self.save(str(checkpoint_file(trainer.run_dir, iteration)))
        finally:
            progress.close()
            scalar_log.close()
            self.log.stop()

    def _print(self, iteration: int, last: int, named: dict[str, float], seconds: float) -> None:
        """One short block per iteration, in the spirit of rsl_rl's console log."""
        env_steps = self.trainer.state.env_steps if self.trainer is not None else 0
        lines = [f"Learning iteration {iteration}/{last} ({env_steps} env steps, {seconds:.2f}s)"]
        if "Train/mean_reward" in named:
            reward, length = named["Train/mean_reward"], named["Train/mean_episode_length"]
            lines.append(f"  Mean reward: {reward:.2f}   Mean episode length: {length:.1f}")
        losses = ", ".join(f"{key[5:]} {value:.4f}" for key, value in named.items() if key.startswith("Loss/"))
        if losses:
            lines.append(f"  Loss: {losses}")
        lines.append(f"  Steps per second: {named['Perf/total_fps']:.0f}")
        print("\n".join(lines), flush=True)

    # ------------------------------------------------------------------ checkpoints

    def save(self, path: str, infos: dict[str, Any] | None = None) -> None:
        """Write a flashsac checkpoint (everything for an exact resume) to ``path``; upload it where rsl_rl would.

        ``infos`` (plain data) travels inside and comes back from :meth:`load`; the env's ``common_step_counter``
        (curricula of IsaacLab/mjlab envs) is kept with it, as mjlab's runner does.
        """
        if self.trainer is None:
            raise ValueError("FlashSACRunner.save needs a log_dir (a runner built for play holds no training state).")
        unwrapped = getattr(self.env, "unwrapped", None)
        env_state = {}
        if unwrapped is not None and hasattr(unwrapped, "common_step_counter"):
            env_state["common_step_counter"] = int(unwrapped.common_step_counter)
        extra = {_RSL_RL_KEY: {"iter": self.current_learning_iteration, "infos": infos, "env_state": env_state}}
        self._checkpoint = self.trainer.save(Path(path), extra=extra)
        self.log.save_model(str(self._checkpoint), self.current_learning_iteration)

    def load(
        self, path: str, load_cfg: dict[str, bool] | None = None, strict: bool = True, map_location: str | None = None
    ) -> dict[str, Any] | None:
        """Restore a checkpoint written by :meth:`save` (safe loading: tensors and plain data only).

        Args:
            path: A ``model_<it>.pt``.
            load_cfg: rsl_rl's selection; ``{"actor": True}`` (play scripts) restores the policy only; by default
                everything is restored and training continues exactly where the checkpoint was written.
            strict: Refuse a checkpoint whose networks do not match exactly (kept for the API; always strict).
            map_location: Device to load tensors to (default: the learner device).

        Returns:
            The ``infos`` given to :meth:`save`.

        Raises:
            CheckpointError: the file is missing, unsafe, corrupt, or not a FlashSAC runner checkpoint.
        """
        del strict  # flashsac restores networks strictly
        file = Path(path)
        payload = load_checkpoint(file, map_location=map_location or self.device)
        rsl = payload.get(_RSL_RL_KEY)
        if rsl is None:
            raise CheckpointError(f"{file} is a flashsac checkpoint but not a FlashSACRunner one (no '{_RSL_RL_KEY}').")
        policy_only = load_cfg is not None and not any(v for k, v in load_cfg.items() if k != "actor")
        if self.trainer is None:
            # Why from the checkpoint's own config: play scripts pass the task's registered config, which need not
            # be the one the run trained with (network sizes set on the command line).
            self._played = load_policy(file, map_location or self.device, env_spec=self.train_env.spec)
            self.agent = self._played.agent
        elif policy_only:
            self.agent.load_state_dict(payload["agent"])
        else:
            self.trainer.restore(payload, buffer_path=file.with_suffix(".buffer"))
            counter = rsl.get("env_state", {}).get("common_step_counter")
            unwrapped = getattr(self.env, "unwrapped", None)
            if counter is not None and unwrapped is not None and hasattr(unwrapped, "common_step_counter"):
                unwrapped.common_step_counter = counter
        self.current_learning_iteration = int(rsl["iter"])
        self._checkpoint = file
        return rsl.get("infos")

    # ------------------------------------------------------------------ policy

    def get_inference_policy(self, device: str | None = None) -> InferencePolicy:
        """The deterministic policy, taking the env's observation TensorDict (or the actor's tensor)."""
        target = torch.device(device) if device is not None else self.agent.device
        agent = self.agent
        return InferencePolicy(
            lambda obs: agent.act(obs.to(agent.device), deterministic=True).to(target), self._actor_groups, agent.device
        )

    def _loaded(self) -> LoadedPolicy:
        if self._played is not None:
            return self._played
        env_steps = self.trainer.state.env_steps if self.trainer is not None else 0
        return LoadedPolicy(self.agent, self.settings.run, self.train_env.spec, env_steps)

    def _export(self, path: str, filename: str, fmt: str) -> None:
        if self._checkpoint is None:
            raise CheckpointError("export_policy_to_*: save or load a checkpoint first (the export names its source).")
        obs = self._current_obs()
        loaded = self._loaded()
        export_policy(
            loaded,
            self._checkpoint,
            robot_facts(self.train_env, loaded),
            obs,
            Path(path),
            formats=(fmt,),
            file_names={fmt: filename},
            manifest_name=f"{filename}.manifest.json",
        )

    def _current_obs(self) -> torch.Tensor:
        """The actor's current observation of every env (the export's parity inputs), without stepping the env."""
        obs = self.env.get_observations()
        parts = [obs[group].to(torch.float32) for group in self._actor_groups]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def export_policy_to_jit(self, path: str, filename: str = "policy.pt") -> None:
        """Write the deterministic policy (environment units) as TorchScript to ``<path>/<filename>``."""
        self._export(path, filename, "torchscript")

    def export_policy_to_onnx(self, path: str, filename: str = "policy.onnx", verbose: bool = False) -> None:
        """Write the deterministic policy (environment units) as ONNX to ``<path>/<filename>``."""
        del verbose
        self._export(path, filename, "onnx")

    def add_git_repo_to_log(self, repo_file_path: str) -> None:
        """Store the git state of the repository holding ``repo_file_path`` in ``<log_dir>/git/`` (as rsl_rl)."""
        self.log.add_git_repo(repo_file_path)

"""The parts of a training run, built from its configuration: devices, envs, agent, replay buffer, warm-up policy.

:func:`build_run` is the one place that turns a :class:`~flashsac.config.schema.RunConfig` into these objects.
The trainer uses all of them; ``flashsac bench loop`` and ``flashsac doctor`` use the steps they need
(:func:`seed_run`, :func:`resolve_run_devices`, :func:`build_agent`), so what they measure or diagnose is what
training builds. The order is fixed: the global RNG is seeded before anything draws from it (network
initialisation), so one seed gives one run.

Under data parallelism (docs/distributed.md) each rank builds its own parts with the seed ``seed + rank`` on its
local devices -- its own simulator instance, buffer shard, exploration noise and warm-up policy -- and then takes
rank 0's network weights, so rank 0 of N builds exactly what a single process would.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import torch

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.agents.random import RandomPolicy
from flashsac.buffers import ReplayBuffer
from flashsac.config.derive import Derived, derive, whole_rounds
from flashsac.config.schema import RunConfig
from flashsac.config.validate import ConfigError
from flashsac.envs.protocol import EnvSpec, VecEnv
from flashsac.envs.registry import make_env_from_config, solved_return
from flashsac.runtime.distributed import SINGLE_PROCESS, DistributedContext
from flashsac.runtime.finite_guard import FiniteGuard
from flashsac.runtime.seeding import EVAL_SEED_OFFSET, seed_everything

__all__ = [
    "RunDevices",
    "RunParts",
    "build_agent",
    "build_buffer",
    "build_run",
    "resolve_run_devices",
    "seed_run",
]


@dataclass(frozen=True)
class RunDevices:
    """Where each part of a run lives.

    Attributes:
        learner: The agent's networks and updates (``device``).
        env: The simulator's tensors (``env.device``).
        buffer: The replay storage (``buffer.device``; ``auto`` is the learner's).
    """

    learner: torch.device
    env: torch.device
    buffer: torch.device


@dataclass
class RunParts:
    """Everything a training run is built from; the loop's own state is not part of it.

    Attributes:
        derived: Iteration counts, update budget and episodes per evaluation (the latter fitted to the training
            instance where evaluation shares it).
        devices: Where each part lives.
        env: The training envs (``env.num_envs``, seeded with the run seed).
        eval_env: The evaluation envs; ``env`` itself where the simulator evaluates on the training instance.
        agent: The FlashSAC agent.
        buffer: The replay buffer, sampled by its own generator seeded with the run seed.
        random_policy: The uniform warm-up policy.
        guard: The non-finite guard on the learner device (``train.check_finite``).
        solved_return: The task's solved threshold (``train.solved_return`` or the registry's), or ``None``.
        ranks: The data-parallel ranks this process belongs to (a single process without torchrun).
    """

    derived: Derived
    devices: RunDevices
    env: VecEnv
    eval_env: VecEnv
    agent: FlashSACAgent
    buffer: ReplayBuffer
    random_policy: RandomPolicy
    guard: FiniteGuard
    solved_return: float | None
    ranks: DistributedContext = SINGLE_PROCESS

    def close(self) -> None:
        """Close the environments; idempotent."""
        self.env.close()
        if self.eval_env is not self.env:
            self.eval_env.close()


def seed_run(cfg: RunConfig, ranks: DistributedContext = SINGLE_PROCESS) -> None:
    """Seed every RNG of the process with ``seed + rank`` (deterministic kernels if asked); apply ``num_threads``."""
    seed_everything(cfg.seed + ranks.rank, cfg.deterministic)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)


def resolve_run_devices(cfg: RunConfig, ranks: DistributedContext = SINGLE_PROCESS) -> RunDevices:
    """Resolve ``device``, ``env.device`` and ``buffer.device`` (``auto`` picks CUDA where available).

    Under several ranks, CUDA means the GPU of this rank's ``LOCAL_RANK``.

    Raises:
        ConfigError: naming the key whose device is unavailable.
    """
    learner = ranks.device(cfg.device, "device")
    env = ranks.device(cfg.env.device, "env.device")
    buffer = learner if cfg.buffer.device == "auto" else ranks.device(cfg.buffer.device, "buffer.device")
    return RunDevices(learner, env, buffer)


def build_agent(
    cfg: RunConfig, spec: EnvSpec, device: torch.device, ranks: DistributedContext = SINGLE_PROCESS
) -> FlashSACAgent:
    """The run's agent for envs described by ``spec`` (its networks draw from the global RNG: seed first).

    Under several ranks its exploration noise is seeded with ``seed + rank``, its networks are overwritten with
    rank 0's, and its updates average gradients over the ranks.
    """
    total_updates = derive(cfg, ranks.world_size).total_updates
    sync = ranks if ranks.distributed else None
    agent = FlashSACAgent(spec, cfg.agent, device, total_updates, seed=cfg.seed + ranks.rank, sync=sync)
    ranks.broadcast_modules_([agent.actor, agent.critic, agent.target_critic, agent.temperature])
    return agent


def build_buffer(cfg: RunConfig, spec: EnvSpec, device: torch.device, rank: int = 0) -> ReplayBuffer:
    """The run's replay buffer (this rank's shard) for envs described by ``spec``, sampled with its own generator.

    The generator is seeded with ``seed + rank``.
    """
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed + rank)
    return ReplayBuffer(
        cfg.buffer.capacity,
        spec.num_envs,
        spec.obs_dim,
        spec.action_dim,
        n_step=cfg.agent.n_step,
        gamma=cfg.agent.gamma,
        device=device,
        critic_obs_dim=spec.critic_obs_dim,
        obs_dtype=getattr(torch, cfg.buffer.obs_dtype),  # one of OBS_DTYPES (config rule)
        max_episode_steps=spec.max_episode_steps,
        generator=generator,
    )


def build_run(cfg: RunConfig, ranks: DistributedContext = SINGLE_PROCESS, env: VecEnv | None = None) -> RunParts:
    """Seed the process and build every part of a training run from a validated configuration.

    Warns where the simulator cannot return the true final observation at time-outs. Under several ranks, only
    rank 0 builds a separate evaluation env (only it evaluates); the others' ``eval_env`` is their training env.

    Args:
        cfg: The run configuration.
        ranks: The data-parallel ranks (a single process by default): rank ``r`` seeds its envs with ``seed + r``.
        env: An env built (and bounded) elsewhere, used instead of one made from ``cfg.env`` and evaluated on
            itself: the rsl_rl runner's lifted env. Its builder warns about its final observations.

    Raises:
        ConfigError: an unavailable device, or ``train.num_eval_episodes`` that does not fill whole rounds of
            the training envs where evaluation shares their instance (nothing is left open).
        BoundsError: the env's action box is infinite under ``env.action_bounds``.
    """
    derived = derive(cfg, ranks.world_size)
    seed_run(cfg, ranks)
    devices = resolve_run_devices(cfg, ranks)
    e = cfg.env
    provided = env is not None
    env = env if env is not None else make_env_from_config(e, cfg.seed + ranks.rank, devices.env)
    spec = env.spec
    if spec.shares_instance or provided:
        derived = _fit_shared_eval_episodes(cfg, derived, env)
        eval_env = env
    elif not ranks.is_main:
        eval_env = env
    else:
        eval_env = make_env_from_config(e, cfg.seed + EVAL_SEED_OFFSET, devices.env, num_envs=e.num_eval_envs)
    if not spec.exact_final_obs and not provided:
        warnings.warn(
            f"{e.name}/{e.task} cannot return the true final observation at time-outs; truncated transitions "
            "bootstrap from the post-reset observation (biased targets at time limits).",
            stacklevel=2,
        )
    threshold = cfg.train.solved_return
    if threshold is None and not provided:
        threshold = solved_return(e.name, e.task)
    return RunParts(
        derived=derived,
        devices=devices,
        env=env,
        eval_env=eval_env,
        agent=build_agent(cfg, spec, devices.learner, ranks),
        buffer=build_buffer(cfg, spec, devices.buffer, ranks.rank),
        random_policy=RandomPolicy(spec, seed=cfg.seed + ranks.rank),
        guard=FiniteGuard(devices.learner, cfg.train.check_finite, ranks),
        solved_return=threshold,
        ranks=ranks,
    )


def _fit_shared_eval_episodes(cfg: RunConfig, derived: Derived, env: VecEnv) -> Derived:
    """Evaluation on the training instance runs whole rounds of ``env.num_envs``: fit the episode count."""
    e, t = cfg.env, cfg.train
    if not t.num_eval_episodes:  # automatic: the fewest whole rounds of the training envs (at least one)
        return dataclasses.replace(derived, num_eval_episodes=whole_rounds(1, e.num_envs))
    if t.num_eval_episodes % e.num_envs:
        env.close()
        raise ConfigError(
            f"train.num_eval_episodes={t.num_eval_episodes} is invalid: {e.name} evaluates on the training "
            f"instance, so it must be a multiple of env.num_envs={e.num_envs} (e.g. {e.num_envs})."
        )
    return derived

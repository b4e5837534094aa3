"""Helpers of the multi-process tests: spawned rank functions, a tiny agent, and a one-process reference.

The rank functions live in this importable module (not in a test file) because ``torch.multiprocessing.spawn``
pickles them by name into fresh interpreters.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.multiprocessing as mp

from flashsac.agents.flashsac.agent import FlashSACAgent
from flashsac.agents.flashsac.reward_scaling import RewardScaler
from flashsac.buffers.batch import Batch
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec
from flashsac.runtime.distributed import DistributedContext, RankSync, init_distributed
from flashsac.runtime.finite_guard import FiniteGuard, NonFiniteError

OBS_DIM, ACTION_DIM, BATCH, NUM_ENVS = 3, 2, 8, 3
NUM_UPDATES = 4  # with actor_update_period 1 and 2 below, both update shapes are covered
SCALER_STEPS = 6


def free_port() -> int:
    """A TCP port that was free a moment ago (the rendezvous of one spawned group)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(fn: Callable[..., None], world_size: int, *args: Any) -> None:
    """Run ``fn(rank, world_size, port, *args)`` in ``world_size`` fresh processes; raise if any fails."""
    mp.spawn(fn, args=(world_size, free_port(), *args), nprocs=world_size, join=True)


def join_group(rank: int, world_size: int, port: int) -> DistributedContext:
    """Set torchrun's variables for this rank and join through :func:`init_distributed` (one thread each)."""
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE=str(world_size),
        LOCAL_RANK=str(rank),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    return init_distributed("cpu", timeout_s=60)


def tiny_agent(init_seed: int, sync: RankSync | None, actor_update_period: int = 1) -> FlashSACAgent:
    """A small FlashSAC agent whose initial weights come from ``init_seed``."""
    spec = EnvSpec(
        task="unit",
        num_envs=NUM_ENVS,
        obs_dim=OBS_DIM,
        action_dim=ACTION_DIM,
        action_low=-torch.ones(ACTION_DIM),
        action_high=torch.ones(ACTION_DIM),
        max_episode_steps=None,
    )
    cfg = AgentConfig(
        actor_hidden_dim=16,
        actor_num_blocks=1,
        critic_hidden_dim=16,
        critic_num_blocks=1,
        critic_num_bins=11,
        actor_update_period=actor_update_period,
    )
    torch.manual_seed(init_seed)
    return FlashSACAgent(spec, cfg, torch.device("cpu"), total_updates=20, seed=0, sync=sync)


def tiny_batch(rank: int, k: int) -> Batch:
    """Rank ``rank``'s batch for update ``k`` (different on every rank)."""
    gen = torch.Generator().manual_seed(1000 * rank + k)
    return Batch(
        obs=torch.randn(BATCH, OBS_DIM, generator=gen),
        action=torch.rand(BATCH, ACTION_DIM, generator=gen) * 2 - 1,
        reward=torch.randn(BATCH, generator=gen),
        bootstrap_obs=torch.randn(BATCH, OBS_DIM, generator=gen),
        terminated=(torch.rand(BATCH, generator=gen) < 0.2).float(),
        bootstrap_discount=torch.full((BATCH,), 0.99),
    )


def segment_seed(rank: int, k: int, segment: int) -> int:
    """Seed of the global RNG at the start of each stretch of an update between two averaging points."""
    return 7919 * rank + 101 * k + segment


class ReseedingSync:
    """A rank's sync that reseeds the global RNG after every averaging point, as :class:`LockstepMean` does.

    The actor's sampling noise then comes from the same seeds in both runs, so the only difference left between
    the two-process run and the one-process reference is how gradients travel.
    """

    def __init__(self, inner: RankSync, rank: int) -> None:
        self.inner, self.rank, self.k, self.calls = inner, rank, 0, 0

    def start_update(self, k: int) -> None:
        self.k, self.calls = k, 0
        torch.manual_seed(segment_seed(self.rank, k, 0))

    def average_(self, tensors: Sequence[torch.Tensor]) -> None:
        self.inner.average_(tensors)
        self.calls += 1
        torch.manual_seed(segment_seed(self.rank, self.k, self.calls))

    def gather_cat(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.inner.gather_cat(tensor)


class LockstepMean:
    """One process, one thread per simulated rank, taking turns: averaging = the mean of the threads' tensors.

    Turns keep the global RNG's draws in a fixed order (only one thread runs at a time); the sum is taken in
    rank order and divided by the world size, the arithmetic of an all-reduce over two ranks.
    """

    def __init__(self, world_size: int) -> None:
        self.world_size = world_size
        self.cond = threading.Condition()
        self.turn, self.generation = 0, 0
        self.slots: dict[int, list[torch.Tensor]] = {}
        self.mean: list[torch.Tensor] = []

    def wait_turn(self, rank: int) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.turn == rank)

    def pass_turn(self, rank: int) -> None:
        with self.cond:
            self.turn = (rank + 1) % self.world_size
            self.cond.notify_all()

    def average(self, rank: int, tensors: Sequence[torch.Tensor]) -> None:
        with self.cond:
            generation = self.generation
            self.slots[rank] = [t.detach().clone() for t in tensors]
            self.turn = (rank + 1) % self.world_size
            if len(self.slots) == self.world_size:
                per_rank = [self.slots[r] for r in range(self.world_size)]
                self.mean = [sum(parts[1:], parts[0]) / self.world_size for parts in zip(*per_rank, strict=True)]
                self.slots, self.generation = {}, self.generation + 1
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.generation > generation and self.turn == rank)
            mean = self.mean
        with torch.no_grad():
            for t, m in zip(tensors, mean, strict=True):
                t.copy_(m)


class _LockstepRank:
    def __init__(self, lockstep: LockstepMean, rank: int) -> None:
        self.lockstep, self.rank = lockstep, rank

    def average_(self, tensors: Sequence[torch.Tensor]) -> None:
        self.lockstep.average(self.rank, tensors)

    def gather_cat(self, tensor: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("the reference run never updates its reward scaler")


def agent_tensors(agent: FlashSACAgent) -> dict[str, torch.Tensor]:
    """Every parameter, running statistic and Adam moment of ``agent``, by name."""
    out: dict[str, torch.Tensor] = {}
    for name in ("actor", "critic", "target_critic", "temperature"):
        for key, value in getattr(agent, name).state_dict().items():
            out[f"{name}.{key}"] = value.detach().clone()
    for name in ("actor_optimizer", "critic_optimizer", "temperature_optimizer"):
        for index, state in getattr(agent, name).state_dict()["state"].items():
            for key, value in state.items():
                out[f"{name}.{index}.{key}"] = value.detach().clone()
    return out


def run_updates(agent: FlashSACAgent, sync: ReseedingSync, rank: int) -> None:
    for k in range(NUM_UPDATES):
        sync.start_update(k)
        agent.update(tiny_batch(rank, k))


def reference_run(world_size: int, period: int) -> list[dict[str, torch.Tensor]]:
    """The one-process reference: every simulated rank starts from rank 0's weights, gradients are their mean."""
    lockstep = LockstepMean(world_size)
    syncs = [ReseedingSync(_LockstepRank(lockstep, r), r) for r in range(world_size)]
    agents = [tiny_agent(0, syncs[r], period) for r in range(world_size)]
    errors: list[BaseException] = []

    def work(rank: int) -> None:
        try:
            for k in range(NUM_UPDATES):
                lockstep.wait_turn(rank)
                syncs[rank].start_update(k)
                agents[rank].update(tiny_batch(rank, k))
                lockstep.pass_turn(rank)
        except BaseException as err:  # surfaced in the test thread below
            errors.append(err)
            raise

    threads = [threading.Thread(target=work, args=(r,)) for r in range(world_size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return [agent_tensors(agent) for agent in agents]


def scaler_rewards(rank: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rank ``rank``'s rewards and episode ends at vector step ``step``."""
    gen = torch.Generator().manual_seed(50_000 + 100 * rank + step)
    return torch.randn(NUM_ENVS, generator=gen) * (rank + 1), torch.rand(NUM_ENVS, generator=gen) < 0.3


def collectives_worker(rank: int, world_size: int, port: int, out_dir: str) -> None:
    """Rank function of the fast two-process test: exercise every collective, save what each rank saw."""
    ranks = join_group(rank, world_size, port)
    results: dict[str, Any] = {}
    try:
        tensors = [
            torch.full((2, 3), float(rank + 1)),
            torch.tensor([2.0 * rank]),
            torch.tensor([rank], dtype=torch.float64),
        ]
        ranks.average_(tensors)
        results["average"] = tensors
        results["gather"] = ranks.gather_cat(torch.tensor([[rank, 10 * rank]]))

        scaler = RewardScaler(NUM_ENVS, 0.9, 5.0, gather=ranks.gather_cat)
        for step in range(SCALER_STEPS):
            scaler.update(*scaler_rewards(rank, step))
        results["scaler"] = {k: v.clone() for k, v in scaler.state_dict().items()}

        for period in (1, 2):
            sync = ReseedingSync(ranks, rank)
            agent = tiny_agent(init_seed=rank, sync=sync, actor_update_period=period)  # different on every rank
            ranks.broadcast_modules_([agent.actor, agent.critic, agent.target_critic, agent.temperature])
            results[f"initial_{period}"] = agent_tensors(agent)
            run_updates(agent, sync, rank)
            results[f"final_{period}"] = agent_tensors(agent)

        guard = FiniteGuard(torch.device("cpu"), ranks=ranks)
        guard.raise_if_tripped()  # nothing recorded anywhere: no error on any rank
        if rank == 1:
            guard.check_rows("reward", torch.tensor([[0.0], [float("nan")]]), 40)
        guard.check("critic/loss", torch.tensor(float("nan")), 48)
        try:
            guard.raise_if_tripped()
        except NonFiniteError as err:
            results["guard"] = str(err)
    finally:
        ranks.close()
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


def train_worker(rank: int, world_size: int, port: int, overrides: list[str], stop_after_env_steps: int) -> None:
    """Rank function: ``flashsac train`` with ``overrides`` in-process, stopped with a checkpoint early."""
    from flashsac.cli.compose import compose_config
    from flashsac.config.validate import validate
    from flashsac.trainer import Trainer

    ranks = join_group(rank, world_size, port)
    try:
        cfg = compose_config(overrides)
        validate(cfg)
        Trainer(cfg, Path(cfg.logging.run_dir), ranks=ranks).run(stop_after_env_steps=stop_after_env_steps)
    finally:
        ranks.close()

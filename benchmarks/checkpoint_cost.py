"""Cost of one checkpoint: seconds and MB, without and with the replay buffer, at the paper's CPU regime.

Builds the paper-size agent (DMC humanoid-walk sizes: 67 obs / 21 act by default) and a replay buffer of
``--capacity`` transitions filled with random data, then times ``Trainer``-equivalent writes: the agent
checkpoint (``save_checkpoint``) and the streamed, checksummed buffer snapshot, plus loading both back.

    python benchmarks/checkpoint_cost.py [--capacity 1000000] [--obs-dim 67] [--action-dim 21] [--out ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.buffers import ReplayBuffer
from flashsac.checkpointing.buffer_snapshot import load_buffer_snapshot, save_buffer_snapshot
from flashsac.checkpointing.checkpoint_file import load_checkpoint, save_checkpoint
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec, Step
from flashsac.tools.bench.common import machine_info, write_json


def _filled_buffer(capacity: int, obs_dim: int, action_dim: int) -> ReplayBuffer:
    buffer = ReplayBuffer(capacity, 1, obs_dim, action_dim, max_episode_steps=1000)
    chunk = 10_000
    for start in range(0, capacity + 1, chunk):
        for t in range(min(chunk, capacity + 1 - start)):
            index = start + t
            obs, action, reward = torch.randn(1, obs_dim), torch.rand(1, action_dim), torch.randn(1)
            step = Step(
                obs=torch.randn(1, obs_dim),
                reward=reward,
                terminated=torch.zeros(1, dtype=torch.bool),
                truncated=torch.tensor([index % 1000 == 999]),
                final_obs=torch.randn(1, obs_dim),
            )
            buffer.add(obs, action, step)
    return buffer


def main() -> None:
    """Measure and report checkpoint write/read time and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=int, default=1_000_000)
    parser.add_argument("--obs-dim", type=int, default=67)
    parser.add_argument("--action-dim", type=int, default=21)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/checkpoint_cost.json"))
    args = parser.parse_args()

    spec = EnvSpec(
        "bench", 1, args.obs_dim, args.action_dim, -torch.ones(args.action_dim), torch.ones(args.action_dim), 1000
    )
    agent = FlashSACAgent(spec, AgentConfig(), torch.device("cpu"), total_updates=1000)
    fill_start = time.perf_counter()
    buffer = _filled_buffer(args.capacity, args.obs_dim, args.action_dim)
    fill_s = time.perf_counter() - fill_start
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, snap = Path(tmp) / "step.pt", Path(tmp) / "step.buffer"
        t0 = time.perf_counter()
        save_checkpoint(ckpt, {"agent": agent.state_dict(), "counters": {"env_steps": 0}})
        t1 = time.perf_counter()
        save_buffer_snapshot(buffer, snap)
        t2 = time.perf_counter()
        load_checkpoint(ckpt)
        t3 = time.perf_counter()
        load_buffer_snapshot(buffer, snap)
        t4 = time.perf_counter()
        result = {
            "capacity": args.capacity,
            "obs_dim": args.obs_dim,
            "action_dim": args.action_dim,
            "agent_checkpoint_mb": ckpt.stat().st_size / 1e6,
            "agent_checkpoint_write_s": t1 - t0,
            "agent_checkpoint_read_s": t3 - t2,
            "buffer_snapshot_mb": snap.stat().st_size / 1e6,
            "buffer_snapshot_write_s": t2 - t1,
            "buffer_snapshot_read_verify_s": t4 - t3,
            "buffer_fill_s": fill_s,
        }
    write_json(args.out, {"machine": machine_info(torch.device("cpu")), "result": result})
    print(
        f"checkpoint_cost: agent {result['agent_checkpoint_mb']:.1f} MB in {result['agent_checkpoint_write_s']:.2f} s; "
        f"with a {args.capacity:,}-transition buffer +{result['buffer_snapshot_mb']:.0f} MB in "
        f"{result['buffer_snapshot_write_s']:.2f} s (read+verify {result['buffer_snapshot_read_verify_s']:.2f} s)"
    )


if __name__ == "__main__":
    main()

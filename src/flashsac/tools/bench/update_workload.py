"""The update benchmark's workload: task shapes, the paper-size agent at a width, a fixed batch, FLOPs.

The FLOPs of one update come analytically from the layer sizes and counted from the GEMMs autograd runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.buffers.batch import Batch
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec

BENCHMARK = "update_throughput"
# precision name -> (AgentConfig.use_amp, AgentConfig.amp_dtype)
PRECISIONS = {"fp32": (False, "bfloat16"), "bf16": (True, "bfloat16"), "fp16": (True, "float16")}

# The paper's critic width; the actor is half as wide (AgentConfig defaults: 256 and 128).
PAPER_WIDTH = 256

# The hand count of one faithful update for DMC humanoid-walk at the CPU batch size and paper width, GFLOP.
REFERENCE_GFLOP = {("humanoid-walk", 512, PAPER_WIDTH): 21.35}

# Hidden-width multiplier inside an inverted residual block (flashsac.nn.layers.InvertedResidualBlock).
BLOCK_EXPANSION = 4


@dataclass(frozen=True)
class TaskShape:
    """Observation and action sizes of one task: all the update cost depends on besides the config.

    Attributes:
        name: Key used on the command line and in the results.
        obs_dim: Actor observation size.
        action_dim: Number of actions.
        critic_obs_dim: Privileged critic observation size, or ``None`` (the critic sees ``obs``).
        note: Where the sizes come from.
    """

    name: str
    obs_dim: int
    action_dim: int
    critic_obs_dim: int | None = None
    note: str = ""


TASK_SHAPES = {
    shape.name: shape
    for shape in (
        TaskShape("humanoid-walk", 67, 21, note="DMC humanoid-walk: 67-dim flattened observation, 21 actuators"),
        TaskShape(
            "humanoid29",
            96,
            29,
            note=(
                "29-DoF humanoid (Unitree G1 class) velocity tracking with deployable proprioception: base angular "
                "velocity 3 + projected gravity 3 + velocity command 3 + joint positions 29 + joint velocities 29 "
                "+ previous action 29 = 96"
            ),
        ),
        TaskShape(
            "humanoid29-asym",
            96,
            29,
            critic_obs_dim=99,
            note="humanoid29 with an asymmetric critic that also sees the base linear velocity: 96 + 3 = 99",
        ),
    )
}


def agent_config(width: int = PAPER_WIDTH, **changes: Any) -> AgentConfig:
    """The paper's agent (AgentConfig defaults) with critic hidden width ``width`` and the actor at half of it."""
    return AgentConfig(critic_hidden_dim=width, actor_hidden_dim=width // 2, **changes)


def make_agent(
    shape: TaskShape,
    device: torch.device,
    compile_on: bool,
    precision: str,
    compile_mode: str = "auto",
    width: int = PAPER_WIDTH,
) -> FlashSACAgent:
    """A FlashSAC agent for ``shape`` (paper networks at critic width ``width``), with actions in [-1, 1]."""
    use_amp, amp_dtype = PRECISIONS[precision]
    spec = EnvSpec(
        task=shape.name,
        num_envs=1,
        obs_dim=shape.obs_dim,
        action_dim=shape.action_dim,
        action_low=-torch.ones(shape.action_dim),
        action_high=torch.ones(shape.action_dim),
        max_episode_steps=1000,
        device=device,
        critic_obs_dim=shape.critic_obs_dim,
    )
    cfg = agent_config(width, use_compile=compile_on, compile_mode=compile_mode, use_amp=use_amp, amp_dtype=amp_dtype)
    return FlashSACAgent(spec, cfg, device, total_updates=1_000_000, seed=0)


def make_batch(shape: TaskShape, batch_size: int, device: torch.device, seed: int = 0) -> Batch:
    """One random replay batch on ``device``; its values do not change the cost of an update."""
    generator = torch.Generator().manual_seed(seed)

    def normal(*size: int) -> torch.Tensor:
        return torch.randn(*size, generator=generator).to(device)

    critic_obs = bootstrap_critic_obs = None
    if shape.critic_obs_dim is not None:
        critic_obs, bootstrap_critic_obs = (
            normal(batch_size, shape.critic_obs_dim),
            normal(batch_size, shape.critic_obs_dim),
        )
    return Batch(
        obs=normal(batch_size, shape.obs_dim),
        action=(torch.rand(batch_size, shape.action_dim, generator=generator) * 2 - 1).to(device),
        reward=normal(batch_size),
        bootstrap_obs=normal(batch_size, shape.obs_dim),
        terminated=(torch.rand(batch_size, generator=generator) < 0.01).float().to(device),
        bootstrap_discount=torch.full((batch_size,), 0.99, device=device),
        critic_obs=critic_obs,
        bootstrap_critic_obs=bootstrap_critic_obs,
    )


# ---------------------------------------------------------------------------------------------------- FLOPs


def trunk_gemm_flops(in_dim: int, hidden_dim: int, num_blocks: int) -> int:
    """Forward GEMM FLOPs of one trunk per input row: embedder ``in -> h``, then per block ``h -> 4h -> h``."""
    return 2 * (in_dim * hidden_dim + num_blocks * 2 * hidden_dim * BLOCK_EXPANSION * hidden_dim)


def analytic_update_flops(shape: TaskShape, cfg: AgentConfig, batch_size: int) -> dict[str, float]:
    """GEMM FLOPs of one update (averaged over the actor period), from the layer sizes alone.

    Per row, a forward pass costs ``f_actor = trunk(obs, h_a) + 2 h_a 2|A|`` and
    ``f_critic = 2 x (trunk(obs_c + |A|, h_c) + 2 h_c K)`` (two fused members), where
    ``trunk(d, h) = 2 (d h + n_blocks 2 h 4h)``. A backward pass that needs weight and input gradients costs
    twice its forward; one that needs only input gradients costs one forward. With batch B:

    * critic update (every step): actor forward on s' (B rows), target critic forward on the joint batch (2B),
      online critic forward + backward (3 x 2B): ``B f_actor + 2B f_critic + 6B f_critic``;
    * actor update (every ``p``-th step): actor forward + backward on concat(s, s') (3 x 2B), critic forward
      + input-gradient backward on B rows: ``6B f_actor + 2B f_critic``;
    * per update: critic update + actor update / p.

    Every first layer needs its input gradient too: its input is a batch-norm output, which depends on the
    norm's affine parameters. So the rule is exact: ``FlopCounterMode`` gave the same 21,350,055,936 FLOP for
    humanoid-walk at B = 512 (the issue's 21.35 GFLOP), and a gap flags a change in what an update computes.
    """
    critic_obs_dim = shape.critic_obs_dim if shape.critic_obs_dim is not None else shape.obs_dim
    critic_in = critic_obs_dim + shape.action_dim
    f_actor = trunk_gemm_flops(shape.obs_dim, cfg.actor_hidden_dim, cfg.actor_num_blocks)
    f_actor += 2 * cfg.actor_hidden_dim * 2 * shape.action_dim
    f_critic = trunk_gemm_flops(critic_in, cfg.critic_hidden_dim, cfg.critic_num_blocks)
    f_critic = 2 * (f_critic + 2 * cfg.critic_hidden_dim * cfg.critic_num_bins)
    b, period = batch_size, cfg.actor_update_period
    critic_update = b * f_actor + 2 * b * f_critic + 3 * 2 * b * f_critic
    actor_update = 3 * 2 * b * f_actor + 2 * b * f_critic
    per_update = critic_update + actor_update / period
    return {
        "gflop": per_update / 1e9,
        "critic_update_gflop": critic_update / 1e9,
        "actor_update_gflop": actor_update / 1e9,
        "actor_forward_mflop_per_row": f_actor / 1e6,
        "critic_forward_mflop_per_row": f_critic / 1e6,
    }


def counted_update_flops(
    shape: TaskShape, batch_size: int, device: torch.device, width: int = PAPER_WIDTH
) -> dict[str, Any]:
    """FLOPs per update that autograd really executes: one eager fp32 pair under ``FlopCounterMode``, halved.

    A fresh agent is used so that the timed agents' step counters and statistics are untouched.
    """
    agent = make_agent(shape, device, compile_on=False, precision="fp32", width=width)
    batch = make_batch(shape, batch_size, device)
    counter = FlopCounterMode(display=False)
    with counter:
        agent.update(batch)  # actor + critic step
        agent.update(batch)  # critic step
    per_op = {str(op): count / 2 for op, count in counter.get_flop_counts().get("Global", {}).items()}
    return {"gflop": counter.get_total_flops() / 2 / 1e9, "per_op_gflop": {k: v / 1e9 for k, v in per_op.items()}}


# ---------------------------------------------------------------------------------------------------- timing


def flop_check(shape: TaskShape, batch_size: int, device: torch.device, width: int = PAPER_WIDTH) -> dict[str, Any]:
    """Counted and analytic FLOPs per update, with the ratio to the issue's reference where one exists."""
    analytic = analytic_update_flops(shape, agent_config(width), batch_size)
    counted = counted_update_flops(shape, batch_size, device, width)
    check: dict[str, Any] = {"counted": counted, "analytic": analytic}
    reference = REFERENCE_GFLOP.get((shape.name, batch_size, width))
    if reference is not None:
        check["reference_gflop"] = reference
        check["counted_over_reference"] = counted["gflop"] / reference
        check["analytic_over_reference"] = analytic["gflop"] / reference
    print(
        f"{BENCHMARK} flops {shape.name} width={width} B={batch_size}: counted {counted['gflop']:.3f} GFLOP/update,"
        f" analytic {analytic['gflop']:.3f}" + (f", reference {reference:.2f}" if reference is not None else "")
    )
    return check

"""Load a trained policy from a checkpoint alone: config, env spec and agent state all travel inside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from flashsac.agents.flashsac import FlashSACAgent
from flashsac.checkpointing.checkpoint_file import CheckpointError, load_checkpoint
from flashsac.checkpointing.compatibility import check_compatible
from flashsac.config.schema import RunConfig
from flashsac.config.serialize import config_from_dict
from flashsac.envs.protocol import EnvSpec, spec_from_dict

__all__ = ["LoadedPolicy", "load_policy"]


@dataclass
class LoadedPolicy:
    """A restored agent with the configuration and env spec it was trained with."""

    agent: FlashSACAgent
    cfg: RunConfig
    spec: EnvSpec
    env_steps: int

    def act(self, obs: torch.Tensor) -> torch.Tensor:
        """Deterministic actions (``tanh`` of the mean, mapped onto the bounds) for ``obs (N, obs_dim)``."""
        return self.agent.act(obs, deterministic=True)


def load_policy(path: Path, device: torch.device | str = "cpu", env_spec: EnvSpec | None = None) -> LoadedPolicy:
    """Rebuild the agent stored in the checkpoint at ``path`` on ``device`` (safe loading, no code executed).

    Args:
        path: The checkpoint file.
        device: Where the agent will run.
        env_spec: The env the policy will act in; when given, sizes are checked against the checkpoint's.

    Raises:
        CheckpointError: if the file is unsafe, corrupt, or does not match the agent or env it is used with.
    """
    payload = load_checkpoint(path, map_location=device)
    cfg = config_from_dict(payload["config"])
    spec = spec_from_dict(payload["env_spec"], device=device)
    if env_spec is not None:
        check_compatible(payload, env_spec, cfg.agent, str(path))
    agent = FlashSACAgent(spec, cfg.agent, torch.device(device), total_updates=1, seed=cfg.seed)
    try:
        agent.load_state_dict(payload["agent"])
    except (RuntimeError, KeyError) as err:
        raise CheckpointError(f"{path}: the stored agent does not match its own config/env spec: {err}") from err
    return LoadedPolicy(agent, cfg, spec, int(payload["counters"]["env_steps"]))

"""Say exactly what differs when a checkpoint does not fit the run or env it is loaded into."""

from __future__ import annotations

from typing import Any

from flashsac.checkpointing.checkpoint_file import CheckpointError
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec

__all__ = ["check_compatible"]

_SPEC_KEYS = ("obs_dim", "action_dim", "critic_obs_dim")
_NETWORK_KEYS = ("actor_hidden_dim", "actor_num_blocks", "critic_hidden_dim", "critic_num_blocks", "critic_num_bins")


def check_compatible(payload: dict[str, Any], spec: EnvSpec, agent_cfg: AgentConfig, source: str) -> None:
    """Raise a :class:`CheckpointError` listing every env-size and network-size difference.

    Args:
        payload: A loaded checkpoint.
        spec: The env the agent will act in.
        agent_cfg: The agent configuration of the run loading it.
        source: The checkpoint's path, for the message.
    """
    stored_spec, stored_agent = payload["env_spec"], payload["config"]["agent"]
    differences = [
        f"env {key}: checkpoint {stored_spec.get(key)} vs env {getattr(spec, key)}"
        for key in _SPEC_KEYS
        if stored_spec.get(key) != getattr(spec, key)
    ]
    differences += [
        f"agent.{key}: checkpoint {stored_agent.get(key)} vs config {getattr(agent_cfg, key)}"
        for key in _NETWORK_KEYS
        if stored_agent.get(key) != getattr(agent_cfg, key)
    ]
    if differences:
        raise CheckpointError(f"{source} does not match this run: " + "; ".join(differences) + ".")

"""Environments: the batched env contract, the simulator registry and the adapters."""

from flashsac.envs.protocol import EnvSpec, Step, VecEnv, validate_spec
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError, check_env, make_env, make_env_from_config

__all__ = [
    "EnvSpec",
    "MissingSimulatorError",
    "Step",
    "UnknownTaskError",
    "VecEnv",
    "check_env",
    "make_env",
    "make_env_from_config",
    "validate_spec",
]

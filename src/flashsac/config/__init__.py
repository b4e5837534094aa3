"""Typed configuration schema, derived values and validation (no Hydra below the CLI)."""

from flashsac.config.derive import Derived, derive
from flashsac.config.schema import AgentConfig, BufferConfig, EnvConfig, LoggingConfig, RunConfig, TrainConfig
from flashsac.config.validate import ConfigError, validate

__all__ = [
    "AgentConfig",
    "BufferConfig",
    "ConfigError",
    "Derived",
    "EnvConfig",
    "LoggingConfig",
    "RunConfig",
    "TrainConfig",
    "derive",
    "validate",
]

"""Round-trip a :class:`RunConfig` through plain data (checkpoints store configs as dicts, never objects)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flashsac.config.schema import AgentConfig, BufferConfig, EnvConfig, LoggingConfig, RunConfig, TrainConfig
from flashsac.config.validate import ConfigError

__all__ = ["config_from_dict"]

_SECTIONS: dict[str, type] = {
    "env": EnvConfig,
    "agent": AgentConfig,
    "buffer": BufferConfig,
    "train": TrainConfig,
    "logging": LoggingConfig,
}


def config_from_dict(data: dict[str, Any]) -> RunConfig:
    """Rebuild a :class:`RunConfig` from ``dataclasses.asdict`` output (what checkpoints store).

    Raises:
        ConfigError: naming any key the current schema does not know (e.g. a checkpoint from another version).
    """
    known = {f.name for f in dataclasses.fields(RunConfig)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"stored config has unknown keys {sorted(unknown)}; valid top-level keys: {sorted(known)}.")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        section = _SECTIONS.get(key)
        if section is None:
            kwargs[key] = value
            continue
        fields = {f.name for f in dataclasses.fields(section)}
        extra = set(value) - fields
        if extra:
            raise ConfigError(f"stored config has unknown keys {[f'{key}.{k}' for k in sorted(extra)]}.")
        kwargs[key] = section(**value)
    return RunConfig(**kwargs)

"""Compose a typed :class:`RunConfig` from the packaged YAML presets and Hydra-style overrides."""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from flashsac.config.schema import RunConfig
from flashsac.config.validate import ConfigError

__all__ = ["CONFIG_DIR", "GROUPS", "compose_config", "config_to_yaml"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config" / "yaml"
GROUPS = ("env", "preset")
ConfigStore.instance().store(name="flashsac_schema", node=RunConfig)


def _check_key(key: str) -> None:
    """Raise a ConfigError naming ``key`` and close valid keys if it is not in the schema."""
    parts = key.split(".")
    node: Any = RunConfig()
    for depth, part in enumerate(parts):
        if not dataclasses.is_dataclass(node):
            break
        names = [f.name for f in dataclasses.fields(node)]
        if part not in names:
            prefix = ".".join(parts[:depth])
            full = [f"{prefix}.{n}" if prefix else n for n in names]
            guess = difflib.get_close_matches(key, full, n=1)
            hint = f" Did you mean {guess[0]}?" if guess else ""
            raise ConfigError(f"unknown config key {key!r}.{hint} Valid keys here: {', '.join(full)}.")
        node = getattr(node, part)


def compose_config(overrides: list[str]) -> RunConfig:
    """Compose presets and overrides into a :class:`RunConfig` (types checked, unknown keys refused).

    Raises:
        ConfigError: naming the offending key or group and the valid choices.
    """
    for override in overrides:
        if "=" not in override:
            raise ConfigError(f"override {override!r} is not of the form key=value (e.g. env.task=cartpole-swingup).")
        key = override.split("=", 1)[0].lstrip("+~")
        if key not in GROUPS:
            _check_key(key)
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
            composed = compose(config_name="config", overrides=overrides)
        merged = OmegaConf.merge(OmegaConf.structured(RunConfig), composed)
        cfg = OmegaConf.to_object(merged)
    except (HydraException, OmegaConfBaseException) as err:
        detail = f"{err} {err.__cause__}" if err.__cause__ is not None else str(err)
        message = " ".join(line.strip() for line in detail.splitlines() if line.strip())
        message = message.split(" Config search path:")[0]
        raise ConfigError(message) from None
    assert isinstance(cfg, RunConfig)
    return cfg


def config_to_yaml(cfg: RunConfig) -> str:
    """The resolved configuration as YAML (written to every run directory)."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))

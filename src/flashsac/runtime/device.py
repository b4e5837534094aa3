"""Resolve device strings from the config (and device flags) to devices that exist on this machine."""

from __future__ import annotations

import torch

from flashsac.config.rules import DEVICE
from flashsac.config.schema import RunConfig
from flashsac.config.validate import ConfigError

__all__ = ["check_devices", "resolve_device"]


def resolve_device(name: str, key: str = "device") -> torch.device:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N`` into a ``torch.device`` that exists here.

    Args:
        name: The configured value.
        key: The config key (or flag) it came from, for the error message.

    Raises:
        ConfigError: one line naming ``key``, the value and the fix, when the name is not a device or this machine
            has no such device (no CUDA, or fewer GPUs than ``cuda:N`` needs).
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not DEVICE.ok(name):
        raise ConfigError(f"{key}={name!r} is not a device; use {key}=auto, cpu, cuda or cuda:N.")
    device = torch.device(name)
    if device.type != "cuda":
        return device
    if not torch.cuda.is_available():
        raise ConfigError(f"{key}={name!r} but no CUDA device is available here; use {key}=cpu or {key}=auto.")
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        present = "cuda:0" if count == 1 else f"cuda:0 to cuda:{count - 1}"
        raise ConfigError(
            f"{key}={name!r} but this machine has {count} CUDA device(s) ({present}); use {key}=cuda:0, "
            f"{key}=auto or {key}=cpu."
        )
    return device


def check_devices(cfg: RunConfig) -> None:
    """Check that the learner, simulator and buffer devices of ``cfg`` exist here, before anything is written.

    Raises:
        ConfigError: naming the first of ``device``, ``env.device``, ``buffer.device`` that does not exist.
    """
    resolve_device(cfg.device, "device")
    resolve_device(cfg.env.device, "env.device")
    if cfg.buffer.device != "auto":  # auto: the learner's, checked above
        resolve_device(cfg.buffer.device, "buffer.device")

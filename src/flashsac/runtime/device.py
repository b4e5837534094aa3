"""Resolve device strings from the config."""

from __future__ import annotations

import torch

__all__ = ["resolve_device"]


def resolve_device(name: str, key: str = "device") -> torch.device:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N`` into a ``torch.device``, failing clearly when unavailable.

    Args:
        name: The configured value.
        key: The config key it came from, for the error message.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"{key}={name!r} is not a device; use auto, cpu, cuda or cuda:N.") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{key}={name!r} but no CUDA device is available here; use {key}=cpu or {key}=auto.")
    return device

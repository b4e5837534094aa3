"""``parse_env_cfg`` (utils/parse_cfg.py): the registered config instance with device and env count set."""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium as gym


def load_cfg_from_registry(task_name: str, entry_point_key: str) -> Any:
    """Instantiate the config class named by the task's ``entry_point_key`` kwarg (``"module:Class"``)."""
    module_name, class_name = gym.spec(task_name).kwargs[entry_point_key].split(":")
    return getattr(importlib.import_module(module_name), class_name)()


def parse_env_cfg(
    task_name: str, device: str = "cuda:0", num_envs: int | None = None, use_fabric: bool | None = None
) -> Any:
    """The task's config with ``sim.device`` and (when given) ``scene.num_envs`` set."""
    cfg = load_cfg_from_registry(task_name.split(":")[-1], "env_cfg_entry_point")
    cfg.sim.device = device
    if num_envs is not None:
        cfg.scene.num_envs = num_envs
    return cfg

"""MDP terms (envs/mdp/*.py): the real names of the terms the stand-in tasks use; values from the stand-in robot."""

from __future__ import annotations

from typing import Any

import torch


def joint_pos_rel(env: Any) -> torch.Tensor:
    """Joint positions relative to the default pose (observations.py)."""
    data = env.scene["robot"].data
    return data.joint_pos - data.default_joint_pos


def joint_vel_rel(env: Any) -> torch.Tensor:
    """Joint velocities relative to the default (observations.py)."""
    data = env.scene["robot"].data
    return data.joint_vel - data.default_joint_vel


def last_action(env: Any) -> torch.Tensor:
    """The last raw action (observations.py)."""
    return env.action_manager.action


def generated_commands(env: Any, command_name: str) -> torch.Tensor:
    """The command of term ``command_name`` (observations.py)."""
    return env.command_manager.get_command(command_name)


def time_out(env: Any) -> torch.Tensor:
    """``episode_length_buf >= max_episode_length`` (terminations.py)."""
    return env.episode_length_buf >= env.max_episode_length


def joint_pos_out_of_limit(env: Any) -> torch.Tensor:
    """Invented use of the real term name: joint 0 at or beyond its soft upper limit (terminations.py)."""
    data = env.scene["robot"].data
    return data.joint_pos[:, 0] >= data.soft_joint_pos_limits[:, 0, 1]


def track_command(env: Any) -> torch.Tensor:
    """Invented reward: stay near ``q0 + 0.1 * command`` on the first joints (near ``q0`` without a command)."""
    data = env.scene["robot"].data
    error = data.joint_pos - data.default_joint_pos
    names = env.command_manager.active_terms
    if names:
        command = env.command_manager.get_command(names[0])[:, : error.shape[1]]
        error = error[:, : command.shape[1]] - 0.1 * command
    return torch.exp(-error.square().sum(-1))

"""The managers a manager-based env drives (managers/*.py), reduced to what the stand-in tasks use.

Real interfaces kept: term configs (``ObservationTermCfg`` with ``func``, ``params``, ``noise``, ``clip``,
``scale``, ``history_length``, ``modifiers``; ``TerminationTermCfg`` with ``time_out``), ``ObservationManager``
(``active_terms``, ``_group_obs_term_cfgs``, ``group_obs_dim``, ``compute(update_history)``, noise only where the
group has ``enable_corruption``), ``ActionManager`` (``active_terms``, ``get_term``, ``action_term_dim``,
``process_action``, ``apply_action``, ``action``), ``TerminationManager`` (``compute``, ``terminated``,
``time_outs``, ``active_terms``, ``get_term``), ``RewardManager.compute(dt)`` (weighted sum times ``dt``) and a
``CommandManager`` (``compute(dt)``, ``get_command``, ``active_terms``, ``get_term``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class UniformNoiseCfg:
    """``Unoise`` (utils/noise): add uniform noise in ``[n_min, n_max]`` (torch's global generator)."""

    n_min: float = -1.0
    n_max: float = 1.0

    def func(self, data: torch.Tensor, cfg: UniformNoiseCfg) -> torch.Tensor:
        """The noisy observation."""
        return data + torch.rand_like(data) * (cfg.n_max - cfg.n_min) + cfg.n_min


@dataclass
class ObservationTermCfg:
    """One observation term."""

    func: Callable[..., torch.Tensor]
    params: dict[str, Any] = field(default_factory=dict)
    noise: UniformNoiseCfg | None = None
    clip: tuple[float, float] | None = None
    scale: float | None = None
    history_length: int = 0
    modifiers: list[Any] | None = None


@dataclass
class ObservationGroupCfg:
    """A group of terms, concatenated in order."""

    terms: dict[str, ObservationTermCfg]
    enable_corruption: bool = False
    concatenate_terms: bool = True


@dataclass
class TerminationTermCfg:
    """A done condition; ``time_out=True`` marks a time limit (reported in ``time_outs``)."""

    func: Callable[..., torch.Tensor]
    params: dict[str, Any] = field(default_factory=dict)
    time_out: bool = False


@dataclass
class RewardTermCfg:
    """A weighted reward term."""

    func: Callable[..., torch.Tensor]
    weight: float = 1.0


class ObservationManager:
    """Computes observation groups."""

    def __init__(self, groups: dict[str, ObservationGroupCfg], env: Any) -> None:
        self._env = env
        self._group_obs_term_names = {g: list(c.terms) for g, c in groups.items()}
        self._group_obs_term_cfgs = {g: list(c.terms.values()) for g, c in groups.items()}
        self._group_obs_concatenate = {g: c.concatenate_terms for g, c in groups.items()}
        self._corrupt = {g: c.enable_corruption for g, c in groups.items()}
        self._obs_buffer: dict[str, torch.Tensor] | None = None
        self._group_obs_dim = {g: (int(self.compute_group(g).shape[-1]),) for g in groups}

    @property
    def active_terms(self) -> dict[str, list[str]]:
        """Term names per group."""
        return self._group_obs_term_names

    @property
    def group_obs_dim(self) -> dict[str, tuple[int, ...]]:
        """Size of each concatenated group."""
        return self._group_obs_dim

    @property
    def group_obs_concatenate(self) -> dict[str, bool]:
        """Whether each group is one tensor."""
        return self._group_obs_concatenate

    def reset(self, env_ids: Any = None) -> dict[str, float]:
        """Nothing stateful in the stand-in's terms."""
        return {}

    def compute(self, update_history: bool = False) -> dict[str, torch.Tensor]:
        """Every group; ``update_history`` would push history buffers (the stand-in's terms have none)."""
        self._obs_buffer = {g: self.compute_group(g, update_history) for g in self._group_obs_term_names}
        return self._obs_buffer

    def compute_group(self, group_name: str, update_history: bool = False) -> torch.Tensor:
        """Compute, add noise (if the group corrupts), clip and scale each term, then concatenate."""
        parts = []
        for cfg in self._group_obs_term_cfgs[group_name]:
            obs = cfg.func(self._env, **cfg.params).clone()
            if cfg.noise is not None and self._corrupt[group_name]:
                obs = cfg.noise.func(obs, cfg.noise)
            if cfg.clip is not None:
                obs = obs.clip(*cfg.clip)
            if cfg.scale is not None:
                obs = obs * cfg.scale
            parts.append(obs)
        return torch.cat(parts, dim=-1)


class ActionManager:
    """Splits the action among its terms, in order."""

    def __init__(self, terms: dict[str, Any], env: Any) -> None:
        self._terms = {name: cfg.class_type(cfg, env) for name, cfg in terms.items()}
        self._term_names = list(self._terms)
        self._action = torch.zeros(env.num_envs, self.total_action_dim, device=env.device)

    @property
    def active_terms(self) -> list[str]:
        """Term names in action order."""
        return self._term_names

    @property
    def action_term_dim(self) -> list[int]:
        """Dimension of each term."""
        return [t.action_dim for t in self._terms.values()]

    @property
    def total_action_dim(self) -> int:
        """Sum of the term dimensions."""
        return sum(self.action_term_dim)

    @property
    def action(self) -> torch.Tensor:
        """The last raw action."""
        return self._action

    def get_term(self, name: str) -> Any:
        """The term called ``name``."""
        return self._terms[name]

    def process_action(self, action: torch.Tensor) -> None:
        """Store the raw action and let every term process its slice."""
        self._action[:] = action
        start = 0
        for term in self._terms.values():
            term.process_actions(action[:, start : start + term.action_dim])
            start += term.action_dim

    def apply_action(self) -> None:
        """Write every term's targets to the asset."""
        for term in self._terms.values():
            term.apply_actions()

    def reset(self, env_ids: Any = None) -> dict[str, float]:
        """Zero the last actions of ``env_ids``."""
        self._action[env_ids] = 0.0
        for term in self._terms.values():
            term.reset(env_ids)
        return {}


class TerminationManager:
    """Evaluates done terms, keeping time-outs apart from terminations."""

    def __init__(self, terms: dict[str, TerminationTermCfg], env: Any) -> None:
        self._env, self._terms = env, terms
        self._term_dones = {name: torch.zeros(env.num_envs, dtype=torch.bool, device=env.device) for name in terms}
        self._terminated_buf = torch.zeros(env.num_envs, dtype=torch.bool, device=env.device)
        self._truncated_buf = torch.zeros_like(self._terminated_buf)

    @property
    def active_terms(self) -> list[str]:
        """Term names."""
        return list(self._terms)

    @property
    def terminated(self) -> torch.Tensor:
        """Envs done by a non-time-out term."""
        return self._terminated_buf

    @property
    def time_outs(self) -> torch.Tensor:
        """Envs done by a time-out term."""
        return self._truncated_buf

    def get_term(self, name: str) -> torch.Tensor:
        """The last value of term ``name``."""
        return self._term_dones[name]

    def compute(self) -> torch.Tensor:
        """``terminated | time_outs`` after evaluating every term."""
        self._terminated_buf = torch.zeros_like(self._terminated_buf)
        self._truncated_buf = torch.zeros_like(self._truncated_buf)
        for name, cfg in self._terms.items():
            value = cfg.func(self._env, **cfg.params)
            self._term_dones[name][:] = value
            if cfg.time_out:
                self._truncated_buf |= value
            else:
                self._terminated_buf |= value
        return self._terminated_buf | self._truncated_buf

    def reset(self, env_ids: Any = None) -> dict[str, float]:
        """Nothing to clear."""
        return {}


class RewardManager:
    """Weighted sum of reward terms, times the step duration."""

    def __init__(self, terms: dict[str, RewardTermCfg], env: Any) -> None:
        self._env, self._terms = env, terms

    def compute(self, dt: float) -> torch.Tensor:
        """The reward of every env."""
        total = torch.zeros(self._env.num_envs, device=self._env.device)
        for cfg in self._terms.values():
            total = total + cfg.weight * cfg.func(self._env) * dt
        return total

    def reset(self, env_ids: Any = None) -> dict[str, float]:
        """Nothing to clear."""
        return {}


class UniformCommand:
    """A command term: a per-env vector drawn uniformly in ``[-1, 1]`` at every reset (invented: no timer)."""

    def __init__(self, num_envs: int, dim: int, device: str) -> None:
        self.command = torch.zeros(num_envs, dim, device=device)

    def reset(self, env_ids: Any) -> None:
        """Resample the command of ``env_ids``."""
        self.command[env_ids] = torch.rand_like(self.command[env_ids]) * 2 - 1


class CommandManager:
    """Holds the command terms."""

    def __init__(self, terms: dict[str, UniformCommand]) -> None:
        self._terms = terms

    @property
    def active_terms(self) -> list[str]:
        """Term names."""
        return list(self._terms)

    def get_term(self, name: str) -> UniformCommand:
        """The term called ``name``."""
        return self._terms[name]

    def get_command(self, name: str) -> torch.Tensor:
        """The current command of term ``name``."""
        return self._terms[name].command

    def compute(self, dt: float) -> None:
        """Advance the terms (the stand-in's commands change only at reset)."""

    def reset(self, env_ids: Any = None) -> dict[str, float]:
        """Resample the commands of ``env_ids``."""
        for term in self._terms.values():
            term.reset(env_ids)
        return {}

"""The env contract for simulators with IsaacLab's RL env API: IsaacLab and mjlab, one shared core.

IsaacLab's ``ManagerBasedRLEnv`` and ``DirectRLEnv`` and mjlab's ``ManagerBasedRlEnv`` (mjlab is "the Isaac Lab API,
powered by MuJoCo-Warp") are already batched, torch-native and on their own device. Their ``step(action)``
returns ``(obs, reward, terminated, time_outs, extras)`` where ``obs`` is a dict of observation groups, and
resets finished envs inside the call. :class:`ManagerBasedVecEnv` maps that onto the contract:

* **Observation groups.** The actor reads one group (IsaacLab ``"policy"``, mjlab ``"actor"``), the critic the
  ``"critic"`` group when the env has one (``spec.critic_obs_dim``). Groups must be concatenated (one tensor).
* **Flags.** ``terminated`` and the time-outs are never merged: ``truncated = time_outs & ~terminated`` (an env
  that fails on its last step is a failure). Where the task is declared finite-horizon
  (``cfg.is_finite_horizon``, which both simulators leave to their RL wrappers), a time-out *is* terminal.
* **The true final observation** (the env computes its returned ``obs`` after resetting finished envs), by the
  cleanest hook each simulator offers, chosen by the family:

  - ``FinalObs.EXTRAS`` (IsaacLab 3.x): ``cfg.compute_final_obs = True`` makes the env compute the observation
    once more just before ``_reset_idx`` and store it in ``extras["final_obs"]`` (envs/manager_based_rl_env.py,
    envs/direct_rl_env.py ``_reset_envs_from_buffer``). The adapter pops the key before each step, so a key
    present afterwards was written by this step.
  - ``FinalObs.RESET_HOOK`` (IsaacLab 2.x, which has no such flag): the instance's ``_reset_idx`` is wrapped to
    compute the same observation at the same point -- ``observation_manager.compute()`` for manager-based
    envs, ``_get_observations()`` plus the policy noise model for direct envs, exactly what 3.x computes.
  - ``FinalObs.MANUAL_RESET`` (mjlab): ``cfg.auto_reset = False`` makes ``step`` return the terminal
    observation itself; the adapter then calls ``reset(env_ids=finished)`` and takes the reset envs' rows.
    mjlab needs this rather than a hook: its ``step`` runs ``sim.forward()``, the command update and
    ``sim.sense()`` only *after* its reset block, so a snapshot inside ``_reset_idx`` would read kinematics
    and sensors one physics substep stale. Observation history and delay buffers stay exact too: the terminal
    frame is pushed by ``step`` as usual and the reset backfills only the reset envs (``compute(env_ids=...)``).

  The IsaacLab paths compute the observation a second time in a step: ``compute()`` without ``update_history``
  leaves history and delay buffers untouched, and noise terms draw a fresh sample (the same distribution as any
  observation; only the random stream moves on). Stateful parts would be corrupted or stale (a second push of a
  stateful modifier, a history missing its newest frame), so where an actor or critic term has history, delay or
  a stateful modifier the capture is not installed and ``spec.exact_final_obs`` is ``False`` (none of the
  paper's tasks has one). The recomputed observation sees the command of the step just taken: the command
  manager updates after the reset block, as it does in IsaacLab's own ``compute_final_obs``.
* **Bounds.** ``spec.action_low/high`` are the env's own action space -- ``Box(-inf, inf)`` in both simulators
  (``_configure_gym_env_spaces``), which ``make_env`` refuses unless the run chooses ``env.action_bounds``
  scalar or joint_limits. :meth:`ManagerBasedVecEnv.joint_limits` serves the latter from the family's reading of
  the joint-position action terms (soft limits, offset ``q0`` and scale, in action order).
* **One instance.** ``spec.shares_instance`` is ``True`` (one simulation per process); tensors stay on the env's
  device. Per-env ``info["success"]`` comes from command terms that offer ``compute_success()`` (mjlab's lift
  command), read on the manual-reset path where the state is still the terminal one (IsaacLab's paper tasks report
  no per-env success: the in-hand envs log only ``consecutive_successes``, a batch mean).
* **Episode timers.** Neither simulator randomises ``episode_length_buf`` at reset (RSL-RL's runner does, with
  ``init_at_random_ep_len``, as did the FlashSAC reference wrapper on training resets); the adapter keeps the
  env's own behaviour, so every episode starts at step 0.

Host syncs: IsaacLab and mjlab synchronise inside their own ``step`` (``reset_buf.nonzero()``); the adapter adds
none on the IsaacLab paths and one ``nonzero`` on mjlab's (the ids that ``reset(env_ids=...)`` needs).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.protocol import EnvSpec, Step

__all__ = [
    "FinalObs",
    "JointPositionTerm",
    "ManagerBasedVecEnv",
    "as_torch",
    "episode_length_s",
    "joint_position_terms",
    "per_joint",
    "stateful_obs_terms",
]


class FinalObs(enum.Enum):
    """How the adapter recovers the pre-reset observation (see the module docstring)."""

    EXTRAS = "extras"
    RESET_HOOK = "reset_hook"
    MANUAL_RESET = "manual_reset"
    NONE = "none"


@dataclass(frozen=True)
class JointPositionTerm:
    """One joint-position action term (``q_target = q0 + scale * a``), per action dimension in action order.

    Attributes:
        names: Joint names.
        soft_limits: ``(J, 2)`` soft joint-position limits ``[lower, upper]``.
        q0: ``(J,)`` the offset the action is added to (the default pose when ``use_default_offset``).
        scale: ``(J,)`` action scale.
    """

    names: tuple[str, ...]
    soft_limits: torch.Tensor
    q0: torch.Tensor
    scale: torch.Tensor


JointReader = Callable[[Any], "list[JointPositionTerm] | None"]


def as_torch(value: Any) -> Any:
    """The torch view of an IsaacLab 3.x ``ProxyArray`` (``.torch``); tensors and numbers pass unchanged."""
    return getattr(value, "torch", value)


def per_joint(value: Any, count: int, device: torch.device | str) -> torch.Tensor:
    """A term's scale or offset as a ``(count,)`` float32 tensor: a number is repeated, a per-env row taken.

    Action terms store these as a float or a ``(num_envs, count)`` tensor (identical rows unless randomised per
    env); row 0 stands for all.
    """
    tensor = torch.as_tensor(as_torch(value), dtype=torch.float32, device=device)
    if tensor.ndim == 0:
        return tensor.expand(count).clone()
    return (tensor[0] if tensor.ndim == 2 else tensor).reshape(count).clone()


def joint_position_terms(
    manager: Any, term_class: type, read: Callable[[Any], tuple[Any, torch.Tensor, Any, Any]]
) -> list[JointPositionTerm] | None:
    """Every active term of the action ``manager`` as a joint-position term, or ``None`` if one is not.

    Args:
        manager: The env's action manager (``active_terms``, ``get_term``).
        term_class: The simulator's joint-position action class; a term of any other class means ``None``.
        read: ``term -> (joint names, (J, 2) soft limits, offset, scale)``, in the simulator's own attribute names.
    """
    terms = []
    for name in manager.active_terms:
        term = manager.get_term(name)
        if not isinstance(term, term_class):
            return None
        names, soft, offset, scale = read(term)
        count = term.action_dim
        terms.append(
            JointPositionTerm(
                names=tuple(names),
                soft_limits=soft.to(torch.float32).clone(),
                q0=per_joint(offset, count, soft.device),
                scale=per_joint(scale, count, soft.device),
            )
        )
    return terms


def episode_length_s(steps: int, step_dt: float) -> float:
    """Episode seconds for which ``ceil(seconds / step_dt) == steps`` (both simulators round this way).

    Half a step short of ``steps * step_dt``, so floating-point error cannot round up to one more step.
    """
    return (steps - 0.5) * step_dt


def stateful_obs_terms(env: Any, groups: tuple[str, ...]) -> list[str]:
    """``group/term`` names whose observation has history, delay or a stateful modifier (manager-based envs).

    Reads the observation manager's term configs (the private table IsaacLab's own
    ``_configure_gym_env_spaces`` reads); direct envs have no observation manager and report none.
    """
    manager = getattr(env, "observation_manager", None)
    table: dict[str, list[Any]] = getattr(manager, "_group_obs_term_cfgs", {}) if manager is not None else {}
    names = getattr(manager, "active_terms", {}) if manager is not None else {}
    found = []
    for group in groups:
        for name, cfg in zip(names.get(group, []), table.get(group, []), strict=False):
            modifiers = getattr(cfg, "modifiers", None) or []
            stateful_modifier = any(callable(getattr(m.func, "reset", None)) for m in modifiers)
            if getattr(cfg, "history_length", 0) > 0 or getattr(cfg, "delay_max_lag", 0) > 0 or stateful_modifier:
                found.append(f"{group}/{name}")
    return found


def _space_dim(space: Any, groups: tuple[str, ...], task: str) -> int:
    """Size of concatenated observation groups from the env's (gymnasium or mjlab) Dict space."""
    total = 0
    for group in groups:
        sub = getattr(space, "spaces", space)[group]
        shape = tuple(getattr(sub, "shape", None) or ())
        if len(shape) != 1:
            raise ValueError(
                f"{task}: observation group {group!r} has shape {shape or 'of a dict of terms'}; flashsac needs one "
                "concatenated vector per group (concatenate_terms=True)."
            )
        total += int(shape[0])
    return total


def _names(groups: str | Sequence[str]) -> tuple[str, ...]:
    return (groups,) if isinstance(groups, str) else tuple(groups)


class ManagerBasedVecEnv:
    """An IsaacLab- or mjlab-style RL env behind the env contract (see the module docstring).

    Args:
        env: The simulator's env (unwrapped), already built on its device.
        task: Task name for the spec.
        actor_group: Observation group the actor sees, or several concatenated in order (rsl_rl's ``obs_groups``).
        critic_group: Observation group(s) of privileged critic inputs, used when the env has them all.
        final_obs: How the true final observation is recovered.
        time_limit_offset: Steps by which the env's own time-out precedes ``max_episode_length`` (1 for
            IsaacLab's in-hand direct envs, whose ``_get_dones`` tests ``>= max_episode_length - 1``).
        read_joint_terms: Reads the env's joint-position action terms (``None`` when not every action
            dimension is one).
    """

    def __init__(
        self,
        env: Any,
        task: str,
        *,
        actor_group: str | Sequence[str],
        critic_group: str | Sequence[str] | None,
        final_obs: FinalObs,
        time_limit_offset: int = 0,
        read_joint_terms: JointReader | None = None,
    ) -> None:
        self.env, self._read_joint_terms = env, read_joint_terms
        space = env.single_observation_space
        groups = getattr(space, "spaces", space)
        self._actor = _names(actor_group)
        critic = _names(critic_group) if critic_group is not None else ()
        self._critic = critic if critic and all(name in groups for name in critic) else None
        used = self._actor + (self._critic or ())
        if final_obs in (FinalObs.EXTRAS, FinalObs.RESET_HOOK) and stateful_obs_terms(env, used):
            final_obs = FinalObs.NONE
        self._final_obs = final_obs
        self._snapshot: dict[str, torch.Tensor] | None = None
        self._in_step = False
        if final_obs is FinalObs.EXTRAS:
            env.cfg.compute_final_obs = True
        elif final_obs is FinalObs.RESET_HOOK:
            self._install_reset_hook()
        elif final_obs is FinalObs.MANUAL_RESET:
            env.cfg.auto_reset = False
        self._finite_horizon = bool(getattr(env.cfg, "is_finite_horizon", False))
        self._closed = False
        self._spec = self._build_spec(task, time_limit_offset)

    # ------------------------------------------------------------------ spec

    def _build_spec(self, task: str, time_limit_offset: int) -> EnvSpec:
        env = self.env
        device = torch.device(str(env.device))
        action_space = env.single_action_space
        action_dim = int(action_space.shape[0])
        # Why expand: mjlab's Box stores scalar bounds, gymnasium's per-dimension arrays.
        low = torch.as_tensor(action_space.low, dtype=torch.float32).expand(action_dim).clone().to(device)
        high = torch.as_tensor(action_space.high, dtype=torch.float32).expand(action_dim).clone().to(device)
        terms = self._read_joint_terms(env) if self._read_joint_terms is not None else None
        names = tuple(name for term in terms for name in term.names) if terms else ()
        space = env.single_observation_space
        return EnvSpec(
            task=task,
            num_envs=int(env.num_envs),
            obs_dim=_space_dim(space, self._actor, task),
            action_dim=action_dim,
            action_low=low,
            action_high=high,
            max_episode_steps=int(env.max_episode_length) - time_limit_offset,
            device=device,
            critic_obs_dim=_space_dim(space, self._critic, task) if self._critic is not None else None,
            control_dt=float(env.step_dt),
            joint_names=names if len(names) == action_dim else (),
            exact_final_obs=self._final_obs is not FinalObs.NONE,
            shares_instance=True,
        )

    @property
    def spec(self) -> EnvSpec:
        """The static description of this environment batch."""
        return self._spec

    def joint_limits(self) -> JointLimits | None:
        """Soft limits, offset ``q0`` and scale per action dimension; ``None`` unless all are joint targets.

        ``None`` for a binary gripper term, an effort term or a direct env's own action mapping.
        """
        terms = self._read_joint_terms(self.env) if self._read_joint_terms is not None else None
        if not terms or sum(len(t.names) for t in terms) != self._spec.action_dim:
            return None
        limits = torch.cat([t.soft_limits for t in terms]).to(torch.float32)
        return JointLimits(
            q_min=limits[:, 0],
            q_max=limits[:, 1],
            q0=torch.cat([t.q0 for t in terms]).to(torch.float32),
            scale=torch.cat([t.scale for t in terms]).to(torch.float32),
        )

    # ------------------------------------------------------------------ final observation capture

    def _install_reset_hook(self) -> None:
        """Wrap the instance's ``_reset_idx`` to snapshot the observation of every env just before a reset."""
        env = self.env
        original = env._reset_idx
        manager = getattr(env, "observation_manager", None)

        def observe() -> dict[str, torch.Tensor]:
            if manager is not None:
                return manager.compute()
            obs = env._get_observations()
            # Why: DirectRLEnv.step adds the policy noise model to its returned obs; the final obs matches.
            if getattr(env.cfg, "observation_noise_model", None):
                obs = {**obs, "policy": env._observation_noise_model(obs["policy"])}
            return obs

        def reset_idx(env_ids: Any, *args: Any, **kwargs: Any) -> Any:
            if self._in_step:
                self._snapshot = {k: v.clone() for k, v in observe().items() if isinstance(v, torch.Tensor)}
            return original(env_ids, *args, **kwargs)

        env._reset_idx = reset_idx

    @staticmethod
    def _group(obs: dict[str, Any], names: tuple[str, ...]) -> torch.Tensor:
        if len(names) == 1:
            return obs[names[0]].to(torch.float32)
        return torch.cat([obs[name].to(torch.float32) for name in names], dim=-1)

    def _env_step(self, action: torch.Tensor) -> tuple[dict[str, Any], torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        """One simulator step: ``(obs groups, reward, terminated, time_outs, extras)``.

        The seam through which :mod:`flashsac.integrations.rsl_rl` steps the env via its rsl_rl wrapper chain
        (action clipping, video recording) instead of the bare env.
        """
        return self.env.step(action)

    # ------------------------------------------------------------------ contract

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reset every env (seeding the simulator's generators when ``seed`` is given)."""
        obs, _ = self.env.reset(seed=seed)
        critic = None if self._critic is None else self._group(obs, self._critic).clone()
        return self._group(obs, self._actor).clone(), critic

    def step(self, action: torch.Tensor) -> Step:
        """Step every env; finished ones are reset in the same call and their true last observation kept."""
        env = self.env
        if self._final_obs is FinalObs.EXTRAS:
            env.extras.pop("final_obs", None)
        self._snapshot = None
        self._in_step = True
        try:
            obs, reward, terminated, time_outs, extras = self._env_step(action)
        finally:
            self._in_step = False
        terminated = terminated.to(torch.bool)
        time_outs = time_outs.to(torch.bool)
        if self._finite_horizon:
            terminated, time_outs = terminated | time_outs, torch.zeros_like(time_outs)
        truncated = time_outs & ~terminated
        done = terminated | truncated
        info = self._success()
        final: dict[str, Any] | None = extras.get("final_obs") if self._final_obs is FinalObs.EXTRAS else None
        if self._final_obs is FinalObs.RESET_HOOK:
            final = self._snapshot
        elif self._final_obs is FinalObs.MANUAL_RESET:
            final, obs = obs, self._reset_finished(obs, done)
        return self._make_step(obs, final, reward, terminated, truncated, done, info)

    def _reset_finished(self, terminal: dict[str, Any], done: torch.Tensor) -> dict[str, Any]:
        """Mjlab without autoreset: reset the finished envs and take their post-reset rows."""
        env_ids = done.nonzero().squeeze(-1)
        if env_ids.numel() == 0:
            return terminal
        fresh, _ = self.env.reset(env_ids=env_ids)
        # Why where: reset() recomputes every env's observation (fresh noise for the others); only reset rows count.
        return {k: torch.where(done[:, None], fresh[k], v) if k in fresh else v for k, v in terminal.items()}

    def _make_step(
        self,
        obs: dict[str, Any],
        final: dict[str, Any] | None,
        reward: torch.Tensor,
        terminated: torch.Tensor,
        truncated: torch.Tensor,
        done: torch.Tensor,
        info: dict[str, torch.Tensor],
    ) -> Step:
        mask = done[:, None]
        actor = self._group(obs, self._actor).clone()
        final_actor = actor if final is None else torch.where(mask, self._group(final, self._actor), actor)
        critic = final_critic = None
        if self._critic is not None:
            critic = self._group(obs, self._critic).clone()
            final_critic = critic if final is None else torch.where(mask, self._group(final, self._critic), critic)
        return Step(
            obs=actor,
            reward=reward.to(torch.float32),
            terminated=terminated,
            truncated=truncated,
            final_obs=final_actor,
            critic_obs=critic,
            final_critic_obs=final_critic,
            info=info,
        )

    def _success(self) -> dict[str, torch.Tensor]:
        """``{"success": (N,) bool}`` from command terms offering ``compute_success()`` (pre-reset), else ``{}``."""
        manager = getattr(self.env, "command_manager", None)
        if self._final_obs is not FinalObs.MANUAL_RESET or manager is None:
            return {}
        flags = [
            term.compute_success()
            for term in (manager.get_term(name) for name in getattr(manager, "active_terms", []))
            if callable(getattr(term, "compute_success", None))
        ]
        if not flags:
            return {}
        success = flags[0].to(torch.bool)
        for flag in flags[1:]:
            success = success & flag.to(torch.bool)
        return {"success": success}

    def close(self) -> None:
        """Close the simulator env once (the simulator app itself lives until the process exits)."""
        if not self._closed:
            self._closed = True
            self.env.close()

"""Any rsl_rl ``VecEnv`` lifted into flashsac's env contract (:mod:`flashsac.envs.protocol`).

rsl_rl's ``VecEnv`` (``rsl_rl/env/vec_env.py``) offers ``num_envs``, ``num_actions``, ``max_episode_length``, a
settable ``episode_length_buf``, ``device``, ``cfg``, ``get_observations() -> TensorDict`` of observation groups and
``step(actions) -> (obs, rewards, dones, extras)`` with ``extras["time_outs"]`` and ``extras["log"]``. The lifting:

* **Observation groups.** The runner's ``obs_groups`` name the groups of each set: the actor sees the ``"actor"``
  groups concatenated in order, the critic the ``"critic"`` groups (a privileged critic observation) unless they
  equal the actor's. Groups must be flat ``(num_envs, dim)`` tensors.
* **Flags.** ``truncated = dones & time_outs`` and ``terminated = dones & ~time_outs``: never merged. Where the env
  reports no ``time_outs`` (rsl_rl wrappers of finite-horizon tasks) every end is terminal.
* **The true final observation**, by the best source the env offers:

  - **IsaacLab and mjlab envs** (recognised by ``env.unwrapped``): exactly as their adapters
    (:mod:`flashsac.envs.adapters.manager_based`) -- mjlab without autoreset (the lifting resets finished envs),
    IsaacLab 3.x's ``cfg.compute_final_obs``, IsaacLab 2.x's ``_reset_idx`` hook -- while every step still goes
    through the rsl_rl wrapper chain (its action clipping, a video recorder). Joint-position action terms give
    ``joint_limits()`` as the adapters do.
  - **Envs that declare ``cfg.compute_final_obs``** (IsaacLab 3.x's flag, read from an object or a dict): the
    observation groups in ``extras["final_obs"]``, valid in the rows of finished envs.
  - **Otherwise** the post-reset observation, ``spec.exact_final_obs = False`` and a warning: time-outs then
    bootstrap from the next episode's first observation (docs/algorithm.md section 0).
* **Bounds.** The declared box is the env's ``single_action_space`` where it has one, else unbounded; the runner
  chooses the trained box (``action_bounds``), as ``make_env`` does for the registered families.
* **One instance.** ``spec.shares_instance`` is ``True``: evaluation, if any, runs on these envs.
* **Episode statistics.** The env's ``extras["log"]`` (or ``extras["episode"]``) of every step is kept for the
  runner's rsl_rl-named log (:meth:`LiftedEnvLog.drain`).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.adapters.manager_based import FinalObs, JointReader, ManagerBasedVecEnv
from flashsac.envs.protocol import EnvSpec, Step

__all__ = ["ObsGroups", "RslRlVecEnvAdapter", "lift_vec_env", "random_episode_lengths", "resolve_obs_groups"]

ObsGroups = dict[str, tuple[str, ...]]


class LiftedEnvLog:
    """The env's per-step ``extras["log"]`` records, averaged per key at each log (as rsl_rl's logger does)."""

    def __init__(self) -> None:
        self._records: list[Mapping[str, Any]] = []

    def keep(self, extras: Mapping[str, Any]) -> None:
        """Keep the step's ``extras["episode"]`` or ``extras["log"]`` (rsl_rl reads the former first)."""
        record = extras.get("episode", extras.get("log"))
        if record:
            self._records.append(record)

    def drain(self) -> dict[str, float]:
        """Mean of every kept key since the last drain (one host sync per key, at log time only)."""
        values: dict[str, list[torch.Tensor]] = {}
        for record in self._records:
            for key, value in record.items():
                tensor = torch.as_tensor(value, dtype=torch.float32).reshape(-1).cpu()
                values.setdefault(key, []).append(tensor)
        self._records.clear()
        return {key: float(torch.cat(parts).mean()) for key, parts in values.items() if sum(p.numel() for p in parts)}


def resolve_obs_groups(obs_groups: Mapping[str, Sequence[str]] | None, available: Sequence[str]) -> ObsGroups:
    """The actor and critic groups, checked against the env's groups (rsl_rl's defaults where unset).

    rsl_rl's defaults (``resolve_obs_groups`` in ``rsl_rl/utils/utils.py``): a set left out reads the env's group of
    the same name (``"actor"``, ``"critic"``) where there is one, else ``"policy"``.

    Raises:
        ValueError: naming ``obs_groups`` and the group the env does not offer.
    """
    groups = {key: tuple(value) for key, value in (obs_groups or {}).items()}
    actor = groups.get("actor") or (("actor",) if "actor" in available else ("policy",))
    critic = groups.get("critic") or (("critic",) if "critic" in available else ("policy",))
    for name, chosen in (("actor", actor), ("critic", critic)):
        missing = [group for group in chosen if group not in available]
        if missing:
            raise ValueError(
                f"obs_groups.{name}={list(chosen)} names {missing}, which the env does not offer; its groups are "
                f"{list(available)}. Set obs_groups={{'actor': [...], 'critic': [...]}} in the runner config."
            )
    return {"actor": actor, "critic": critic}


def _cat(obs: Mapping[str, Any], groups: tuple[str, ...]) -> torch.Tensor:
    if len(groups) == 1:
        return obs[groups[0]].to(torch.float32)
    return torch.cat([obs[group].to(torch.float32) for group in groups], dim=-1)


def _flat_dim(obs: Mapping[str, Any], groups: tuple[str, ...], task: str) -> int:
    total = 0
    for group in groups:
        shape = tuple(obs[group].shape)
        if len(shape) != 2:
            raise ValueError(
                f"{task}: observation group {group!r} has shape {shape}; flashsac needs one flat (num_envs, dim) "
                "tensor per group (concatenate the group's terms)."
            )
        total += shape[1]
    return total


def _declared_box(env: Any, action_dim: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    space = getattr(getattr(env, "unwrapped", env), "single_action_space", None)
    low = getattr(space, "low", -float("inf"))
    high = getattr(space, "high", float("inf"))
    low_t = torch.as_tensor(low, dtype=torch.float32).expand(action_dim).clone().to(device)
    high_t = torch.as_tensor(high, dtype=torch.float32).expand(action_dim).clone().to(device)
    return low_t, high_t


def _cfg_flag(cfg: Any, name: str) -> bool:
    value = cfg.get(name, False) if isinstance(cfg, Mapping) else getattr(cfg, name, False)
    return bool(value)


def _split_dones(dones: torch.Tensor, extras: Mapping[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(terminated, time_outs)`` from rsl_rl's merged ``dones`` and ``extras["time_outs"]``."""
    done = dones.to(torch.bool)
    time_outs = extras.get("time_outs")
    time_outs = torch.zeros_like(done) if time_outs is None else time_outs.to(torch.bool).reshape(done.shape) & done
    return done & ~time_outs, time_outs


def random_episode_lengths(env: Any, seed: int) -> None:
    """rsl_rl's ``init_at_random_ep_len``: every env's episode timer drawn uniformly from ``[0, max_episode_length)``.

    Drawn from a generator seeded with ``seed``, not torch's global one, so the rest of the run is unaffected.
    """
    buffer = env.episode_length_buf
    generator = torch.Generator(device="cpu").manual_seed(seed)
    high = int(torch.as_tensor(env.max_episode_length).max())
    drawn = torch.randint(0, high, tuple(buffer.shape), generator=generator, dtype=buffer.dtype)
    env.episode_length_buf = drawn.to(buffer.device)


class RslRlVecEnvAdapter:
    """A generic rsl_rl ``VecEnv`` behind the env contract (see the module docstring).

    Args:
        env: The rsl_rl ``VecEnv``.
        obs_groups: Actor and critic observation groups (:func:`resolve_obs_groups`).
        task: Task name for the spec.
    """

    def __init__(self, env: Any, obs_groups: ObsGroups, task: str) -> None:
        self.rsl_env, self.log, self.obs_groups = env, LiftedEnvLog(), obs_groups
        self._actor = obs_groups["actor"]
        self._critic = obs_groups["critic"] if obs_groups["critic"] != self._actor else None
        self._final_in_extras = _cfg_flag(getattr(env, "cfg", None), "compute_final_obs")
        self._closed = False
        obs = env.get_observations()
        device = torch.device(str(env.device))
        action_dim = int(env.num_actions)
        low, high = _declared_box(env, action_dim, device)
        step_dt = getattr(env, "step_dt", getattr(getattr(env, "unwrapped", None), "step_dt", 0.0))
        self._spec = EnvSpec(
            task=task,
            num_envs=int(env.num_envs),
            obs_dim=_flat_dim(obs, self._actor, task),
            action_dim=action_dim,
            action_low=low,
            action_high=high,
            max_episode_steps=int(torch.as_tensor(env.max_episode_length).max()),
            device=device,
            critic_obs_dim=_flat_dim(obs, self._critic, task) if self._critic is not None else None,
            control_dt=float(step_dt),
            exact_final_obs=self._final_in_extras,
            shares_instance=True,
        )
        if not self._final_in_extras:
            warnings.warn(
                f"{task}: this rsl_rl VecEnv returns no final observation (it declares no cfg.compute_final_obs); "
                "episode ends bootstrap from the post-reset observation (exact_final_obs=False).",
                stacklevel=2,
            )

    @property
    def spec(self) -> EnvSpec:
        """The static description of this environment batch."""
        return self._spec

    def joint_limits(self) -> JointLimits | None:
        """The env's own ``joint_limits()`` where it offers one, else ``None``."""
        method = getattr(self.rsl_env, "joint_limits", None)
        limits = method() if callable(method) else None
        if limits is not None and not isinstance(limits, JointLimits):
            raise TypeError(f"{self._spec.task}: joint_limits() returned {type(limits).__name__}, not JointLimits.")
        return limits

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reset every env through the env's ``seed``/``reset`` where it has them, else read its observations."""
        env = self.rsl_env
        if seed is not None and callable(getattr(env, "seed", None)):
            env.seed(seed)
        obs = env.reset()[0] if callable(getattr(env, "reset", None)) else env.get_observations()
        critic = None if self._critic is None else _cat(obs, self._critic).clone()
        return _cat(obs, self._actor).clone(), critic

    def step(self, action: torch.Tensor) -> Step:
        """Step every env; the final observation comes from ``extras["final_obs"]`` where the env provides it."""
        obs, reward, dones, extras = self.rsl_env.step(action)
        self.log.keep(extras)
        terminated, time_outs = _split_dones(dones, extras)
        truncated = time_outs & ~terminated
        done = (terminated | truncated)[:, None]
        final = extras.get("final_obs") if self._final_in_extras else None
        if self._final_in_extras and final is None and bool(done.any()):
            raise RuntimeError(
                f"{self._spec.task}: the env declares cfg.compute_final_obs but its step returned no "
                "extras['final_obs'] at an episode end."
            )
        actor = _cat(obs, self._actor).clone()
        final_actor = actor if final is None else torch.where(done, _cat(final, self._actor), actor)
        critic = final_critic = None
        if self._critic is not None:
            critic = _cat(obs, self._critic).clone()
            final_critic = critic if final is None else torch.where(done, _cat(final, self._critic), critic)
        return Step(
            obs=actor,
            reward=reward.reshape(-1).to(torch.float32),
            terminated=terminated,
            truncated=truncated,
            final_obs=final_actor,
            critic_obs=critic,
            final_critic_obs=final_critic,
        )

    def __getattr__(self, name: str) -> Any:
        # Why: the StatefulEnv capability (exact resume) exists exactly where the rsl_rl env offers it.
        if name in ("state_dict", "load_state_dict") and "rsl_env" in self.__dict__:
            return getattr(self.rsl_env, name)
        raise AttributeError(name)

    def close(self) -> None:
        """Close the rsl_rl env once."""
        if not self._closed:
            self._closed = True
            self.rsl_env.close()


class RslRlManagerBasedEnv(ManagerBasedVecEnv):
    """An IsaacLab or mjlab env under its rsl_rl wrapper: the adapters' core, stepped through the wrapper chain.

    Args:
        env: The rsl_rl wrapper (``RslRlVecEnvWrapper``) whose ``unwrapped`` is the simulator's env.
        obs_groups: Actor and critic observation groups.
        task: Task name for the spec.
        final_obs: The family's final-observation hook.
        read_joint_terms: The family's reader of joint-position action terms.
    """

    def __init__(
        self, env: Any, obs_groups: ObsGroups, task: str, final_obs: FinalObs, read_joint_terms: JointReader
    ) -> None:
        self.rsl_env, self.log, self.obs_groups = env, LiftedEnvLog(), obs_groups
        self._extras: dict[str, Any] = {}
        critic = obs_groups["critic"] if obs_groups["critic"] != obs_groups["actor"] else None
        super().__init__(
            env.unwrapped,
            task,
            actor_group=obs_groups["actor"],
            critic_group=critic,
            final_obs=final_obs,
            read_joint_terms=read_joint_terms,
        )
        if not self.spec.exact_final_obs:
            warnings.warn(
                f"{task}: an observation term has history, delay or a stateful modifier, so its final observation "
                "cannot be recomputed; episode ends bootstrap from the post-reset observation.",
                stacklevel=2,
            )

    def _env_step(self, action: torch.Tensor) -> tuple[dict[str, Any], torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        obs, reward, dones, extras = self.rsl_env.step(action)
        self._extras = extras
        terminated, time_outs = _split_dones(dones, extras)
        return dict(obs.items()), reward, terminated, time_outs, extras

    def step(self, action: torch.Tensor) -> Step:
        """Step through the rsl_rl wrapper; finished envs are reset and their true last observation kept."""
        step = super().step(action)
        # Why after the step: mjlab without autoreset logs its episode terms in reset(env_ids=...), which the core
        # calls after the wrapper's step; that reset refills extras["log"] of the same extras dict.
        self.log.keep(self._extras)
        return step

    def close(self) -> None:
        """Close the rsl_rl wrapper (and with it the simulator env) once."""
        if not self._closed:
            self._closed = True
            self.rsl_env.close()


def _family(env: Any) -> str | None:
    """``"mjlab"`` or ``"isaaclab"`` when ``env.unwrapped`` is one of their RL envs, else ``None``."""
    unwrapped = getattr(env, "unwrapped", None)
    if unwrapped is None or unwrapped is env:
        return None
    for cls in type(unwrapped).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("mjlab", "isaaclab"):
            return root
    return None


def _family_reader(name: str) -> JointReader:
    """The family adapter's reader of joint-position action terms (the one its own ``make`` hands the core)."""
    return importlib.import_module(f"flashsac.envs.adapters.{name}")._joint_terms


def lift_vec_env(env: Any, obs_groups: Mapping[str, Sequence[str]] | None, task: str) -> Any:
    """Lift an rsl_rl ``VecEnv`` into the env contract, recovering the true final observation where possible.

    Args:
        env: An rsl_rl ``VecEnv`` (e.g. IsaacLab's or mjlab's ``RslRlVecEnvWrapper``).
        obs_groups: The runner config's ``obs_groups`` (``None``: rsl_rl's defaults).
        task: Task name recorded in the spec, checkpoints and logs.

    Returns:
        A contract env (:class:`RslRlManagerBasedEnv` for IsaacLab and mjlab, else :class:`RslRlVecEnvAdapter`);
        its ``log`` holds the env's ``extras["log"]`` records.
    """
    groups = resolve_obs_groups(obs_groups, list(env.get_observations().keys()))
    family = _family(env)
    if family == "mjlab":
        reader = _family_reader("mjlab")
        return RslRlManagerBasedEnv(env, groups, task, FinalObs.MANUAL_RESET, reader)
    if family == "isaaclab":
        reader = _family_reader("isaaclab")
        final = FinalObs.EXTRAS if hasattr(env.unwrapped.cfg, "compute_final_obs") else FinalObs.RESET_HOOK
        return RslRlManagerBasedEnv(env, groups, task, final, reader)
    return RslRlVecEnvAdapter(env, groups, task)

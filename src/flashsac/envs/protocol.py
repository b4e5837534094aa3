"""The batched, torch-native environment contract every simulator is adapted to.

An adapter owes the trainer exactly this:

* ``spec`` -- an :class:`EnvSpec` describing shapes, bounds, device and capabilities. It never changes.
* ``reset(seed) -> (obs, critic_obs)`` -- resets all ``num_envs`` environments. ``obs`` is
  ``(num_envs, obs_dim)`` float32 on ``spec.device``; ``critic_obs`` is ``(num_envs, critic_obs_dim)``
  when the simulator offers privileged critic observations, else ``None``. The same seed gives the same
  observations.
* ``step(action) -> Step`` -- ``action`` is ``(num_envs, action_dim)`` float32 on ``spec.device``, in
  environment units and inside ``[spec.action_low, spec.action_high]``. Autoreset is **same-step**: where an
  episode ended, ``Step.obs`` is already the first observation of the next episode and ``Step.final_obs`` is
  the true last observation ``s_{t+1}`` of the ended one (dense: equal to ``obs`` where nothing ended).
  ``terminated`` (no bootstrap: failure or success) and ``truncated`` (time limit: bootstrap from
  ``final_obs``) are never merged. ``info`` holds tensors only, e.g. ``success`` ``(num_envs,)`` bool.
* ``close()`` -- releases the simulator; calling it twice is harmless.
* ``render(env_index=0) -> np.ndarray`` -- optional, offered where ``spec.can_render`` is ``True``: the current
  state of env ``env_index`` as an ``(H, W, 3)`` uint8 RGB frame, drawn offscreen (no display). Simulators that
  render through OpenGL set it up only when built with ``make_env(..., render=True)``.

A joint-position robot's adapter may also offer ``joint_limits() -> JointLimits`` (soft limits, default pose and
action scale per action dimension), from which ``env.action_bounds=joint_limits`` derives per-joint bounds. An
adapter that knows its observation layout or PD gains offers ``observation_layout()`` and ``pd_gains()``
(:class:`DeployableEnv`) for the manifests of exported policies.

Simulators that cannot return the pre-reset observation set ``spec.exact_final_obs = False``; their
``final_obs`` is then the post-reset observation and the trainer warns (see docs/algorithm.md section 0).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch

from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.deploy_info import ObsTerm, PDGains

__all__ = [
    "DeployableEnv",
    "EnvRequest",
    "EnvSpec",
    "JointLimitedEnv",
    "RenderableEnv",
    "StatefulEnv",
    "Step",
    "VecEnv",
    "spec_from_dict",
    "spec_to_dict",
    "validate_spec",
]


@dataclass(frozen=True)
class EnvRequest:
    """What every simulator family's ``make(request, **options)`` is asked for; the options are the family's own.

    Attributes:
        task: Task name of the family (``env.task``); each family's ``make`` says which names it knows.
        num_envs: Number of environments stepped together.
        seed: Seed of the first reset.
        device: Device of the returned tensors (for some simulators also the simulation device).
        max_episode_steps: Time limit in env steps replacing the task's own, or ``None`` to keep the task's (each
            family's ``make`` says what that is).
        render: Build the env so that ``render(env_index)`` works (simulators that render through OpenGL set it up
            only when asked); families that cannot render ignore it, and their ``spec.can_render`` says so.
    """

    task: str
    num_envs: int
    seed: int
    device: torch.device
    max_episode_steps: int | None = None
    render: bool = False


@dataclass(frozen=True)
class EnvSpec:
    """Static description of a batched environment.

    Attributes:
        task: Task name as the user typed it (e.g. ``"pendulum-swingup"``).
        num_envs: Number of environments stepped together.
        obs_dim: Size of the actor observation vector.
        action_dim: Number of action dimensions.
        action_low: ``(action_dim,)`` float32 lower bounds in environment units. An adapter declares the
            simulator's own bounds (even infinite or huge ones); ``make_env`` replaces them with the run's
            finite box (``env.action_bounds``, see :mod:`flashsac.envs.bounded`) before anything sees them.
        action_high: ``(action_dim,)`` float32 upper bounds, strictly above ``action_low``.
        max_episode_steps: Time limit in env steps (episodes are truncated there), or ``None`` if unbounded.
        device: Device on which every tensor of ``reset``/``step`` lives.
        critic_obs_dim: Size of the privileged critic observation, or ``None`` (critic sees ``obs``).
        control_dt: Seconds of simulated time per env step (for videos and export manifests).
        joint_names: Names of the actuated joints in action order, where known.
        exact_final_obs: ``True`` when ``Step.final_obs`` is the true pre-reset observation.
        shares_instance: ``True`` when evaluation must reuse the training instance.
        can_render: ``True`` when the adapter can render RGB frames.
    """

    task: str
    num_envs: int
    obs_dim: int
    action_dim: int
    action_low: torch.Tensor
    action_high: torch.Tensor
    max_episode_steps: int | None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    critic_obs_dim: int | None = None
    control_dt: float = 0.0
    joint_names: tuple[str, ...] = ()
    exact_final_obs: bool = True
    shares_instance: bool = False
    can_render: bool = False

    @property
    def critic_input_dim(self) -> int:
        """Observation size the critic consumes (privileged size when present)."""
        return self.critic_obs_dim if self.critic_obs_dim is not None else self.obs_dim


@dataclass
class Step:
    """What one batched ``step`` returns; every tensor has leading dimension ``num_envs``.

    Attributes:
        obs: ``(N, obs_dim)`` next observation, already reset where an episode ended.
        reward: ``(N,)`` float32 reward of this transition.
        terminated: ``(N,)`` bool, episode ended in a terminal state (do not bootstrap).
        truncated: ``(N,)`` bool, episode cut by the time limit (bootstrap from ``final_obs``).
        final_obs: ``(N, obs_dim)`` the true ``s_{t+1}``; equals ``obs`` where neither flag is set.
        critic_obs: ``(N, critic_obs_dim)`` privileged next observation (post-reset), or ``None``.
        final_critic_obs: ``(N, critic_obs_dim)`` privileged true ``s_{t+1}``, or ``None``.
        info: Extra per-env tensors, e.g. ``success`` ``(N,)`` bool.
    """

    obs: torch.Tensor
    reward: torch.Tensor
    terminated: torch.Tensor
    truncated: torch.Tensor
    final_obs: torch.Tensor
    critic_obs: torch.Tensor | None = None
    final_critic_obs: torch.Tensor | None = None
    info: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def done(self) -> torch.Tensor:
        """``(N,)`` bool: the episode ended, for either reason."""
        return self.terminated | self.truncated


@runtime_checkable
class VecEnv(Protocol):
    """A batch of ``spec.num_envs`` environments behind the contract of this module."""

    @property
    def spec(self) -> EnvSpec:
        """The static description of this environment batch."""
        ...

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reset every env; return ``(obs, critic_obs)``."""
        ...

    def step(self, action: torch.Tensor) -> Step:
        """Advance every env by one step with same-step autoreset."""
        ...

    def close(self) -> None:
        """Release resources; idempotent."""
        ...


@runtime_checkable
class StatefulEnv(Protocol):
    """Optional capability: the simulator state can be captured and restored, so a resumed run continues exactly.

    Adapters without it resume with fresh episodes (everything else of the run still continues exactly).
    """

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the current episodes bit-exactly (tensors and plain data only)."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state captured by :meth:`state_dict` from an env built with the same arguments."""
        ...


@runtime_checkable
class JointLimitedEnv(Protocol):
    """Optional capability of joint-position robots: soft joint limits, default pose and action scale.

    ``env.action_bounds=joint_limits`` derives per-joint (asymmetric) bounds from them; ``None`` means the task has
    no joint-position actions.
    """

    def joint_limits(self) -> JointLimits | None:
        """The limits in action order, or ``None`` where the task has no joint-position actions."""
        ...


@runtime_checkable
class DeployableEnv(Protocol):
    """Optional capability: what an exported policy's manifest records about the robot beyond its action box.

    ``flashsac export`` writes both into ``manifest.json``, so a deploy stack can build the observation vector and
    configure its joint controllers as the simulator did.
    """

    def observation_layout(self) -> tuple[ObsTerm, ...]:
        """The actor observation's blocks in order (sizes summing to ``obs_dim``); ``()`` where unknown."""
        ...

    def pd_gains(self) -> PDGains | None:
        """Nominal joint PD gains in action order, or ``None`` where the simulator has no PD loop to expose."""
        ...


@runtime_checkable
class RenderableEnv(Protocol):
    """Optional capability: offscreen RGB frames (offered where ``spec.can_render``)."""

    def render(self, env_index: int = 0) -> Any:
        """The current state of env ``env_index`` as an ``(H, W, 3)`` uint8 numpy array."""
        ...


def validate_spec(spec: EnvSpec) -> None:
    """Check an adapter's spec: positive sizes, per-dimension bounds of the right shape and order.

    Finiteness of the box is :func:`flashsac.envs.bounded.apply_bounds`'s check (adapters may declare infinite
    bounds; the run's box replaces them before this runs).

    Raises:
        ValueError: naming the offending field and what to do about it.
    """
    for name in ("num_envs", "obs_dim", "action_dim"):
        if getattr(spec, name) < 1:
            raise ValueError(f"EnvSpec.{name} must be >= 1, got {getattr(spec, name)} (task {spec.task!r}).")
    for name in ("action_low", "action_high"):
        bound = getattr(spec, name)
        if tuple(bound.shape) != (spec.action_dim,):
            raise ValueError(
                f"EnvSpec.{name} must have shape ({spec.action_dim},), got {tuple(bound.shape)} (task {spec.task!r})."
            )
    if not bool((spec.action_high > spec.action_low).all()):
        raise ValueError(
            f"EnvSpec.action_high must exceed action_low in every dimension (task {spec.task!r}): "
            f"low={spec.action_low.tolist()}, high={spec.action_high.tolist()}."
        )
    if spec.max_episode_steps is not None and spec.max_episode_steps < 1:
        raise ValueError(f"EnvSpec.max_episode_steps must be >= 1 or None, got {spec.max_episode_steps}.")


def spec_to_dict(spec: EnvSpec) -> dict[str, Any]:
    """The spec as plain data (lists, numbers, strings) for checkpoints and manifests."""
    out = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    out["action_low"], out["action_high"] = spec.action_low.tolist(), spec.action_high.tolist()
    out["device"] = str(spec.device)
    out["joint_names"] = list(spec.joint_names)
    return out


def spec_from_dict(
    data: dict[str, Any], device: torch.device | str | None = None, num_envs: int | None = None
) -> EnvSpec:
    """Rebuild an :class:`EnvSpec` from :func:`spec_to_dict` output, optionally on another device/env count."""
    fields = dict(data)
    target = torch.device(device) if device is not None else torch.device(fields["device"])
    fields["device"] = target
    fields["action_low"] = torch.tensor(fields["action_low"], dtype=torch.float32, device=target)
    fields["action_high"] = torch.tensor(fields["action_high"], dtype=torch.float32, device=target)
    fields["joint_names"] = tuple(fields.get("joint_names", ()))
    if num_envs is not None:
        fields["num_envs"] = num_envs
    return EnvSpec(**fields)

"""The action box a run trains with, applied to any env: refuses infinite boxes, warns on huge ones.

Adapters declare the simulator's own bounds in ``spec.action_low/high``, even when those are infinite (IsaacLab's
``Box(-inf, inf)``) or huge (a ``+-100`` clip). :func:`apply_bounds` replaces them with the box chosen by
``env.action_bounds`` (see :func:`flashsac.envs.action_bounds.select_bounds`) behind a thin wrapper, so every
consumer (agent, random warm-up, evaluation, export) sees one finite box. The wrapper changes nothing else: the
simulator receives the actions unchanged, which lie inside the chosen box.

``env.final_obs=post_reset`` is an ablation, not a fix: it hands the learner the post-reset observation at every
episode end, as simulators without a true final observation do, so benchmarks can show what that costs.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from typing import Any, Self, cast

import torch

from flashsac.config.schema import EnvConfig
from flashsac.envs.action_bounds import JointLimits, select_bounds
from flashsac.envs.deploy_info import ObsTerm, PDGains
from flashsac.envs.protocol import (
    DeployableEnv,
    EnvSpec,
    JointLimitedEnv,
    RenderableEnv,
    StatefulEnv,
    Step,
    VecEnv,
)

__all__ = [
    "HUGE_BOUND",
    "BoundsError",
    "BoundedEnv",
    "PostResetFinalObs",
    "apply_bounds",
    "env_joint_limits",
]

HUGE_BOUND = 10.0
"""A declared bound beyond this magnitude is suspicious: joint-position actions are offsets scaled by ~0.25-0.5,
so +-10 already means several radians past any joint's range, and tanh maps almost every action onto the stops."""


class BoundsError(ValueError):
    """The chosen action box cannot be trained with (infinite, or not derivable); says which key to change."""


def env_joint_limits(env: VecEnv) -> JointLimits | None:
    """The env's soft joint limits, default pose and action scale, when its adapter offers them."""
    limits = env.joint_limits() if isinstance(env, JointLimitedEnv) else None
    if limits is not None and not isinstance(limits, JointLimits):
        raise TypeError(f"{env.spec.task}: joint_limits() returned {type(limits).__name__}, not JointLimits or None.")
    return limits


class _ForwardsState:
    """Offers :class:`StatefulEnv` through a wrapper whose inner env offers it."""

    inner: Any  # a StatefulEnv: this class is mixed in only then (see _with_capabilities)

    def state_dict(self) -> dict[str, Any]:
        """The inner env's state."""
        return self.inner.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the inner env's state."""
        self.inner.load_state_dict(state)


class _ForwardsJointLimits:
    """Offers :class:`JointLimitedEnv` through a wrapper whose inner env offers it."""

    inner: Any  # a JointLimitedEnv: this class is mixed in only then

    def joint_limits(self) -> JointLimits | None:
        """The inner env's joint limits."""
        return self.inner.joint_limits()


class _ForwardsRender:
    """Offers :class:`RenderableEnv` through a wrapper whose inner env offers it."""

    inner: Any  # a RenderableEnv: this class is mixed in only then

    def render(self, env_index: int = 0) -> Any:
        """The inner env's frame of env ``env_index``."""
        return self.inner.render(env_index)


class _ForwardsDeployInfo:
    """Offers :class:`DeployableEnv` through a wrapper whose inner env offers it."""

    inner: Any  # a DeployableEnv: this class is mixed in only then

    def observation_layout(self) -> tuple[ObsTerm, ...]:
        """The inner env's observation layout."""
        return self.inner.observation_layout()

    def pd_gains(self) -> PDGains | None:
        """The inner env's PD gains."""
        return self.inner.pd_gains()


_FORWARDERS: tuple[tuple[type, type], ...] = (
    (StatefulEnv, _ForwardsState),
    (JointLimitedEnv, _ForwardsJointLimits),
    (RenderableEnv, _ForwardsRender),
    (DeployableEnv, _ForwardsDeployInfo),
)


@functools.cache
def _with_capabilities(wrapper: type, forwarders: tuple[type, ...]) -> type:
    """``wrapper`` extended by the forwarders, one class per combination (same name, so reprs stay readable)."""
    if not forwarders:
        return wrapper
    namespace = {"__module__": wrapper.__module__, "__qualname__": wrapper.__qualname__, "__doc__": wrapper.__doc__}
    return type(wrapper.__name__, (wrapper, *forwarders), namespace)


class BoundedEnv:
    """An env whose spec carries another (finite) action box; everything else is delegated unchanged.

    The wrapper offers an optional capability (:class:`StatefulEnv`, :class:`JointLimitedEnv`,
    :class:`RenderableEnv`, :class:`DeployableEnv`) exactly when the wrapped env does, so ``isinstance`` checks on
    it stay truthful.
    """

    def __new__(cls, env: VecEnv, *args: Any, **kwargs: Any) -> Self:
        """An instance of this wrapper extended by a forwarder for each capability ``env`` has."""
        # Why a class per capability set rather than __getattr__: isinstance against the capability Protocols sees
        # exactly the methods the wrapped env has.
        forwarders = tuple(forwarder for capability, forwarder in _FORWARDERS if isinstance(env, capability))
        return super().__new__(cast(type[Self], _with_capabilities(cls, forwarders)))

    def __init__(self, env: VecEnv, low: torch.Tensor, high: torch.Tensor) -> None:
        self.inner = env
        self.declared_low, self.declared_high = env.spec.action_low, env.spec.action_high
        device = env.spec.device
        self._spec = dataclasses.replace(env.spec, action_low=low.to(device), action_high=high.to(device))

    @property
    def spec(self) -> EnvSpec:
        """The inner spec with the chosen action box."""
        return self._spec

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reset the inner env."""
        return self.inner.reset(seed)

    def step(self, action: torch.Tensor) -> Step:
        """Step the inner env with the action as given (it lies inside the chosen box)."""
        return self.inner.step(action)

    def close(self) -> None:
        """Close the inner env."""
        self.inner.close()


class PostResetFinalObs(BoundedEnv):
    """Ablation: ``final_obs`` is the post-reset observation, as from simulators that lose the true one."""

    def __init__(self, env: VecEnv) -> None:
        super().__init__(env, env.spec.action_low, env.spec.action_high)
        self._spec = dataclasses.replace(self._spec, exact_final_obs=False)

    def step(self, action: torch.Tensor) -> Step:
        """Step, then overwrite the final observations with the post-reset ones."""
        step = self.inner.step(action)
        return dataclasses.replace(step, final_obs=step.obs, final_critic_obs=step.critic_obs)


def _describe(low: torch.Tensor, high: torch.Tensor) -> str:
    return f"low={[round(v, 4) for v in low.tolist()]}, high={[round(v, 4) for v in high.tolist()]}"


def apply_bounds(env: VecEnv, env_cfg: EnvConfig) -> VecEnv:
    """Wrap ``env`` so its spec carries the action box the run's env config chooses; refuse infinite boxes.

    The box is picked by ``env.action_bounds`` (with ``env.action_bound`` and ``env.joint_limit_fraction``); a
    box wider than :data:`HUGE_BOUND` warns unless ``env.allow_suspicious_bounds``; ``env.final_obs=post_reset``
    adds the ablation wrapper.

    Raises:
        BoundsError: the chosen box is not finite, or ``joint_limits`` is asked of an env without joint limits;
            the message names ``env.action_bounds`` and the fix.
    """
    # The keys' own rules (a known mode, a positive half-width, a fraction in (0, 1]) are checked with the config;
    # what only the env can tell (a finite box, joint limits to derive it from) is checked here.
    mode = env_cfg.action_bounds
    spec = env.spec
    limits = env_joint_limits(env) if mode == "joint_limits" else None
    try:
        low, high = select_bounds(
            mode,
            spec.action_low.cpu(),
            spec.action_high.cpu(),
            limits,
            float(env_cfg.action_bound),
            float(env_cfg.joint_limit_fraction),
        )
    except ValueError as err:
        raise BoundsError(f"{spec.task}: {err}") from err
    if not bool(torch.isfinite(low).all() and torch.isfinite(high).all()):
        raise BoundsError(
            f"{spec.task}: env.action_bounds={mode} gives a non-finite action box ({_describe(low, high)}). "
            "SAC maps tanh onto the box, so it must be finite: set env.action_bounds=joint_limits (joint-position "
            "robots) or env.action_bounds=scalar env.action_bound=<half-width>."
        )
    huge = float(torch.maximum(low.abs(), high.abs()).max())
    # Why not for joint_limits: that box is derived from the robot's own ranges (Go2's rear thigh reaches +14).
    if huge > HUGE_BOUND and mode != "joint_limits" and not env_cfg.allow_suspicious_bounds:
        warnings.warn(
            f"{spec.task}: the action box reaches +-{huge:g} (env.action_bounds={mode}). A tanh policy spread "
            "over so wide a box sends most actions far past the joints' range (run `flashsac doctor` to see it). "
            "Use env.action_bounds=joint_limits or scalar, or set env.allow_suspicious_bounds=true if it is meant.",
            stacklevel=2,
        )
    unchanged = torch.equal(low, spec.action_low.cpu()) and torch.equal(high, spec.action_high.cpu())
    # Why not always wrap: an env whose box is kept stays the adapter's own object (its type and attributes).
    wrapped: VecEnv = env if unchanged else BoundedEnv(env, low, high)
    if env_cfg.final_obs == "post_reset":
        wrapped = PostResetFinalObs(wrapped)
    return wrapped

"""The env-contract conformance checks, shared by every adapter's tests (tests/unit/envs, tests/suites).

``run_suite(adapter(family, task, num_envs))`` runs every check on a registered family; a family whose
simulator is not installed is skipped with its install command. ``FakeEnv`` is a contract-abiding env whose
``bug`` argument injects one violation, so the suite itself can be shown to catch each one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from flashsac.envs import EnvSpec, MissingSimulatorError, Step, VecEnv, make_env, validate_spec
from flashsac.envs.registry import family

FORCED_LIMIT = 5
Maker = Callable[[int | None], VecEnv]


class FakeEnv:
    """A tiny contract-abiding env (random-walk state, asymmetric bounds); ``bug`` injects one violation."""

    def __init__(self, num_envs: int = 3, max_episode_steps: int | None = 20, bug: str | None = None) -> None:
        self.bug = bug
        self._spec = EnvSpec(
            task="fake",
            num_envs=num_envs,
            obs_dim=3,
            action_dim=2,
            action_low=torch.tensor([-1.0, 0.0]),
            action_high=torch.tensor([2.0, 0.5]),
            max_episode_steps=max_episode_steps,
        )
        self._gen = torch.Generator().manual_seed(0)
        self._state = torch.zeros(num_envs, 3)
        self._elapsed = torch.zeros(num_envs, dtype=torch.int64)
        self._closed = False

    @property
    def spec(self) -> EnvSpec:
        return self._spec

    def _initial(self) -> torch.Tensor:
        return torch.rand(self._spec.num_envs, 3, generator=self._gen)

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, None]:
        if seed is not None and self.bug != "ignores_seed":
            self._gen.manual_seed(seed)
        self._state = self._initial()
        self._elapsed.zero_()
        obs = self._state.clone()
        return (obs.double() if self.bug == "float64_obs" else obs), None

    def step(self, action: torch.Tensor) -> Step:
        nxt = self._state + torch.cat((action, action[:, :1]), dim=1) + 0.1
        self._elapsed += 1
        terminated = nxt[:, 0] > 50.0
        limit = self._spec.max_episode_steps
        truncated = (self._elapsed >= limit) & ~terminated if limit is not None else torch.zeros_like(terminated)
        if self.bug == "merged_flags":
            terminated = terminated | truncated
        done = terminated | truncated
        self._state = torch.where(done[:, None], self._initial(), nxt)
        self._elapsed = torch.where(done, torch.zeros_like(self._elapsed), self._elapsed)
        final_obs = self._state.clone() if self.bug == "post_reset_final_obs" else nxt
        if self.bug == "sparse_final_obs":
            final_obs = torch.where(done[:, None], nxt, torch.zeros_like(nxt))
        reward = -nxt.square().sum(1)
        return Step(
            obs=self._state.clone(),
            reward=reward.double() if self.bug == "float64_reward" else reward,
            terminated=terminated,
            truncated=truncated,
            final_obs=final_obs,
        )

    def close(self) -> None:
        if self._closed and self.bug == "close_not_idempotent":
            raise RuntimeError("closed twice")
        self._closed = True


def adapter(name: str, task: str, num_envs: int) -> Maker:
    def make(max_episode_steps: int | None) -> VecEnv:
        try:
            family(name).require()
        except MissingSimulatorError as exc:
            pytest.skip(str(exc))
        return make_env(name, task, num_envs, seed=0, device=torch.device("cpu"), max_episode_steps=max_episode_steps)

    return make


def fake(bug: str | None = None) -> Maker:
    return lambda max_episode_steps: FakeEnv(max_episode_steps=max_episode_steps or 20, bug=bug)


def _midpoint(spec: EnvSpec) -> torch.Tensor:
    """The centre of the action box: keeps every task alive for a few steps (no early terminations)."""
    return ((spec.action_low + spec.action_high) / 2).expand(spec.num_envs, -1).clone()


def _uniform(spec: EnvSpec, gen: torch.Generator) -> torch.Tensor:
    u = torch.rand(spec.num_envs, spec.action_dim, generator=gen).to(spec.device)
    return spec.action_low + u * (spec.action_high - spec.action_low)


def _assert_tensor(x: torch.Tensor, shape: tuple[int, ...], dtype: torch.dtype, spec: EnvSpec, what: str) -> None:
    assert isinstance(x, torch.Tensor), f"{what} is {type(x).__name__}, not a tensor"
    assert tuple(x.shape) == shape, f"{what} has shape {tuple(x.shape)}, expected {shape}"
    assert x.dtype == dtype, f"{what} has dtype {x.dtype}, expected {dtype}"
    assert x.device.type == spec.device.type, f"{what} is on {x.device}, spec says {spec.device}"


def check_spec(env: VecEnv) -> None:
    spec = env.spec
    validate_spec(spec)
    for bound in (spec.action_low, spec.action_high):
        _assert_tensor(bound, (spec.action_dim,), torch.float32, spec, "action bound")
        assert torch.isfinite(bound).all()
    assert spec.max_episode_steps is None or spec.max_episode_steps >= 1


def check_reset(env: VecEnv) -> None:
    spec = env.spec
    obs, critic_obs = env.reset(seed=1)
    _assert_tensor(obs, (spec.num_envs, spec.obs_dim), torch.float32, spec, "reset obs")
    assert torch.isfinite(obs).all()
    if spec.critic_obs_dim is None:
        assert critic_obs is None
    else:
        assert critic_obs is not None
        _assert_tensor(critic_obs, (spec.num_envs, spec.critic_obs_dim), torch.float32, spec, "reset critic_obs")


def check_step(step: Step, spec: EnvSpec) -> None:
    n = spec.num_envs
    _assert_tensor(step.obs, (n, spec.obs_dim), torch.float32, spec, "step obs")
    _assert_tensor(step.final_obs, (n, spec.obs_dim), torch.float32, spec, "final_obs")
    _assert_tensor(step.reward, (n,), torch.float32, spec, "reward")
    _assert_tensor(step.terminated, (n,), torch.bool, spec, "terminated")
    _assert_tensor(step.truncated, (n,), torch.bool, spec, "truncated")
    assert torch.isfinite(step.reward).all(), "non-finite reward"
    assert not (step.terminated & step.truncated).any(), "terminated and truncated both set for one env"
    alive = ~step.done
    assert torch.equal(step.final_obs[alive], step.obs[alive]), "final_obs != obs where no episode ended"
    if spec.critic_obs_dim is not None:
        assert step.critic_obs is not None and step.final_critic_obs is not None
        _assert_tensor(step.critic_obs, (n, spec.critic_obs_dim), torch.float32, spec, "critic_obs")
    for key, value in step.info.items():
        assert isinstance(value, torch.Tensor), f"info[{key!r}] is {type(value).__name__}, not a tensor"
        assert value.shape[0] == n, f"info[{key!r}] has leading dim {value.shape[0]}, expected {n}"
    if "success" in step.info:
        _assert_tensor(step.info["success"], (n,), torch.bool, spec, "info['success']")


def check_random_steps(env: VecEnv, steps: int = 10) -> None:
    env.reset(seed=2)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        check_step(env.step(_uniform(env.spec, gen)), env.spec)


def check_forced_end(make: Maker) -> None:
    """With a 5-step limit: nothing ends early, all truncate at step 5, then a fresh 5-step episode runs."""
    env = make(FORCED_LIMIT)
    try:
        spec = env.spec
        assert spec.max_episode_steps == FORCED_LIMIT, f"spec.max_episode_steps={spec.max_episode_steps}"
        env.reset(seed=3)
        action = _midpoint(spec)
        for episode in range(2):
            for t in range(1, FORCED_LIMIT + 1):
                step = env.step(action)
                check_step(step, spec)
                if t < FORCED_LIMIT:
                    assert not step.done.any(), f"episode {episode} ended early at step {t}"
            assert step.truncated.all(), f"episode {episode}: no truncation at the time limit"
            assert not step.terminated.any(), f"episode {episode}: time limit reported as terminated"
            if spec.exact_final_obs:
                differs = (step.final_obs != step.obs).any(dim=1)
                assert differs.all(), "final_obs equals the post-reset obs at a time limit (exact_final_obs=True)"
    finally:
        env.close()


def check_seeding(env: VecEnv) -> None:
    spec = env.spec
    first, _ = env.reset(seed=11)
    step_a = env.step(_midpoint(spec))
    again, _ = env.reset(seed=11)
    step_b = env.step(_midpoint(spec))
    other, _ = env.reset(seed=12)
    assert torch.equal(first, again), "the same seed gave different initial observations"
    assert torch.equal(step_a.obs, step_b.obs), "the same seed and actions gave different next observations"
    assert not torch.equal(first, other), "different seeds gave identical initial observations"


def check_close(env: VecEnv) -> None:
    env.close()
    try:
        env.close()
    except Exception as exc:
        raise AssertionError(f"close() twice raised {exc!r}") from exc


def built(make: Maker) -> VecEnv:
    env = make(None)
    assert isinstance(env, VecEnv)
    return env


def run_suite(make: Maker) -> None:
    """Every conformance check, in order, on envs built by ``make``; an AssertionError names the violation."""
    env = built(make)
    check_spec(env)
    check_reset(env)
    check_random_steps(env)
    check_seeding(env)
    check_close(env)
    check_forced_end(make)

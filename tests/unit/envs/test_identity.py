"""The identity tasks of the learning battery: contract, hand-checked rewards, time limit, stated random returns."""

from __future__ import annotations

import pytest
import torch

from conformance import adapter, run_suite
from flashsac.envs.torch_tasks import Identity, IdentitySparse

CPU = torch.device("cpu")


@pytest.mark.parametrize("task", ["identity", "identity_sparse"])
def test_conformance(task: str) -> None:
    run_suite(adapter("torch", task, 4))


def test_spec() -> None:
    env = Identity("identity", 3, CPU, None)
    assert env.spec.obs_dim == 2 and env.spec.action_dim == 2
    assert env.spec.action_low.tolist() == [-1.0, -1.0] and env.spec.action_high.tolist() == [1.0, 1.0]
    assert env.spec.max_episode_steps == 100
    obs, _ = env.reset(0)
    assert obs.shape == (3, 2) and bool((obs.abs() <= 1).all())


def test_dense_reward_by_hand() -> None:
    env = Identity("identity", 3, CPU, None)
    env.reset(0)
    env._state = torch.tensor([[0.5, -0.5], [0.5, -0.5], [0.5, -0.5]])
    # Errors (-0.3, 0.6) -> 0.45; exact -> 0; an out-of-bounds action is clipped to 1 first -> error 0.5 -> 0.25.
    step = env.step(torch.tensor([[0.2, 0.1], [0.5, -0.5], [3.0, -0.5]]))
    torch.testing.assert_close(step.reward, torch.tensor([-0.45, 0.0, -0.25]))


def test_sparse_reward_by_hand() -> None:
    env = IdentitySparse("identity_sparse", 4, CPU, None)
    env.reset(0)
    env._state = torch.zeros(4, 2)
    step = env.step(torch.tensor([[0.24, -0.24], [0.26, 0.0], [0.0, -0.26], [0.0, 0.0]]))
    assert step.reward.tolist() == [1.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("cls", [Identity, IdentitySparse])
def test_the_observation_is_the_current_target(cls: type[Identity]) -> None:
    env = cls("identity", 8, CPU, None)
    obs, _ = env.reset(3)
    best = 0.0 if cls is Identity else 1.0
    for _ in range(5):  # acting out the observation is always the best action, whatever came before
        step = env.step(obs)
        assert step.reward.tolist() == [best] * 8
        assert not torch.equal(step.obs, obs), "a fresh target every step"
        obs = step.obs


def test_episodes_are_truncated_at_the_time_limit_and_never_terminate() -> None:
    env = Identity("identity", 2, CPU, None)
    env.reset(0)
    for t in range(1, 101):
        step = env.step(torch.zeros(2, 2))
        assert not bool(step.terminated.any())
        assert step.truncated.tolist() == [t == 100] * 2


@pytest.mark.parametrize(("cls", "expected"), [(Identity, -133.3), (IdentitySparse, 5.5)])
def test_a_uniformly_random_policy_scores_what_the_docstring_says(cls: type[Identity], expected: float) -> None:
    env = cls("identity", 1000, CPU, None)
    env.reset(0)
    generator = torch.Generator().manual_seed(12345)  # not the env's seed: its targets would be the actions
    returns = torch.zeros(1000)
    for _ in range(100):
        returns += env.step(torch.rand(1000, 2, generator=generator) * 2 - 1).reward
    assert returns.mean().item() == pytest.approx(expected, abs=1.0)

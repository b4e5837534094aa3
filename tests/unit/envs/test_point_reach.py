"""The sparse point-reach task of the learning battery: contract, hand-checked moves and rewards, stated returns."""

from __future__ import annotations

import torch

from conformance import adapter, run_suite
from flashsac.envs.torch_tasks import PointReachSparse

CPU = torch.device("cpu")


def _returns(env: PointReachSparse, policy: str) -> torch.Tensor:
    """Mean return of one episode per env under a ``greedy`` (toward the goal's centre) or ``still`` policy."""
    returns = torch.zeros(env.spec.num_envs)
    for _ in range(env.spec.max_episode_steps or 0):
        x = env._state
        action = ((0.6 - x) / 0.2).clamp(-1, 1) if policy == "greedy" else torch.zeros_like(x)
        returns += env.step(action).reward
    return returns


def test_conformance() -> None:
    run_suite(adapter("torch", "point-reach_sparse", 4))


def test_spec() -> None:
    env = PointReachSparse("point-reach_sparse", 3, CPU, None)
    assert env.spec.obs_dim == 1 and env.spec.action_dim == 1
    assert env.spec.action_low.tolist() == [-1.0] and env.spec.action_high.tolist() == [1.0]
    assert env.spec.max_episode_steps == 50
    obs, _ = env.reset(0)
    assert obs.shape == (3, 1) and bool((obs.abs() <= 1).all())


def test_moves_rewards_and_success_by_hand() -> None:
    env = PointReachSparse("point-reach_sparse", 1, CPU, None)
    env.reset(0)
    env._state = torch.tensor([[0.2]])
    rewards, positions, success = [], [], []
    for _ in range(3):  # 0.2 -> 0.4 (outside) -> 0.6 (inside) -> 0.8 (outside again)
        step = env.step(torch.ones(1, 1))
        rewards.append(step.reward.item())
        positions.append(step.obs.item())
        success.append(bool(step.info["success"][0]))
    assert rewards == [0.0, 1.0, 0.0] and success == [False, True, False]
    torch.testing.assert_close(torch.tensor(positions), torch.tensor([0.4, 0.6, 0.8]))


def test_the_point_stops_at_the_ends_of_the_line() -> None:
    env = PointReachSparse("point-reach_sparse", 2, CPU, None)
    env.reset(0)
    env._state = torch.tensor([[-0.95], [0.9]])
    step = env.step(torch.tensor([[-1.0], [5.0]]))  # 5.0 is clipped to the bound 1.0 first
    assert step.obs.flatten().tolist() == [-1.0, 1.0]


def test_episodes_are_truncated_at_the_time_limit_and_never_terminate() -> None:
    env = PointReachSparse("point-reach_sparse", 2, CPU, None)
    env.reset(0)
    for t in range(1, 51):
        step = env.step(torch.zeros(2, 1))
        assert not bool(step.terminated.any())
        assert step.truncated.tolist() == [t == 50] * 2


def test_best_and_still_policies_score_what_the_docstring_says() -> None:
    env = PointReachSparse("point-reach_sparse", 2000, CPU, None)
    env.reset(0)
    assert 46.0 < _returns(env, "greedy").mean().item() < 49.0  # about 47: the best is above the solved 35
    env.reset(0)
    assert _returns(env, "still").mean().item() < 8.0  # about 5: the starts inside the goal

"""The built-in joint-position arm: contract, hand-checked kinematics and reward, the declared +-100 trap."""

from __future__ import annotations

import math

import torch

from conformance import adapter, run_suite
from flashsac.envs.torch_tasks import ArmReach

CPU = torch.device("cpu")


def test_conformance() -> None:
    run_suite(adapter("torch", "arm-reach", 4))


def test_declared_bounds_are_the_isaaclab_trap() -> None:
    env = ArmReach("arm-reach", 2, CPU, None)
    assert env.spec.action_low.tolist() == [-100.0] * 3 and env.spec.action_high.tolist() == [100.0] * 3
    assert env.spec.max_episode_steps == 100


def test_kinematics_reward_and_success_by_hand() -> None:
    env = ArmReach("arm-reach", 1, CPU, None)
    env.reset(0)
    q0 = torch.tensor([0.3, -0.8, 0.2])
    # Put the goal where the arm's tip is after one step toward q0 + 0.5 * a, and check reward 0 and success.
    action = torch.tensor([[0.4, 0.2, -0.2]])
    target = q0 + 0.5 * action[0]
    q1 = q0 + 0.4 * (target - q0)
    angles = torch.cumsum(q1, 0)
    links = (0.5, 0.4, 0.3)
    tip = torch.tensor(
        [
            sum(length * math.cos(a) for length, a in zip(links, angles.tolist(), strict=True)),
            sum(length * math.sin(a) for length, a in zip(links, angles.tolist(), strict=True)),
        ]
    )
    env._state = torch.cat((q0, tip)).unsqueeze(0)
    step = env.step(action)
    torch.testing.assert_close(step.reward, torch.zeros(1), atol=1e-6, rtol=0)
    assert bool(step.info["success"][0])
    torch.testing.assert_close(step.obs[0, :3], q1 - q0)
    torch.testing.assert_close(step.obs[0, 3:5], tip)


def test_targets_beyond_the_hard_limits_are_clipped() -> None:
    env = ArmReach("arm-reach", 1, CPU, None)
    env.reset(0)
    for _ in range(90):  # one episode (100 steps) converges: the gap shrinks by 0.6 per step
        step = env.step(torch.full((1, 3), 100.0))
    q = step.obs[0, :3] + torch.tensor([0.3, -0.8, 0.2])
    torch.testing.assert_close(q, torch.tensor([2.0, 0.6, 1.6]), atol=1e-4, rtol=0)

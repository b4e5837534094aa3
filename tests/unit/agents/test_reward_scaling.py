"""Return-based reward scaling (docs/algorithm.md 5.1 with the accumulate-then-reset fix of section 0).

The oracle for the running variance is the pooled (weighted) variance of the prior pseudo-sample
(count 1e-4, mean 0, var 1) together with every G value seen, computed in one shot with numpy; the code uses
a sequential parallel-variance (Chan) merge, which must agree with it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from flashsac.agents.flashsac.reward_scaling import RewardScaler

PRIOR_COUNT, PRIOR_MEAN, PRIOR_VAR = 1e-4, 0.0, 1.0


def _pooled_mean_var(values: list[float]) -> tuple[float, float, float]:
    g = np.asarray(values, dtype=np.float64)
    count = PRIOR_COUNT + g.size
    mean = (PRIOR_COUNT * PRIOR_MEAN + g.sum()) / count
    m2 = PRIOR_COUNT * (PRIOR_VAR + (PRIOR_MEAN - mean) ** 2) + ((g - mean) ** 2).sum()
    return count, mean, m2 / count


def _chan_merge(values_per_step: list[list[float]]) -> tuple[float, float, float]:
    """The textbook parallel-variance merge, step by step, in numpy float64."""
    count, mean, var = PRIOR_COUNT, PRIOR_MEAN, PRIOR_VAR
    for step in values_per_step:
        x = np.asarray(step, dtype=np.float64)
        n, m, v = x.size, x.mean(), x.var()
        delta, total = m - mean, count + n
        m2 = var * count + v * n + delta**2 * count * n / total
        count, mean, var = total, mean + delta * n / total, m2 / total
    return count, mean, var


def _feed(scaler: RewardScaler, rewards: list[list[float]], dones: list[list[bool]]) -> None:
    for r, d in zip(rewards, dones, strict=True):
        scaler.update(torch.tensor(r), torch.tensor(d))


# One env, gamma = 0.9, rewards 1, 2 (episode ends), 3, 4:
#   G = 1; G = 0.9 * 1 + 2 = 2.9 (the last reward belongs to the ended episode), reset;
#   G = 3; G = 0.9 * 3 + 4 = 6.7.
# The reference's reset-before-add quirk would give 1, 2, 0.9 * 2 + 3 = 4.8, 0.9 * 4.8 + 4 = 8.32.
REWARDS = [[1.0], [2.0], [3.0], [4.0]]
DONES = [[False], [True], [False], [False]]
G_VALUES = [1.0, 2.9, 3.0, 6.7]


def test_episode_last_reward_is_accumulated_before_the_reset() -> None:
    scaler = RewardScaler(num_envs=1, gamma=0.9, g_max=5.0)
    _feed(scaler, REWARDS[:2], DONES[:2])
    assert scaler.abs_max.item() == pytest.approx(2.9, rel=1e-6)
    assert scaler.returns.item() == 0.0  # reset after the episode's last reward
    _feed(scaler, REWARDS[2:], DONES[2:])
    assert scaler.returns.item() == pytest.approx(6.7, rel=1e-6)
    assert scaler.abs_max.item() == pytest.approx(6.7, rel=1e-6)


def test_running_statistics_match_the_pooled_variance_of_all_returns() -> None:
    scaler = RewardScaler(num_envs=1, gamma=0.9, g_max=5.0)
    _feed(scaler, REWARDS, DONES)
    count, mean, var = _pooled_mean_var(G_VALUES)
    assert scaler.count.item() == pytest.approx(count, rel=1e-6)
    assert scaler.mean.item() == pytest.approx(mean, rel=1e-5)
    assert scaler.var.item() == pytest.approx(var, rel=1e-5)
    # And with numpy's sequential merge (same numbers, different route).
    assert _chan_merge([[g] for g in G_VALUES])[2] == pytest.approx(var, rel=1e-9)
    # The 1e-4 prior is negligible: close to the plain population variance of G.
    assert scaler.var.item() == pytest.approx(np.var(G_VALUES), rel=1e-3)


def test_scale_is_the_return_std_when_returns_fit_the_support() -> None:
    scaler = RewardScaler(num_envs=1, gamma=0.9, g_max=5.0)
    _feed(scaler, REWARDS, DONES)
    _, _, var = _pooled_mean_var(G_VALUES)
    # sqrt(var) ~ 2.05 > max|G| / G_max = 6.7 / 5 = 1.34
    assert math.sqrt(var) > 6.7 / 5
    assert scaler.scale().item() == pytest.approx(math.sqrt(var + 1e-8), rel=1e-5)


def test_scale_is_raised_so_the_largest_return_fits_the_support() -> None:
    scaler = RewardScaler(num_envs=1, gamma=0.9, g_max=1.0)
    _feed(scaler, REWARDS, DONES)
    _, _, var = _pooled_mean_var(G_VALUES)
    assert math.sqrt(var) < 6.7 / 1.0
    assert scaler.scale().item() == pytest.approx(6.7, rel=1e-6)


def test_initial_scale_is_one() -> None:
    # var 1, max |G| 0 -> max(sqrt(1 + 1e-8), 0) = 1.
    assert RewardScaler(num_envs=3, gamma=0.99, g_max=5.0).scale().item() == pytest.approx(1.0, rel=1e-6)


def test_several_envs_with_independent_episode_ends() -> None:
    gamma = 0.5
    rewards = [[1.0, -2.0], [1.0, 4.0], [2.0, 1.0], [-8.0, 1.0]]
    dones = [[False, True], [True, False], [False, False], [False, True]]
    # env 0: 1; 0.5 + 1 = 1.5 (end); 2; 1 - 8 = -7
    # env 1: -2 (end); 4; 2 + 1 = 3; 1.5 + 1 = 2.5 (end)
    g_steps = [[1.0, -2.0], [1.5, 4.0], [2.0, 3.0], [-7.0, 2.5]]
    scaler = RewardScaler(num_envs=2, gamma=gamma, g_max=5.0)
    _feed(scaler, rewards, dones)
    count, mean, var = _pooled_mean_var([g for step in g_steps for g in step])
    assert scaler.count.item() == pytest.approx(count, rel=1e-6)
    assert scaler.mean.item() == pytest.approx(mean, rel=1e-5, abs=1e-6)
    assert scaler.var.item() == pytest.approx(var, rel=1e-5)
    assert scaler.abs_max.item() == pytest.approx(7.0, rel=1e-6)  # |G| counts negative returns
    torch.testing.assert_close(scaler.returns, torch.tensor([-7.0, 0.0]))
    assert scaler.scale().item() == pytest.approx(max(math.sqrt(var + 1e-8), 7.0 / 5.0), rel=1e-5)


def test_long_random_stream_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    num_envs, steps, gamma = 4, 300, 0.97
    rewards = rng.normal(1.0, 2.0, size=(steps, num_envs))
    dones = rng.random((steps, num_envs)) < 0.05
    g, seen = np.zeros(num_envs), []
    for r, d in zip(rewards, dones, strict=True):
        g = gamma * g + r
        seen.append(g.copy())
        g = np.where(d, 0.0, g)
    scaler = RewardScaler(num_envs=num_envs, gamma=gamma, g_max=5.0)
    _feed(scaler, rewards.astype(np.float32).tolist(), dones.tolist())
    all_g = np.concatenate(seen)
    _, mean, var = _pooled_mean_var(all_g.tolist())
    assert scaler.mean.item() == pytest.approx(mean, rel=1e-4)
    assert scaler.var.item() == pytest.approx(var, rel=1e-4)
    assert scaler.abs_max.item() == pytest.approx(np.abs(all_g).max(), rel=1e-5)
    assert scaler.scale().item() == pytest.approx(max(math.sqrt(var + 1e-8), np.abs(all_g).max() / 5.0), rel=1e-4)

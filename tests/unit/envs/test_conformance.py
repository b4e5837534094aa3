"""One conformance suite for every env adapter (and a fake env that proves the suite catches violations).

Families whose simulator is not installed are skipped with the install command. The checks live in
tests/conformance.py so that each simulator suite's tests (tests/suites) run the same ones.
"""

from __future__ import annotations

import pytest

from conformance import (
    Maker,
    adapter,
    built,
    check_close,
    check_forced_end,
    check_random_steps,
    check_reset,
    check_seeding,
    check_spec,
    fake,
    run_suite,
)

CASES = [
    pytest.param(adapter("torch", "pendulum-swingup", 1), id="torch-pendulum-swingup-1"),
    pytest.param(adapter("torch", "pendulum-swingup", 64), id="torch-pendulum-swingup-64"),
    pytest.param(adapter("torch", "cartpole-balance", 1), id="torch-cartpole-balance-1"),
    pytest.param(adapter("torch", "cartpole-balance", 64), id="torch-cartpole-balance-64"),
    pytest.param(adapter("mujoco", "InvertedPendulum-v5", 2), id="mujoco-InvertedPendulum-v5-2", marks=pytest.mark.sim),
    pytest.param(adapter("mujoco", "Hopper-v5", 2), id="mujoco-Hopper-v5-2", marks=pytest.mark.sim),
    pytest.param(adapter("dmc", "cartpole-swingup", 2), id="dmc-cartpole-swingup-2", marks=pytest.mark.sim),
    pytest.param(adapter("dmc", "walker-walk", 2), id="dmc-walker-walk-2", marks=pytest.mark.sim),
    pytest.param(fake(), id="fake"),
]


@pytest.mark.parametrize("make", CASES)
def test_spec_and_reset(make: Maker) -> None:
    env = built(make)
    try:
        check_spec(env)
        check_reset(env)
    finally:
        env.close()


@pytest.mark.parametrize("make", CASES)
def test_random_steps(make: Maker) -> None:
    env = built(make)
    try:
        check_random_steps(env)
    finally:
        env.close()


@pytest.mark.parametrize("make", CASES)
def test_forced_episode_end(make: Maker) -> None:
    check_forced_end(make)


@pytest.mark.parametrize("make", CASES)
def test_seeded_resets_reproducible(make: Maker) -> None:
    env = built(make)
    try:
        check_seeding(env)
    finally:
        env.close()


@pytest.mark.parametrize("make", CASES)
def test_close_twice(make: Maker) -> None:
    check_close(built(make))


@pytest.mark.parametrize(
    ("bug", "complaint"),
    [
        ("float64_obs", "reset obs has dtype"),
        ("float64_reward", "reward has dtype"),
        ("merged_flags", "both set"),
        ("post_reset_final_obs", "final_obs equals the post-reset obs"),
        ("sparse_final_obs", "final_obs != obs where no episode ended"),
        ("ignores_seed", "the same seed gave different initial"),
        ("close_not_idempotent", r"close\(\) twice raised"),
    ],
)
def test_suite_catches_broken_env(bug: str, complaint: str) -> None:
    run_suite(fake())
    with pytest.raises(AssertionError, match=complaint):
        run_suite(fake(bug))

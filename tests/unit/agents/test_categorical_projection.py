"""Categorical (C51-style) projection of the soft Bellman target, min-member selection and the critic loss.

Every expected value is derived by hand in the comments (docs/algorithm.md section 3.5), never by calling the code
under test.
"""

from __future__ import annotations

import math

import pytest
import torch

from flashsac.agents.flashsac.losses import categorical_projection, critic_loss, select_min_member

SUPPORT5 = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=torch.float64)


def _project(probs, reward, bootstrap_discount, bonus, support=SUPPORT5):
    """Call with python lists/floats for one or more rows."""
    probs = torch.as_tensor(probs, dtype=torch.float64)
    if probs.dim() == 1:
        probs = probs[None]
    batch = probs.shape[0]
    as_vec = lambda x: torch.as_tensor(x, dtype=torch.float64).expand(batch).clone()  # noqa: E731
    return categorical_projection(probs, as_vec(reward), as_vec(bootstrap_discount), as_vec(bonus), support)


def _one_hot(index: int, k: int = 5) -> torch.Tensor:
    out = torch.zeros(1, k, dtype=torch.float64)
    out[0, index] = 1.0
    return out


def _uniform(k: int = 5) -> list[float]:
    return [1.0 / k] * k


# ------------------------------------------------------------------ projection


def test_mass_is_conserved_for_random_rows_with_and_without_clipping() -> None:
    gen = torch.Generator().manual_seed(0)
    support = torch.linspace(-5.0, 5.0, 101, dtype=torch.float64)
    probs = torch.softmax(3.0 * torch.randn(64, 101, generator=gen, dtype=torch.float64), dim=-1)
    reward = 4.0 * torch.randn(64, generator=gen, dtype=torch.float64)  # many rows clip at an edge
    bootstrap_discount = torch.rand(64, generator=gen, dtype=torch.float64)
    bonus = torch.randn(64, generator=gen, dtype=torch.float64)
    target = categorical_projection(probs, reward, bootstrap_discount, bonus, support)
    assert (target >= 0).all()
    torch.testing.assert_close(target.sum(-1), torch.ones(64, dtype=torch.float64), rtol=0, atol=1e-12)


def test_mass_conservation_follows_the_input_row_sum() -> None:
    # Docstring contract: each output row sums to the input row sum (not renormalised to 1).
    target = _project([0.1, 0.1, 0.1, 0.1, 0.1], reward=0.3, bootstrap_discount=0.5, bonus=0.0)
    assert target.sum().item() == pytest.approx(0.5, abs=1e-12)


def test_atom_landing_exactly_on_a_support_point_puts_all_mass_there() -> None:
    # Discount 0: every atom moves to T z = r = 1 -> index 3 of [-2, -1, 0, 1, 2].
    target = _project(_uniform(), reward=1.0, bootstrap_discount=0.0, bonus=0.0)
    torch.testing.assert_close(target, _one_hot(3), rtol=0, atol=0)


def test_hand_computed_split_between_neighbouring_atoms() -> None:
    # T z = 0.25: b = (0.25 - (-2)) / 1 = 2.25, l = 2 (z=0), u = 3 (z=1), f = 0.25.
    target = _project(_uniform(), reward=0.25, bootstrap_discount=0.0, bonus=0.0)
    expected = torch.tensor([[0.0, 0.0, 0.75, 0.25, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(target, expected, rtol=0, atol=1e-12)


def test_hand_computed_split_with_discount_per_atom() -> None:
    # p = one-hot on z = 2 (index 4) ... and a second row one-hot on z = -1 (index 1).
    # Row 0: T z = 0.1 + 0.5 * 2 = 1.1 -> b = 3.1: 0.9 on index 3, 0.1 on index 4.
    # Row 1: T z = 0.1 + 0.5 * (-1) = -0.4 -> b = 1.6: 0.4 on index 1, 0.6 on index 2.
    probs = torch.zeros(2, 5, dtype=torch.float64)
    probs[0, 4] = 1.0
    probs[1, 1] = 1.0
    target = _project(probs, reward=0.1, bootstrap_discount=0.5, bonus=0.0)
    expected = torch.tensor([[0.0, 0.0, 0.0, 0.9, 0.1], [0.0, 0.4, 0.6, 0.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(target, expected, rtol=0, atol=1e-12)


def test_two_atoms_mixing_into_shared_bins_accumulate() -> None:
    # p = [0, 0.5, 0, 0.5, 0], r = 0, d = 0.5: z=-1 -> -0.5 (b=1.5), z=1 -> 0.5 (b=2.5).
    # index1: 0.25, index2: 0.25 + 0.25 = 0.5 (scatter-ADD, not overwrite), index3: 0.25.
    target = _project([0.0, 0.5, 0.0, 0.5, 0.0], reward=0.0, bootstrap_discount=0.5, bonus=0.0)
    expected = torch.tensor([[0.0, 0.25, 0.5, 0.25, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(target, expected, rtol=0, atol=1e-12)


def test_top_edge_landing_exactly_on_last_atom() -> None:
    # T z = 2 = v_max: b = K - 1 = 4, the upper neighbour would be out of range: all mass on index 4.
    target = _project(_uniform(), reward=2.0, bootstrap_discount=0.0, bonus=0.0)
    torch.testing.assert_close(target, _one_hot(4), rtol=0, atol=0)


def test_bottom_edge_landing_exactly_on_first_atom() -> None:
    target = _project(_uniform(), reward=-2.0, bootstrap_discount=0.0, bonus=0.0)
    torch.testing.assert_close(target, _one_hot(0), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("reward", "bootstrap_discount", "index"),
    [(100.0, 0.99, 4), (-100.0, 0.99, 0), (2.5, 0.0, 4), (-2.0001, 0.0, 0)],
)
def test_clipping_puts_all_mass_on_the_edge_atom(reward: float, bootstrap_discount: float, index: int) -> None:
    # Every T z lies beyond an edge: clip to v_max (b = K - 1, the top-edge case) or v_min (b = 0).
    probs = torch.tensor([[0.3, 0.1, 0.2, 0.15, 0.25]], dtype=torch.float64)
    target = _project(probs, reward=reward, bootstrap_discount=bootstrap_discount, bonus=0.0)
    torch.testing.assert_close(target, _one_hot(index), rtol=0, atol=1e-12)


def test_partial_clipping_only_moves_the_out_of_range_atoms() -> None:
    # r = 1.5, d = 1: z=-2 -> -0.5 (b=1.5), z=-1 -> 0.5 (b=2.5), z=0 -> 1.5 (b=3.5), z=1,2 -> clip to 2 (b=4).
    probs = [0.1, 0.2, 0.3, 0.15, 0.25]
    target = _project(probs, reward=1.5, bootstrap_discount=1.0, bonus=0.0)
    expected = torch.tensor(
        [[0.0, 0.05, 0.05 + 0.1, 0.1 + 0.15, 0.15 + 0.15 + 0.25]],
        dtype=torch.float64,
    )
    torch.testing.assert_close(target, expected, rtol=0, atol=1e-12)


def test_expectation_is_preserved_when_nothing_clips() -> None:
    # The linear split preserves the mean exactly: E[m] = r + d (E[Z'] - bonus).
    gen = torch.Generator().manual_seed(1)
    batch = 256
    support = torch.linspace(-5.0, 5.0, 101, dtype=torch.float64)
    probs = torch.softmax(2.0 * torch.randn(batch, 101, generator=gen, dtype=torch.float64), dim=-1)
    reward = 0.4 * torch.rand(batch, generator=gen, dtype=torch.float64) - 0.2  # |r| <= 0.2
    bootstrap_discount = 0.9 * torch.rand(batch, generator=gen, dtype=torch.float64)  # d <= 0.9
    bonus = 0.6 * torch.rand(batch, generator=gen, dtype=torch.float64) - 0.3  # |bonus| <= 0.3
    # max |T z| <= 0.2 + 0.9 * (5 + 0.3) = 4.97 < 5: no clipping anywhere.
    target = categorical_projection(probs, reward, bootstrap_discount, bonus, support)
    naive_next_mean = torch.tensor(
        [sum(float(p[j]) * (-5.0 + 0.1 * j) for j in range(101)) for p in probs], dtype=torch.float64
    )
    expected = reward + bootstrap_discount * (naive_next_mean - bonus)
    torch.testing.assert_close((target * support).sum(-1), expected, rtol=0, atol=1e-9)


def test_terminated_transition_gives_two_atoms_around_the_reward() -> None:
    # K = 101 on [-5, 5] (delta 0.1), bootstrap_discount 0 (terminated): T z = r = 0.37 for every atom.
    # b = 53.7 -> 0.3 on index 53 (z = 0.3) and 0.7 on index 54 (z = 0.4), whatever next_probs was.
    support = torch.linspace(-5.0, 5.0, 101, dtype=torch.float64)
    probs = torch.softmax(torch.randn(1, 101, generator=torch.Generator().manual_seed(2), dtype=torch.float64), -1)
    target = _project(probs, reward=0.37, bootstrap_discount=0.0, bonus=0.8, support=support)
    expected = torch.zeros(1, 101, dtype=torch.float64)
    expected[0, 53], expected[0, 54] = 0.3, 0.7
    torch.testing.assert_close(target, expected, rtol=0, atol=1e-9)


def test_terminated_reward_on_a_support_point_gives_a_one_hot() -> None:
    support = torch.linspace(-5.0, 5.0, 101, dtype=torch.float64)
    target = _project(
        torch.full((101,), 1 / 101, dtype=torch.float64),
        reward=-1.0,
        bootstrap_discount=0.0,
        bonus=0.5,
        support=support,
    )
    assert target.argmax().item() == 40  # z_40 = -5 + 4 = -1
    assert target[0, 40].item() == pytest.approx(1.0, abs=1e-9)


def test_entropy_bonus_shifts_every_atom_before_discounting() -> None:
    # d = 1, bonus = 1: T z_j = z_j - 1, i.e. every atom moves one index down; the bottom atom clips.
    probs = torch.tensor([[0.1, 0.2, 0.3, 0.15, 0.25]], dtype=torch.float64)
    target = _project(probs, reward=0.0, bootstrap_discount=1.0, bonus=1.0)
    expected = torch.tensor([[0.1 + 0.2, 0.3, 0.15, 0.25, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(target, expected, rtol=0, atol=1e-12)


def test_entropy_bonus_is_discounted_with_the_atom() -> None:
    # One-hot on z = 2, d = 0.5, bonus = 2: T z = 0.5 * (2 - 2) = 0 (index 2).
    # A bonus subtracted outside the discount would give 0.5 * 2 - 2 = -1 (index 1) instead.
    target = _project([0.0, 0.0, 0.0, 0.0, 1.0], reward=0.0, bootstrap_discount=0.5, bonus=2.0)
    torch.testing.assert_close(target, _one_hot(2), rtol=0, atol=1e-12)


def test_negative_entropy_bonus_raises_the_target() -> None:
    # alpha * log pi < 0 (high entropy) -> T z = z + 0.5 for d = 1: one-hot on z=0 -> split 0.5/0.5 on 0 and 1.
    target = _project([0.0, 0.0, 1.0, 0.0, 0.0], reward=0.0, bootstrap_discount=1.0, bonus=-0.5)
    expected = torch.tensor([[0.0, 0.0, 0.5, 0.5, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(target, expected, rtol=0, atol=1e-12)


def test_float32_default_support_projection_matches_hand_values() -> None:
    # The dtype the agent uses: K = 101, [-5, 5], float32.
    support = torch.linspace(-5.0, 5.0, 101)
    probs = torch.zeros(1, 101)
    probs[0, 60] = 1.0  # z = 1.0
    target = categorical_projection(probs, torch.tensor([0.05]), torch.tensor([0.99]), torch.tensor([0.0]), support)
    # T z = 0.05 + 0.99 = 1.04 -> b = 60.4: 0.6 on index 60, 0.4 on index 61.
    assert target[0, 60].item() == pytest.approx(0.6, abs=1e-4)
    assert target[0, 61].item() == pytest.approx(0.4, abs=1e-4)
    assert target.sum().item() == pytest.approx(1.0, abs=1e-6)


# ------------------------------------------------------------------ min-member selection


def test_select_min_member_picks_the_smaller_expectation_per_sample() -> None:
    support = torch.tensor([-1.0, 0.0, 1.0])
    member0 = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])  # E = -0.7, +0.7
    member1 = torch.tensor([[0.2, 0.2, 0.6], [0.6, 0.2, 0.2]])  # E = +0.4, -0.4
    chosen = select_min_member(torch.stack((member0, member1)), support)
    expected = torch.stack((member0[0], member1[1]))
    torch.testing.assert_close(chosen, expected, rtol=0, atol=0)


def test_select_min_member_returns_the_full_distribution_not_the_elementwise_min() -> None:
    support = torch.tensor([-1.0, 0.0, 1.0])
    member0 = torch.tensor([[0.0, 0.5, 0.5]])  # E = 0.5
    member1 = torch.tensor([[0.5, 0.5, 0.0]])  # E = -0.5
    chosen = select_min_member(torch.stack((member0, member1)), support)
    torch.testing.assert_close(chosen, member1, rtol=0, atol=0)


def test_select_min_member_ties_go_to_the_first_member() -> None:
    support = torch.tensor([-1.0, 0.0, 1.0])
    member0 = torch.tensor([[0.5, 0.0, 0.5], [0.25, 0.5, 0.25]])  # E = 0, 0
    member1 = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])  # E = 0, 0 (different shapes)
    chosen = select_min_member(torch.stack((member0, member1)), support)
    torch.testing.assert_close(chosen, member0, rtol=0, atol=0)


# ------------------------------------------------------------------ critic loss


def test_critic_loss_is_the_hand_cross_entropy_mean_over_members_and_batch() -> None:
    target = torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    probs = torch.tensor(
        [
            [[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]],  # member 0
            [[0.2, 0.2, 0.6], [0.7, 0.2, 0.1]],  # member 1
        ]
    )
    naive = 0.0
    for k in range(2):
        for i in range(2):
            naive += -sum(target[i, j].item() * math.log(probs[k, i, j].item()) for j in range(3))
    naive /= 4  # 2 members x 2 samples
    loss = critic_loss(probs.log(), target)
    assert loss.item() == pytest.approx(naive, rel=1e-6)


def test_critic_loss_gradient_reaches_both_members() -> None:
    target = torch.tensor([[0.0, 1.0]])
    logits = torch.zeros(2, 1, 2, requires_grad=True)
    critic_loss(torch.log_softmax(logits, -1), target).backward()
    assert logits.grad is not None
    # d/dlogits of -log softmax_1 = softmax - onehot = [0.5, -0.5], times 1/(E*B) = 1/2.
    expected = torch.tensor([0.25, -0.25]).expand(2, 1, 2)
    torch.testing.assert_close(logits.grad, expected, rtol=0, atol=1e-7)

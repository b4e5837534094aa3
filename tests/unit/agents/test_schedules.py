"""Learning-rate warm-up + cosine schedule and the target EMA (docs/algorithm.md 3.2, 3.6)."""

from __future__ import annotations

import math

import pytest
import torch

from flashsac.agents.flashsac.schedules import ema_update_, learning_rate

INIT, PEAK, END = 1e-4, 1e-3, 1e-5
WARMUP, DECAY = 10, 110  # cosine from update 10 to 110 (decay counts the warm-up: optax convention)


def lr(t: int, warmup: int = WARMUP, decay: int = DECAY) -> float:
    return learning_rate(t, INIT, PEAK, END, warmup, decay)


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (0, INIT),
        (5, INIT + 0.5 * (PEAK - INIT)),  # 5.5e-4: halfway up the linear warm-up
        (9, INIT + 0.9 * (PEAK - INIT)),
        (10, PEAK),  # end of warm-up, start of the cosine
        (35, END + (PEAK - END) * 0.5 * (1 + math.cos(math.pi / 4))),  # a quarter of the cosine
        (60, (PEAK + END) / 2),  # cosine midpoint
        (85, END + (PEAK - END) * 0.5 * (1 + math.cos(3 * math.pi / 4))),
        (110, END),  # at decay_steps
        (111, END),
        (10_000, END),  # constant afterwards
    ],
)
def test_learning_rate_values(t: int, expected: float) -> None:
    assert lr(t) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_learning_rate_is_monotone_in_each_phase() -> None:
    warm = [lr(t) for t in range(WARMUP + 1)]
    decay = [lr(t) for t in range(WARMUP, DECAY + 1)]
    assert all(a < b for a, b in zip(warm, warm[1:], strict=False))
    assert all(a > b for a, b in zip(decay, decay[1:], strict=False))


def test_no_warmup_starts_at_peak() -> None:
    assert lr(0, warmup=0, decay=100) == pytest.approx(PEAK, rel=1e-12)
    assert lr(50, warmup=0, decay=100) == pytest.approx((PEAK + END) / 2, rel=1e-12)
    assert lr(100, warmup=0, decay=100) == END


def test_paper_defaults_constant_then_cosine_to_half() -> None:
    # init = peak = 3e-4, end = 1.5e-4, W = 1, D = 1000: the rate never exceeds 3e-4 and halves at the end.
    rates = [learning_rate(t, 3e-4, 3e-4, 1.5e-4, 1, 1000) for t in range(1001)]
    assert rates[0] == pytest.approx(3e-4) and rates[1] == pytest.approx(3e-4)
    assert rates[500] == pytest.approx(3e-4 - 1.5e-4 * 0.5 * (1 - math.cos(math.pi * 499 / 999)), rel=1e-12)
    assert rates[1000] == 1.5e-4
    assert max(rates) <= 3e-4 + 1e-18


def test_ema_update_by_hand() -> None:
    target = [torch.tensor([1.0, 2.0]), torch.tensor([[0.0], [10.0]])]
    online = [torch.tensor([3.0, -2.0]), torch.tensor([[1.0], [0.0]])]
    online_before = [t.clone() for t in online]
    ema_update_(target, online, 0.01)
    # (1 - 0.01) * target + 0.01 * online
    torch.testing.assert_close(target[0], torch.tensor([1.02, 1.96]), rtol=0, atol=1e-6)
    torch.testing.assert_close(target[1], torch.tensor([[0.01], [9.9]]), rtol=0, atol=1e-6)
    for a, b in zip(online, online_before, strict=True):
        assert torch.equal(a, b)  # the online side is untouched


def test_ema_update_works_in_place_on_parameters() -> None:
    target = torch.nn.Parameter(torch.full((3,), 4.0), requires_grad=False)
    online = torch.nn.Parameter(torch.zeros(3))
    ident = id(target)
    ema_update_([target], [online], 0.25)
    assert id(target) == ident
    torch.testing.assert_close(target.data, torch.full((3,), 3.0))


def test_ema_tau_one_copies_and_tau_zero_keeps() -> None:
    a, b = [torch.tensor([1.0, 2.0])], [torch.tensor([5.0, 6.0])]
    ema_update_(a, b, 0.0)
    torch.testing.assert_close(a[0], torch.tensor([1.0, 2.0]))
    ema_update_(a, b, 1.0)
    torch.testing.assert_close(a[0], torch.tensor([5.0, 6.0]))

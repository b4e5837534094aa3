"""Parity measurement: per-dimension tolerance relative to the box width, NaN fails, extreme inputs cover each entry."""

from __future__ import annotations

import torch

from flashsac.export.parity import EXTREME, TOLERANCE, compare, extreme_observations

LOW, HIGH = torch.tensor([-1.0, 0.0]), torch.tensor([1.0, 100.0])  # widths 2 and 100


def test_tolerance_is_relative_to_each_dimensions_width() -> None:
    reference = torch.zeros(4, 2, dtype=torch.float64)
    # 5e-4 is within 1e-5 of the wide dimension (100) but not of the narrow one (2).
    wide = compare("x", reference, reference + torch.tensor([0.0, 5e-4], dtype=torch.float64), LOW, HIGH)
    narrow = compare("x", reference, reference + torch.tensor([5e-4, 0.0], dtype=torch.float64), LOW, HIGH)
    assert wide.passed and wide.max_abs_diff == 5e-4 and abs(wide.max_diff_over_width - 5e-6) < 1e-12
    assert not narrow.passed and abs(narrow.max_diff_over_width - 2.5e-4) < 1e-12
    assert TOLERANCE == 1e-5


def test_nan_actions_fail() -> None:
    reference = torch.zeros(3, 2)
    candidate = reference.clone()
    candidate[1, 0] = float("nan")
    assert not compare("x", reference, candidate, LOW, HIGH).passed


def test_extreme_observations_cover_zeros_both_signs_and_each_entry_alone() -> None:
    obs = extreme_observations(3)
    assert obs.shape == (1 + 2 + 2 * 3 + 64, 3)
    assert torch.equal(obs[0], torch.zeros(3))
    assert torch.equal(obs[1], torch.full((3,), EXTREME)) and torch.equal(obs[2], torch.full((3,), -EXTREME))
    assert torch.equal(obs[3:6], EXTREME * torch.eye(3)) and torch.equal(obs[6:9], -EXTREME * torch.eye(3))
    assert set(obs[9:].abs().unique().tolist()) == {EXTREME}

"""Put several seeds' evaluation curves on common env steps, without interpolating.

A run *reached* a target step ``s`` when it has an evaluation at a step ``t`` with

    s - tolerance * (s - s_prev)  <=  t  <=  s + num_envs - 1

where ``s_prev`` is the target before ``s`` (so the window is 0 wide at the first target). Its value at ``s`` is
that of the nearest such evaluation (ties: the earlier one). Why this window:

* after ``s``: the trainer evaluates at the first vector step that crosses a multiple of ``eval_every_env_steps``,
  up to ``num_envs - 1`` env steps after the nominal step; that evaluation *is* the one for ``s``.
* before ``s``: cadences differ a little between runs and the paper (the paper's GPU runs evaluate at 5,496,832,
  10,493,952, ... env steps, ours at 5,000,192, 10,000,384, ...); an evaluation within ``tolerance`` (default 10 %)
  of the spacing before ``s`` stands for ``s``.

A run whose evaluations all lie outside the window has not reached ``s`` (NaN): values are never interpolated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from flashsac.tools.analysis.runs import RunCurve

__all__ = ["DEFAULT_TOLERANCE", "Alignment", "align", "eval_at", "nominal_steps"]

DEFAULT_TOLERANCE = 0.1
"""Fraction of the spacing between target steps that an evaluation may lie before its target."""


@dataclass(frozen=True)
class Alignment:
    """Runs on common target steps: ``values[r, i]`` is run ``r`` at ``targets[i]`` (NaN where not reached).

    Shapes: ``values`` and ``matched_steps`` are ``(R, T)``; ``matched_steps`` holds the run's own evaluation
    step used for each target (-1 where not reached).
    """

    targets: tuple[int, ...]
    values: np.ndarray
    matched_steps: np.ndarray

    def reached(self, i: int) -> np.ndarray:
        """The values of the runs that reached target ``i``, shape ``(n,)``."""
        column = self.values[:, i]
        return column[~np.isnan(column)]


def eval_at(run: RunCurve, target: int, before: float) -> tuple[int, float] | None:
    """``(step, value)`` of ``run``'s evaluation for ``target``, or ``None`` where the run has none there.

    The evaluation is the nearest one in ``[target - before, target + num_envs - 1]`` (ties: the earlier one).
    """
    best: tuple[int, float] | None = None
    for step, value in zip(run.env_steps, run.values, strict=True):
        if target - before <= step <= target + run.num_envs - 1 and (
            best is None or abs(step - target) < abs(best[0] - target)
        ):
            best = (step, value)
    return best


def align(runs: Sequence[RunCurve], targets: Sequence[int], tolerance: float = DEFAULT_TOLERANCE) -> Alignment:
    """Each run's value at each of the ascending ``targets`` (rule in the module docstring)."""
    if not 0.0 <= tolerance < 1.0:
        raise ValueError(f"tolerance={tolerance} must lie in [0, 1).")
    values = np.full((len(runs), len(targets)), math.nan)
    matched = np.full((len(runs), len(targets)), -1, dtype=np.int64)
    for i, target in enumerate(targets):
        before = tolerance * (target - targets[i - 1]) if i > 0 else 0.0
        for r, run in enumerate(runs):
            hit = eval_at(run, target, before)
            if hit is not None:
                matched[r, i], values[r, i] = hit
    return Alignment(tuple(targets), values, matched)


def nominal_steps(runs: Sequence[RunCurve]) -> list[int]:
    """The common grid of our curve: the union of the runs' evaluation steps, vector-step rounding merged.

    A step lying less than the largest ``num_envs`` after a kept step is the same evaluation shifted by the
    vector-step rounding, not a new one.
    """
    slack = max((run.num_envs for run in runs), default=1) - 1
    kept: list[int] = []
    for step in sorted({s for run in runs for s in run.env_steps}):
        if not kept or step > kept[-1] + slack:
            kept.append(step)
    return kept

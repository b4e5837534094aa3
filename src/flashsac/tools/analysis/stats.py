"""Interquartile mean (IQM) and its stratified bootstrap confidence interval, as rliable reports them.

The IQM is the mean of the middle 50 % of the scores (``scipy.stats.trim_mean(x, 0.25)``: ``floor(n / 4)`` scores
cut at each end). The interval is a percentile bootstrap that resamples seeds *within* each task (stratum) and
takes the IQM of the pooled resample (``scipy.stats.bootstrap`` with one sample per stratum), so every resample
keeps each task's seed count.

Reference: Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS 2021
(rliable). scipy rather than rliable: rliable's score matrices need the same seed count on every task, and it
pulls in arch, statsmodels, pandas and seaborn; scipy is one well-kept package (``pip install 'flashsac[bench]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from flashsac.tools.analysis.errors import ANALYSIS_INSTALL, MissingAnalysisDependencyError

__all__ = ["Interval", "iqm", "iqm_interval", "require_scipy"]


def require_scipy() -> ModuleType:
    """``scipy.stats``, imported on first use.

    Raises:
        MissingAnalysisDependencyError: scipy is not installed (with the install command).
    """
    try:
        from scipy import stats
    except ImportError:
        raise MissingAnalysisDependencyError(
            f"IQM and bootstrap confidence intervals need scipy, which is not installed: {ANALYSIS_INSTALL}"
        ) from None
    return stats


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval (``low``/``high`` are ``None`` where no interval exists)."""

    point: float
    low: float | None
    high: float | None

    def to_json(self) -> dict[str, Any]:
        """Plain data for the result file."""
        return {"iqm": self.point, "ci": None if self.low is None else [self.low, self.high]}


def iqm(scores: npt.ArrayLike) -> float:
    """Interquartile mean of all ``scores`` (any shape, flattened)."""
    flat = np.asarray(scores, dtype=np.float64).ravel()
    if flat.size == 0:
        raise ValueError("iqm of no scores.")
    return float(require_scipy().trim_mean(flat, 0.25))


def iqm_interval(
    strata: Sequence[npt.ArrayLike],
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Interval:
    """IQM of the pooled scores with a stratified percentile-bootstrap interval.

    Args:
        strata: One score array per task (one score per seed); a single task is a plain bootstrap over seeds.
        confidence: Coverage of the interval.
        n_resamples: Bootstrap resamples.
        seed: Seed of the resampling generator (the interval is reproducible).

    Returns:
        The pooled IQM; no interval when no stratum has two scores (a single score per task cannot be
        resampled; such strata enter every resample unchanged).
    """
    stats = require_scipy()
    arrays = [np.asarray(s, dtype=np.float64).ravel() for s in strata]
    arrays = [a for a in arrays if a.size]
    point = iqm(np.concatenate(arrays))
    varying = [a for a in arrays if a.size >= 2]
    if not varying:
        return Interval(point, None, None)
    fixed = np.concatenate([a for a in arrays if a.size == 1] or [np.empty(0)])

    def statistic(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
        # Resamples come batched as (..., n_i); the single-score strata join every one of them.
        parts = [*samples, np.broadcast_to(fixed, samples[0].shape[:-1] + fixed.shape)]
        return stats.trim_mean(np.concatenate(parts, axis=-1), 0.25, axis=-1)

    result = stats.bootstrap(
        tuple(varying),
        statistic,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        paired=False,
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    return Interval(point, float(low), float(high))

"""The FlashSAC paper's published evaluation curves (the packaged CSV), indexed by suite, task, method and metric.

The CSV (``flashsac/tools/analysis/data/flashsac_paper_curves.csv``, origin in the ``README.md`` beside it) holds one
row per suite, task, method, metric and env step: the mean and std of the evaluation metric over the paper's seeds.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flashsac.tools.analysis.errors import AnalysisInputError

__all__ = ["PAPER_METRICS", "PaperCurve", "PaperCurves"]

PAPER_METRICS: dict[str, str] = {"avg_return": "avg_return", "avg_success_once": "avg_success"}
"""Our evaluation metric -> the paper CSV's name for it (``avg_success`` is the older name of success-once)."""

_COLUMNS = ("suite", "task", "method", "metric", "env_step", "mean", "std", "n_seeds")

CurveKey = tuple[str, str, str, str]
"""``(suite, task, method, metric)``."""


@dataclass(frozen=True)
class PaperCurve:
    """One method's published curve on one task: per evaluation step, mean and std over ``n_seeds`` seeds.

    ``std`` is NaN where the paper ran a single seed (the CSV leaves it empty).
    """

    suite: str
    task: str
    method: str
    metric: str
    env_steps: tuple[int, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    n_seeds: tuple[int, ...]

    def at(self, env_step: int) -> tuple[float, float, int] | None:
        """``(mean, std, n_seeds)`` at exactly ``env_step``, or ``None`` where the paper did not evaluate."""
        if env_step not in self.env_steps:
            return None
        i = self.env_steps.index(env_step)
        return self.mean[i], self.std[i], self.n_seeds[i]


def _float(text: str) -> float:
    return float(text) if text.strip() else math.nan


class PaperCurves:
    """Every curve of the paper CSV; look-ups by ``(suite, task, method, metric)`` and task-name resolution."""

    def __init__(self, curves: dict[CurveKey, PaperCurve]) -> None:
        self._curves = curves

    @classmethod
    def load(cls, path: Path | None = None) -> PaperCurves:
        """Read the packaged CSV, or the CSV at ``path`` (same columns).

        Raises:
            AnalysisInputError: the file is missing or lacks one of the columns.
        """
        if path is None:
            text = (
                resources.files("flashsac")
                .joinpath("tools/analysis/data/flashsac_paper_curves.csv")
                .read_text(encoding="utf-8")
            )
            origin = "the packaged flashsac/tools/analysis/data/flashsac_paper_curves.csv"
        else:
            if not path.is_file():
                raise AnalysisInputError(f"paper CSV {path} does not exist; omit it to use the packaged copy.")
            text, origin = path.read_text(encoding="utf-8"), str(path)
        return cls.from_rows(csv.DictReader(io.StringIO(text)), origin)

    @classmethod
    def from_rows(cls, rows: csv.DictReader[str], origin: str) -> PaperCurves:
        """Build from CSV rows with the columns ``suite,task,method,metric,env_step,mean,std,n_seeds``."""
        missing = [c for c in _COLUMNS if c not in (rows.fieldnames or [])]
        if missing:
            raise AnalysisInputError(f"{origin} lacks the column(s) {missing}; expected {','.join(_COLUMNS)}.")
        points: dict[CurveKey, list[tuple[int, float, float, int]]] = {}
        for row in rows:
            key = (row["suite"], row["task"], row["method"], row["metric"])
            step = int(float(row["env_step"]))
            points.setdefault(key, []).append((step, _float(row["mean"]), _float(row["std"]), int(row["n_seeds"])))
        curves = {}
        for key, values in points.items():
            values.sort()
            steps, means, stds, seeds = zip(*values, strict=True)
            curves[key] = PaperCurve(*key, env_steps=steps, mean=means, std=stds, n_seeds=seeds)
        return cls(curves)

    def tasks(self) -> list[tuple[str, str]]:
        """Every ``(suite, task)`` with at least one curve, sorted."""
        return sorted({(suite, task) for suite, task, _, _ in self._curves})

    def suites(self) -> list[str]:
        """Every suite of the CSV, sorted."""
        return sorted({suite for suite, _ in self.tasks()})

    def methods(self, suite: str | None = None, task: str | None = None, metric: str | None = None) -> list[str]:
        """The methods with a curve, optionally only those on one suite/task/metric, sorted."""
        return sorted(
            {
                m
                for s, t, m, k in self._curves
                if (suite is None or s == suite) and (task is None or t == task) and (metric is None or k == metric)
            }
        )

    def curve(self, suite: str, task: str, method: str, metric: str) -> PaperCurve | None:
        """The curve for that key, or ``None`` where the paper has none."""
        return self._curves.get((suite, task, method, metric))

    def resolve_task(self, name: str) -> tuple[str, str]:
        """Turn ``task`` or ``suite/task`` (as the CSV spells it) into ``(suite, task)``.

        Raises:
            AnalysisInputError: the name is not in the CSV (listing the nearest names) or is ambiguous.
        """
        suite, _, task = name.rpartition("/")
        hits = [(s, t) for s, t in self.tasks() if t == task and (not suite or s == suite)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            choices = ", ".join(f"{s}/{t}" for s, t in hits)
            raise AnalysisInputError(f"--paper {name!r} is in several suites; name one of: {choices}.")
        names = [t for _, t in self.tasks()]
        near = difflib.get_close_matches(task, names, n=4, cutoff=0.6)
        hint = f"did you mean {', '.join(near)}?" if near else f"valid tasks: {', '.join(sorted(set(names)))}."
        raise AnalysisInputError(f"--paper {name!r} is not a task of the paper CSV; {hint}")

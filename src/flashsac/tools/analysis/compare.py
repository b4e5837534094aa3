"""Compare our seeds with the paper's curves: per task, at each paper evaluation step we reached, and over tasks.

Everything here is a pure function of run curves, paper curves and options, returning plain data (the JSON
``flashsac plot`` writes). Our statistic over seeds is the IQM with a percentile bootstrap interval
(:mod:`flashsac.tools.analysis.stats`); mean and sample std (ddof 1) are given beside it. The paper's curves are its
published mean and std over its seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flashsac.tools.analysis.align import DEFAULT_TOLERANCE, align, nominal_steps
from flashsac.tools.analysis.errors import AnalysisInputError
from flashsac.tools.analysis.paper_curves import PAPER_METRICS, PaperCurve, PaperCurves
from flashsac.tools.analysis.runs import RunCurve
from flashsac.tools.analysis.stats import iqm_interval
from flashsac.tools.analysis.task_match import TaskMatch

__all__ = ["CompareOptions", "aggregate_over_tasks", "compare_task", "seed_statistics"]

NORMALISED_SCORE = "ours / paper mean of the reference method at the same paper step (1.0 = as in the paper)"


@dataclass(frozen=True)
class CompareOptions:
    """What to compare and how: metric, paper methods (the first is the reference), alignment and bootstrap."""

    metric: str = "avg_return"
    methods: tuple[str, ...] = ("FlashSAC",)
    tolerance: float = DEFAULT_TOLERANCE
    confidence: float = 0.95
    n_resamples: int = 10_000
    seed: int = 0


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def seed_statistics(strata: Sequence[np.ndarray], options: CompareOptions) -> dict[str, Any]:
    """IQM with bootstrap interval, mean and std of the pooled scores (one array per task, one score per seed)."""
    pooled = np.concatenate([np.asarray(s, dtype=np.float64) for s in strata])
    interval = iqm_interval(strata, options.confidence, options.n_resamples, options.seed)
    return {
        "n_seeds": int(pooled.size),
        **interval.to_json(),
        "mean": float(pooled.mean()),
        "std": float(pooled.std(ddof=1)) if pooled.size > 1 else None,
    }


def _paper_point(curve: PaperCurve, step: int) -> dict[str, Any] | None:
    point = curve.at(step)
    if point is None:
        return None
    mean, std, n_seeds = point
    return {"mean": mean, "std": _finite_or_none(std), "n_seeds": n_seeds}


def _paper_curves(match: TaskMatch, paper: PaperCurves, options: CompareOptions) -> tuple[list[PaperCurve], list[str]]:
    paper_metric = PAPER_METRICS[options.metric]
    curves, notes = [], []
    for method in options.methods:
        curve = paper.curve(match.suite, match.task, method, paper_metric)
        if curve is None:
            notes.append(f"the paper has no {method} {paper_metric} curve on {match.suite}/{match.task}")
        else:
            curves.append(curve)
    if not curves or curves[0].method != options.methods[0]:
        have = ", ".join(paper.methods(match.suite, match.task, paper_metric)) or "none"
        raise AnalysisInputError(
            f"--methods {options.methods[0]}: the paper has no {paper_metric} curve for it on "
            f"{match.suite}/{match.task}; methods with one: {have}."
        )
    return curves, notes


def _at_paper_steps(runs: Sequence[RunCurve], curves: list[PaperCurve], options: CompareOptions) -> list[dict]:
    reference = curves[0]
    alignment = align(runs, reference.env_steps, options.tolerance)
    rows = []
    for i, step in enumerate(alignment.targets):
        reached = alignment.reached(i)
        if reached.size == 0:
            continue
        column = alignment.values[:, i]
        paper_points = {c.method: _paper_point(c, step) for c in curves}
        rows.append(
            {
                "paper_step": step,
                "our_steps": [int(s) for s in alignment.matched_steps[:, i] if s >= 0],
                "seed_values": [None if math.isnan(v) else float(v) for v in column],
                "ours": seed_statistics([reached], options),
                "paper": {m: p for m, p in paper_points.items() if p is not None},
            }
        )
    return rows


def _our_curve(runs: Sequence[RunCurve], options: CompareOptions) -> list[dict]:
    alignment = align(runs, nominal_steps(runs), options.tolerance)
    curve = []
    for i, step in enumerate(alignment.targets):
        reached = alignment.reached(i)
        if reached.size:
            curve.append({"env_step": step, **seed_statistics([reached], options)})
    return curve


def compare_task(
    runs: Sequence[RunCurve], match: TaskMatch | None, paper: PaperCurves | None, options: CompareOptions
) -> dict[str, Any]:
    """One task's report: our curve over seeds and, given a paper match, the comparison with the paper.

    With a match: the paper curves of ``options.methods`` and our values at each paper evaluation step (of the
    reference method) that at least one seed reached (rule: :mod:`flashsac.tools.analysis.align`).
    """
    curve = _our_curve(runs, options)
    report: dict[str, Any] = {
        "family": runs[0].family,
        "task": runs[0].task,
        "runs": [
            {
                "path": str(r.path),
                "seed": r.seed,
                "num_envs": r.num_envs,
                "last_eval_step": r.env_steps[-1],
                "settings": r.settings,
            }
            for r in runs
        ],
        "curve": curve,
        "final": seed_statistics([np.array([r.values[-1] for r in runs])], options)
        | {"env_steps": [r.env_steps[-1] for r in runs]},
        "paper": None,
        "paper_curves": {},
        "at_paper_steps": [],
        "notes": [],
    }
    seeds = [r.seed for r in runs]
    if len(set(seeds)) != len(seeds):
        report["notes"].append(f"several runs share a seed ({seeds}): are some directories copies?")
    if match is None or paper is None:
        return report
    curves, notes = _paper_curves(match, paper, options)
    report["paper"] = {"suite": match.suite, "task": match.task, "note": match.note}
    report["notes"] += notes  # the match's own note is in report["paper"]["note"]
    report["paper_curves"] = {
        c.method: [
            {"env_step": s, "mean": m, "std": _finite_or_none(d), "n_seeds": n}
            for s, m, d, n in zip(c.env_steps, c.mean, c.std, c.n_seeds, strict=True)
        ]
        for c in curves
    }
    report["at_paper_steps"] = _at_paper_steps(runs, curves, options)
    return report


def _normalised_scores(task: dict[str, Any], reference: str) -> tuple[dict | None, str]:
    """Per-seed paper-relative scores at the task's last paper step reached by every seed, or why there are none."""
    name, n_runs = f"{task['family']}/{task['task']}", len(task["runs"])
    full = [row for row in task["at_paper_steps"] if row["ours"]["n_seeds"] == n_runs]
    if not full:
        return None, f"{name}: no paper step reached by all {n_runs} seeds"
    row = full[-1]
    paper_mean = row["paper"][reference]["mean"]
    if not paper_mean > 0:
        return None, f"{name}: paper {reference} mean {paper_mean:g} at step {row['paper_step']} is not > 0"
    scores = [v / paper_mean for v in row["seed_values"]]
    return {"task": name, "paper_step": row["paper_step"], "paper_mean": paper_mean, "scores": scores}, ""


def aggregate_over_tasks(tasks: Sequence[dict[str, Any]], options: CompareOptions) -> dict[str, Any] | None:
    """IQM (stratified bootstrap over seeds within tasks) of paper-relative scores over the compared tasks.

    Each task contributes its seeds' scores at its last paper step that every seed reached; a task whose paper
    mean there is not positive has no paper-relative score and is listed under ``excluded``. ``None`` with fewer
    than two compared tasks.
    """
    compared = [t for t in tasks if t["paper"] is not None]
    if len(compared) < 2:
        return None
    included, excluded = [], []
    for task in compared:
        entry, why = _normalised_scores(task, options.methods[0])
        if entry is None:
            excluded.append(why)
        else:
            included.append(entry)
    result: dict[str, Any] = {"score": NORMALISED_SCORE, "reference": options.methods[0], "excluded": excluded}
    result["tasks"] = included
    if included:
        result |= seed_statistics([np.array(t["scores"]) for t in included], options)
    return result

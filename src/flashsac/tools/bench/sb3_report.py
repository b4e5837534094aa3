"""Turning the run records of ``flashsac bench sb3`` into per-task statistics, flashsac/SB3 ratios, text and a PNG.

Spreads: ``*_std`` over repeats is the sample standard deviation of the per-run values (``None`` with one run);
the return's spread over episodes pools every evaluation episode of every run of that framework. ``return_iqm``
is the interquartile mean of the per-run mean returns with its 95 % percentile-bootstrap interval over runs
(``flashsac.tools.analysis.stats``; with 3 runs the IQM is their mean, the interval their resampled spread).
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

from flashsac.tools.analysis.stats import iqm, iqm_interval
from flashsac.tools.bench.common import pyplot, save_figure

__all__ = ["aggregate", "plot", "summary_line"]

_LABELS = {"flashsac": "flashsac", "sb3": "SB3 SAC"}
_COLORS = {"flashsac": "tab:blue", "sb3": "tab:orange"}


def _spread(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) >= 2 else None


def _framework_stats(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and spread of one framework's successful runs on one task."""
    walls = [run["train_wall_s"] for run in runs]
    rates = [run["env_steps_per_s"] for run in runs]
    means = [run["eval_mean"] for run in runs]
    episodes = [value for run in runs for value in run["eval_returns"]]
    cpu = [run["process_cpu_s"] for run in runs if run["process_cpu_s"] is not None]
    return {
        "runs": len(runs),
        "env_steps": statistics.fmean(run["env_steps"] for run in runs),
        "updates": statistics.fmean(run["updates"] for run in runs),
        "train_wall_s": statistics.fmean(walls),
        "train_wall_s_std": _spread(walls),
        "env_steps_per_s": statistics.fmean(rates),
        "env_steps_per_s_std": _spread(rates),
        "process_wall_s": statistics.fmean(run["process_wall_s"] for run in runs),
        "process_cpu_s": statistics.fmean(cpu) if cpu else None,
        "return_mean": statistics.fmean(means),
        "return_iqm": iqm_interval([means]).to_json(),
        "return_std_over_repeats": _spread(means),
        "return_std_over_episodes": statistics.pstdev(episodes),
        "episodes": len(episodes),
    }


def reach(runs: list[dict[str, Any]], target: float) -> dict[str, Any] | None:
    """When flashsac's learning curve first reaches ``target``.

    That is the first in-loop evaluation step at which the IQM over runs of the evaluation returns is at least
    ``target``, with the mean training seconds to that step.

    Returns:
        ``{"env_steps", "train_wall_s"}``, or ``None`` if no evaluation gets there (or no run has a curve).
    """
    curves = [run["curve"] for run in runs if run.get("curve")]
    if not curves:
        return None
    for points in zip(*curves, strict=False):
        steps = points[0][0]
        if all(point[0] == steps for point in points) and iqm([point[1] for point in points]) >= target:
            return {"env_steps": steps, "train_wall_s": statistics.fmean(point[2] for point in points)}
    return None


def _ratios(flashsac: dict[str, Any], sb3: dict[str, Any], pairs: list[tuple[dict, dict]]) -> dict[str, Any]:
    """Ratios flashsac/SB3: below 1 means flashsac took less wall-clock; above 1, more env-steps/s."""
    sb3_return = sb3["return_mean"]
    paired = [fs["train_wall_s"] / sb["train_wall_s"] for fs, sb in pairs]
    return {
        "wall_clock": flashsac["train_wall_s"] / sb3["train_wall_s"],
        "env_steps_per_s": flashsac["env_steps_per_s"] / sb3["env_steps_per_s"],
        "return_difference": flashsac["return_mean"] - sb3_return,
        # A ratio of returns only means something when the reference return is positive.
        "return": flashsac["return_mean"] / sb3_return if sb3_return > 0 else None,
        "wall_clock_per_pair": paired,
        "wall_clock_geometric_mean_per_pair": math.exp(statistics.fmean(math.log(r) for r in paired))
        if paired
        else None,
    }


def aggregate(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per task (in first-seen order): each framework's statistics over its successful runs, and the ratios.

    Returns:
        ``{task: {"flashsac": stats | None, "sb3": stats | None, "ratios": ratios | None, "failed_runs": n}}``;
        ratios need at least one successful run of each framework.
    """
    results: dict[str, dict[str, Any]] = {}
    for task in dict.fromkeys(record["task"] for record in records):
        runs = [record for record in records if record["task"] == task]
        ok = [record for record in runs if record["error"] is None]
        entry: dict[str, Any] = {"failed_runs": len(runs) - len(ok), "ratios": None, "flashsac_reaches_sb3_final": None}
        for name in ("flashsac", "sb3"):
            mine = [record for record in ok if record["framework"] == name]
            entry[name] = _framework_stats(mine) if mine else None
        if entry["flashsac"] is not None and entry["sb3"] is not None:
            by_pair = {(r["framework"], r["pair"]): r for r in ok}
            pairs = [
                (by_pair[("flashsac", pair)], by_pair[("sb3", pair)])
                for pair in sorted({r["pair"] for r in ok})
                if ("flashsac", pair) in by_pair and ("sb3", pair) in by_pair
            ]
            entry["ratios"] = _ratios(entry["flashsac"], entry["sb3"], pairs)
            target = entry["sb3"]["return_iqm"]["iqm"]
            mine = [record for record in ok if record["framework"] == "flashsac"]
            entry["flashsac_reaches_sb3_final"] = reach(mine, target)
        results[task] = entry
    return results


def _side(name: str, stats: dict[str, Any] | None) -> str:
    if stats is None:
        return f"{_LABELS[name]} no successful run"
    return (
        f"{_LABELS[name]} {stats['train_wall_s']:.0f}s {stats['env_steps_per_s']:.0f} steps/s "
        f"return {stats['return_mean']:.1f}±{stats['return_std_over_episodes']:.1f} "
        f"IQM {_interval(stats['return_iqm'])}"
    )


def _interval(value: dict[str, Any]) -> str:
    ci = value["ci"]
    return f"{value['iqm']:.1f}" + ("" if ci is None else f" [{ci[0]:.1f}, {ci[1]:.1f}]")


def summary_line(task: str, budget: int, entry: dict[str, Any]) -> str:
    """One line per task: both frameworks' training time, speed and final return, then the ratios."""
    line = f"sb3 {task} ({budget:,} env steps): {_side('flashsac', entry['flashsac'])} | {_side('sb3', entry['sb3'])}"
    ratios = entry["ratios"]
    if ratios is not None:
        ratio = "n/a" if ratios["return"] is None else f"x{ratios['return']:.2f}"
        line += (
            f" | flashsac/SB3: wall-clock x{ratios['wall_clock']:.2f}, steps/s x{ratios['env_steps_per_s']:.2f}, "
            f"return {ratios['return_difference']:+.1f} ({ratio})"
        )
    reached = entry.get("flashsac_reaches_sb3_final")
    if ratios is not None:
        line += " | flashsac reaches SB3's final IQM " + (
            "within the budget: never"
            if reached is None
            else f"at {reached['env_steps']:,} steps, {reached['train_wall_s']:.0f}s"
        )
    if entry["failed_runs"]:
        line += f" | {entry['failed_runs']} run(s) FAILED"
    return line


def plot(results: dict[str, dict[str, Any]], records: list[dict[str, Any]], path: Path, title: str) -> None:
    """Bars per task and framework: training wall-clock (top) and final return (bottom), with spreads.

    Wall-clock bars carry the spread over repeats; return bars the spread over evaluation episodes, with each
    run's mean return as a dot.
    """
    plt = pyplot()

    tasks = list(results)
    fig, axes = plt.subplots(2, len(tasks), figsize=(3.2 * len(tasks) + 1, 6), squeeze=False)
    for column, task in enumerate(tasks):
        for row, (key, spread, ylabel) in enumerate(
            (
                ("train_wall_s", "train_wall_s_std", "training wall-clock (s)"),
                ("return_mean", "return_std_over_episodes", "final eval return"),
            )
        ):
            ax = axes[row][column]
            for x, name in enumerate(("flashsac", "sb3")):
                stats = results[task][name]
                if stats is None:
                    continue
                error = stats[spread]
                ax.bar(x, stats[key], yerr=error, capsize=4, color=_COLORS[name], alpha=0.8)
                if key == "return_mean":
                    mine = [r for r in records if r["task"] == task and r["framework"] == name]
                    dots = [r["eval_mean"] for r in mine if r["error"] is None]
                    ax.scatter([x] * len(dots), dots, color="black", s=12, zorder=3)
            ax.set_xticks([0, 1], [_LABELS["flashsac"], _LABELS["sb3"]])
            ax.set_ylabel(ylabel)
            ax.grid(axis="y", alpha=0.3)
            if row == 0:
                ax.set_title(task)
    fig.suptitle(title)
    save_figure(fig, path, dpi=120)

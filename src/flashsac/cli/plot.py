"""``flashsac plot <run_dir>... [--paper <task>]``: our evaluation curves over seeds, optionally against the paper.

Groups the runs by task (from each run's ``config.yaml``), plots the IQM over seeds with a 95 % stratified
bootstrap interval, overlays the paper's curves (mean ± std over its seeds), reports our value at every paper
evaluation step we reached, aggregates over tasks, prints a one-line summary and writes JSON + PNG.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

from flashsac.checkpointing.atomic import write_text_atomically
from flashsac.evaluation.plots import Band, Panel, plot_panels
from flashsac.tools.analysis.align import DEFAULT_TOLERANCE
from flashsac.tools.analysis.compare import CompareOptions, aggregate_over_tasks, compare_task
from flashsac.tools.analysis.errors import AnalysisInputError, MissingAnalysisDependencyError
from flashsac.tools.analysis.paper_curves import PAPER_METRICS, PaperCurves
from flashsac.tools.analysis.runs import EVAL_METRICS, RunCurve, group_by_task, read_run
from flashsac.tools.analysis.stats import require_scipy
from flashsac.tools.analysis.task_match import TaskMatch, match_paper_task

__all__ = ["run_plot"]

DEFAULT_OUT = Path("benchmarks/results/paper_compare.json")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (no usage dump), like every flashsac error."""

    def error(self, message: str) -> NoReturn:
        raise AnalysisInputError(f"{message} (flashsac plot --help shows the usage)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="flashsac plot", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", type=Path, help="run directories made by `flashsac train`")
    parser.add_argument(
        "--paper",
        action="append",
        metavar="TASK",
        help="paper task to compare with, as the paper CSV names it (pendulum-swingup, Humanoid-v4, or\n"
        "suite/task); repeat it for several tasks; `auto` matches every task of the runs",
    )
    parser.add_argument("--metric", choices=EVAL_METRICS, default="avg_return", help="evaluation metric")
    parser.add_argument(
        "--methods", nargs="+", default=["FlashSAC"], help="paper methods to overlay; the first is the reference"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON path (PNG: same stem; {DEFAULT_OUT})")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help="fraction of the paper's eval spacing an evaluation of ours may lie before a paper step",
    )
    parser.add_argument("--confidence", type=float, default=0.95, help="bootstrap interval coverage")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling")
    return parser


def _matches(
    groups: dict[tuple[str, str], list[RunCurve]], names: list[str] | None, paper: PaperCurves
) -> dict[tuple[str, str], TaskMatch | None]:
    """The paper task of every run group; every group must match one of ``names`` (unless ``auto``)."""
    if not names:
        return dict.fromkeys(groups)
    wanted = None if names == ["auto"] else {paper.resolve_task(name) for name in names}
    matches: dict[tuple[str, str], TaskMatch | None] = {}
    for (family, task), runs in groups.items():
        try:
            match = match_paper_task(family, task, paper)
        except AnalysisInputError as err:
            raise AnalysisInputError(f"{err} (run dir {runs[0].path})") from None
        if wanted is not None and (match.suite, match.task) not in wanted:
            raise AnalysisInputError(
                f"run dir {runs[0].path} is {family}/{task}, which matches paper {match.suite}/{match.task}, not "
                f"--paper {' '.join(names)}; add it to --paper or use --paper auto."
            )
        matches[(family, task)] = match
    if wanted is not None:
        unused = wanted - {(m.suite, m.task) for m in matches.values() if m is not None}
        if unused:
            ours = ", ".join(f"{f}/{t}" for f, t in groups)
            raise AnalysisInputError(
                f"--paper {', '.join(f'{s}/{t}' for s, t in sorted(unused))} matches none of the runs ({ours})."
            )
    return matches


def _check_options(args: argparse.Namespace, paper: PaperCurves) -> None:
    unknown = [m for m in args.methods if m not in paper.methods()]
    if unknown:
        raise AnalysisInputError(f"--methods {' '.join(unknown)}: not in the paper CSV; valid: {paper.methods()}.")
    if args.out.suffix != ".json":
        raise AnalysisInputError(f"--out {args.out} must end in .json (the PNG gets the same stem).")
    if not 0.0 <= args.tolerance < 1.0 or not 0.0 < args.confidence < 1.0 or args.resamples < 100:
        raise AnalysisInputError("--tolerance must lie in [0, 1), --confidence in (0, 1), --resamples >= 100.")


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:.3f}"


def _ours(stats: dict[str, Any]) -> str:
    ci = f" [{_fmt(stats['ci'][0])}, {_fmt(stats['ci'][1])}]" if stats["ci"] else ""
    return f"{_fmt(stats['iqm'])}{ci} ({stats['n_seeds']})"


def _paper(point: dict[str, Any] | None) -> str:
    return "-" if point is None else f"{_fmt(point['mean'])} ± {_fmt(point['std'])} ({point['n_seeds']})"


def _print_table(report: dict[str, Any], methods: list[str]) -> None:
    paper = report["paper"]
    name = f"{report['family']}/{report['task']}"
    if paper is None:
        print(f"{name}: final IQM {_ours(report['final'])}, {len(report['curve'])} evaluation steps")
        return
    note = f" ({paper['note']})" if paper["note"] else ""
    print(f"{name} vs paper {paper['suite']}/{paper['task']}{note}")
    print(f"  {'paper step':>12}  {'ours: IQM [CI] (seeds)':<40}" + "".join(f"{m:<26}" for m in methods))
    for row in report["at_paper_steps"]:
        cells = "".join(f"{_paper(row['paper'].get(m)):<26}" for m in methods)
        print(f"  {row['paper_step']:>12,}  {_ours(row['ours']):<40}{cells}")
    for note in report["notes"]:
        print(f"  note: {note}")


def _band_from_stats(points: list[dict[str, Any]], label: str) -> Band:
    return Band(
        label=label,
        env_steps=[p["env_step"] for p in points],
        center=[p["iqm"] for p in points],
        low=[p["ci"][0] if p["ci"] else math.nan for p in points],
        high=[p["ci"][1] if p["ci"] else math.nan for p in points],
        ours=True,
    )


def _panel(report: dict[str, Any], confidence: float) -> Panel:
    counts = sorted({p["n_seeds"] for p in report["curve"]})
    seeds = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    bands = [_band_from_stats(report["curve"], f"ours: IQM, {confidence:.0%} bootstrap CI ({seeds} seeds)")]
    title = f"{report['family']}/{report['task']}"
    our_end = max(r["last_eval_step"] for r in report["runs"])
    x_max = None
    for method, points in report["paper_curves"].items():
        std = [p["std"] if p["std"] is not None else math.nan for p in points]
        mean = [p["mean"] for p in points]
        bands.append(
            Band(
                label=f"paper {method}: mean ± std ({points[-1]['n_seeds']} seeds)",
                env_steps=[p["env_step"] for p in points],
                center=mean,
                low=[m - s for m, s in zip(mean, std, strict=True)],
                high=[m + s for m, s in zip(mean, std, strict=True)],
            )
        )
    if report["paper"] is not None:
        paper = report["paper"]
        title += f" vs paper {paper['suite']}/{paper['task']}" + (" (other version)" if paper["note"] else "")
        # Crop the paper's long curves at its first evaluation past ours, so that short runs stay visible.
        steps = [p["env_step"] for p in next(iter(report["paper_curves"].values()))]
        x_max = 1.02 * max(our_end, min((s for s in steps if s >= our_end), default=our_end))
    return Panel(title=title, bands=bands, x_max=x_max)


def _print_aggregate(aggregate: dict[str, Any] | None) -> None:
    if aggregate is None:
        return
    parts = [f"{t['task']} @ {t['paper_step']:,} ({len(t['scores'])} seeds)" for t in aggregate["tasks"]]
    print(f"aggregate of {aggregate['score']}: {', '.join(parts) or 'no task'}")
    for why in aggregate["excluded"]:
        print(f"  excluded: {why}")


def _summary(reports: list[dict[str, Any]], aggregate: dict[str, Any] | None, reference: str) -> str:
    runs = sum(len(r["runs"]) for r in reports)
    head = f"flashsac plot: {len(reports)} task(s), {runs} run(s)"
    if aggregate is not None and "iqm" in aggregate:
        return f"{head}: paper-relative IQM {_ours(aggregate)} over {len(aggregate['tasks'])} tasks ({reference} = 1)"
    parts = []
    for r in reports:
        rows = r["at_paper_steps"]
        if rows:
            last = rows[-1]
            parts.append(
                f"{r['family']}/{r['task']} at paper step {last['paper_step']:,}: IQM {_ours(last['ours'])} vs paper "
                f"{reference} {_paper(last['paper'].get(reference))}"
            )
        else:
            parts.append(f"{r['family']}/{r['task']} final IQM {_ours(r['final'])}")
    return f"{head}: " + "; ".join(parts)


def run_plot(argv: list[str]) -> int:
    """Run ``flashsac plot``; returns 0, or 2 after a one-line error naming the bad input."""
    try:
        return _run(argv)
    except SystemExit as done:  # --help: argparse printed the usage and asks to exit
        return int(done.code or 0)
    except (AnalysisInputError, MissingAnalysisDependencyError) as err:
        print(f"flashsac: error: {err}", file=sys.stderr)
        return 2


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` via a temporary file, so that an interrupted run never leaves a truncated result."""
    write_text_atomically(path, json.dumps(payload, indent=2) + "\n")


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    paper = PaperCurves.load()
    _check_options(args, paper)
    options = CompareOptions(
        args.metric, tuple(args.methods), args.tolerance, args.confidence, args.resamples, args.seed
    )
    groups = group_by_task([read_run(path, args.metric) for path in args.run_dirs])
    matches = _matches(groups, args.paper, paper)
    require_scipy()  # inputs are checked first, so that every mistake is reported without scipy as well
    reports = [compare_task(runs, matches[key], paper, options) for key, runs in groups.items()]
    aggregate = aggregate_over_tasks(reports, options)
    payload = {
        "command": "flashsac plot " + " ".join(argv),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metric": args.metric,
        "paper_metric": PAPER_METRICS[args.metric],
        "statistic": f"IQM over seeds, {args.confidence:.0%} percentile bootstrap CI ({args.resamples} resamples, "
        f"stratified by task, seed {args.seed}); mean and std (ddof 1) beside it; paper: mean ± std over its seeds",
        "alignment": f"our evaluation nearest to each step within [step - {args.tolerance} x spacing to the previous "
        "step, step + num_envs - 1]; no interpolation (flashsac.tools.analysis.align)",
        "tasks": reports,
        "aggregate": aggregate,
    }
    for report in reports:
        _print_table(report, list(args.methods))
    _print_aggregate(aggregate)
    _write_json(args.out, payload)
    png = args.out.with_suffix(".png")
    ylabel = f"eval {args.metric}"
    plot_panels([_panel(r, args.confidence) for r in reports], png, ylabel)
    print(f"{_summary(reports, aggregate, args.methods[0])} -> {args.out}, {png}")
    return 0

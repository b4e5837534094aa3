"""Print a :class:`~flashsac.tools.doctor.DoctorReport` as tables: per-dimension action statistics, then findings."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from flashsac.tools.doctor import DoctorReport

__all__ = ["print_report"]

_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def _pct(values: list[float] | None, d: int) -> str:
    return "-" if values is None else f"{100 * values[d]:.0f}%"


def print_report(report: DoctorReport, out: Path, console: Console | None = None) -> None:
    """Print the action table and the findings; name the files written under ``out``."""
    console = console or Console()
    table = Table(title=f"{report.env}/{report.task}: {report.num_envs} envs x {report.vector_steps} steps per source")
    for column in ("dim", "declared", "trained box", "joint limits"):
        table.add_column(column)
    short = {"random": "rand", "initial_policy": "init"}
    for s in report.stats:
        for metric in ("edge", ">lim", "used"):
            table.add_column(f"{short.get(s.source, s.source)} {metric}", justify="right")
    for d in range(len(report.trained_low)):
        joint = (
            f"[{report.joint_limit_low[d]:.3g}, {report.joint_limit_high[d]:.3g}]"
            if report.joint_limit_low is not None and report.joint_limit_high is not None
            else "-"
        )
        row = [
            str(d),
            f"[{report.declared_low[d]:.3g}, {report.declared_high[d]:.3g}]",
            f"[{report.trained_low[d]:.3g}, {report.trained_high[d]:.3g}]",
            joint,
        ]
        for s in report.stats:
            row += [_pct(s.edge_share, d), _pct(s.beyond_soft_limits, d), _pct(s.declared_range_used, d)]
        table.add_row(*row)
    console.print(table)
    console.print(
        "edge: share of actions at the trained box's edges (saturation); >lim: share asking for joint targets "
        "beyond the soft limits; used: 1st-99th percentile spread over the declared width. rand: uniform "
        "warm-up actions; init: the untrained policy.",
        style="dim",
    )
    if not report.findings:
        console.print("[green]no findings[/green]")
    for f in report.findings:
        console.print(f"[{_STYLE[f.level]}]{f.level:>7}[/] {f.topic}: {f.message}", highlight=False)
    console.print(f"wrote {out / 'doctor.json'} and {report.figure}")

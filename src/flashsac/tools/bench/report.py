"""``flashsac bench report``: rewrite README.md's Results section from the benchmark result files.

The section lies between ``<!-- results:start -->`` and ``<!-- results:end -->``; everything else in the README is
kept byte for byte. It holds one short table per result file found in ``benchmarks/results/``, each headed by the
machine (CPU model, cores, threads, device) and the date of that measurement:

* ``loop_overhead.json`` (``flashsac bench loop``): loop / raw env-steps/s ratios;
* ``update_throughput.json`` (``flashsac bench update``): ms and GFLOP/s per update against the GEMM roofline;
* ``sb3_compare.json`` (``flashsac bench sb3``): flashsac / Stable-Baselines3 ratios per task;
* ``paper_compare.json`` (``flashsac plot --paper``): our evaluation returns against the paper's curves.

A missing file gives a line saying which command produces it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flashsac.tools.bench.common import RESULTS_DIR

__all__ = ["END", "START", "ReportError", "main", "replace_section", "results_section"]

START = "<!-- results:start -->"
END = "<!-- results:end -->"
DESCRIPTION = "rewrite README.md's Results section from the JSON files in benchmarks/results/"


class ReportError(ValueError):
    """The README or a result file cannot be used; the message says which and how to fix it."""


# ---------------------------------------------------------------------------------------------------- formatting


def _num(x: float | None, digits: int = 3) -> str:
    """A compact number: thousands separators for large values, ``digits`` significant digits for small ones."""
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 10 ** (digits - 1) else f"{x:.{digits}g}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table (numbers right-aligned by the caller's choice of header alignment row)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def machine_line(payload: dict[str, Any]) -> str:
    """Where and when a result was measured, from its ``machine_info`` (or the older ``machine``) block."""
    info = payload.get("machine_info") or payload.get("machine") or {}
    if not info:
        return "Machine: not recorded."
    device = info.get("device", "cpu")
    where = info.get("device_name") or info.get("cpu_model", "unknown CPU")
    parts = [f"{where} ({device})" if device != "cpu" else where]
    if device != "cpu":
        parts.append(f"host CPU {info.get('cpu_model', 'unknown')}")
    threads = info.get("run_threads", info.get("torch_threads", "?"))  # sb3 runs its workers with run_threads
    parts.append(f"{info.get('cpu_count', '?')} cores, {threads} torch thread{'' if threads == 1 else 's'}")
    parts.append(f"torch {info.get('torch_version', '?')}")
    load = info.get("load_average")
    if load:
        parts.append(f"load average at start {load[0]:.2f}")
    quick = " Smoke-test settings (`--quick`): indicative only." if payload.get("options", {}).get("quick") else ""
    return f"Machine: {', '.join(parts)}; measured {info.get('date', 'on an unrecorded date')}.{quick}"


def _figure(path: Path, readme_dir: Path, alt: str) -> list[str]:
    """A Markdown image line for ``path`` relative to the README, when the figure exists."""
    if not path.exists():
        return []
    return ["", f"![{alt}]({Path(os.path.relpath(path, readme_dir)).as_posix()})"]


# ---------------------------------------------------------------------------------------------------- sections


def loop_section(payload: dict[str, Any]) -> list[str]:
    """Loop overhead: one row per case with both rates, the ratio and the split of one vector step."""
    rows = []
    for r in payload.get("records", []):
        if r.get("status") != "ok":
            rows.append([f"`{r['case']}`", r.get("status", "?"), "-", "-", "-", "-", "-"])
            continue
        rows.append(
            [
                f"`{r['case']}`",
                _num(r["raw_env_steps_per_s"]),
                _num(r["loop_env_steps_per_s"]),
                f"**{r['ratio']:.2f}**",
                _num(r["env_us_per_vector_step"]),
                _num(r["actor_us_per_vector_step"]),
                _num(r["rest_us_per_vector_step"]),
            ]
        )
    header = ["case (family/task:envs)", "raw env-steps/s", "loop env-steps/s", "loop / raw"]
    header += ["env us/step", "actor us/step", "rest us/step"]
    target = payload.get("target_ratio", 0.9)
    note = (
        f"Target: loop / raw >= {target}. The loop runs the real trainer with `train.updates_per_vector_step=0` and "
        f"{payload.get('networks', 'paper-size networks')}; us/step splits one vector step of the loop into the env "
        "step, the actor's forward pass and the rest of the loop (guards, buffer writes, bookkeeping, logging)."
    )
    return [machine_line(payload), "", *_table(header, rows), "", note]


def update_section(payload: dict[str, Any]) -> list[str]:
    """Update throughput: ms and GFLOP/s per update, and the fraction of the roofline it is judged against."""
    rows = []
    for r in payload.get("records", []):
        width = r.get("critic_hidden_dim", 256)
        head = [r["config"], str(width), str(r["batch_size"]), r["precision"], r["compile"]]
        if r.get("status") != "ok":
            rows.append([*head, "failed", "-", "-", "-"])
            continue
        rows.append(
            [
                *head,
                _num(r["ms_per_update_mean"]),
                _num(r["gflop_per_update_counted"]),
                _num(r["achieved_gflops"]),
                f"{r['fraction_of_roofline']:.0%} of {r['roofline_dtype']}",
            ]
        )
    rooflines = payload.get("rooflines", {})
    lines = ", ".join(
        f"{dtype} {roof['gflops']:,.0f} GFLOP/s" + ("" if roof.get("native", True) else " (emulated, no native units)")
        for dtype, roof in rooflines.items()
    )
    header = ["shape", "critic width", "batch", "precision", "compile", "ms/update", "GFLOP/update", "GFLOP/s"]
    header.append("of roofline")
    return [
        machine_line(payload),
        "",
        *_table(header, rows),
        "",
        f"Square-GEMM rooflines measured in the same run: {lines or 'none'}. The actor is half the critic's width.",
    ]


def _iqm_cell(stats: dict[str, Any]) -> str:
    """``IQM [low, high]`` of a framework's final returns; the mean where an older result file has no IQM."""
    value = stats.get("return_iqm")
    if value is None:
        return _num(stats.get("return_mean"))
    ci = value.get("ci")
    return _num(value["iqm"]) + ("" if ci is None else f" [{_num(ci[0])}, {_num(ci[1])}]")


def _reach_cell(entry: dict[str, Any]) -> str:
    reached = entry.get("flashsac_reaches_sb3_final")
    if "flashsac_reaches_sb3_final" not in entry:
        return "-"
    if reached is None:
        return "not within the budget"
    return f"{_num(reached['env_steps'])} steps, {reached['train_wall_s']:.0f} s"


def sb3_section(payload: dict[str, Any]) -> list[str]:
    """Stable-Baselines3 comparison per task: both final returns (IQM [CI]), wall-clock, when flashsac gets there."""
    budgets = payload.get("settings", {}).get("budgets", {})
    rows = []
    for task, entry in (payload.get("results") or {}).items():
        ratios = entry.get("ratios")
        fs, sb = entry.get("flashsac"), entry.get("sb3")
        if ratios is None or fs is None or sb is None:
            rows.append([task, _num(budgets.get(task)), "-", "-", "-", "-", "-", "-"])
            continue
        rows.append(
            [
                task,
                _num(budgets.get(task)),
                _iqm_cell(fs),
                _iqm_cell(sb),
                f"{fs['train_wall_s']:.0f}",
                f"{sb['train_wall_s']:.0f}",
                _reach_cell(entry),
                f"{ratios['env_steps_per_s']:.2f}",
            ]
        )
    if not rows:
        return [machine_line(payload), "", "_The run has not finished: no per-task results yet._"]
    header = ["task", "env steps", "return flashsac", "return SB3", "train s flashsac", "train s SB3"]
    header += ["flashsac reaches SB3's final return", "env-steps/s flashsac / SB3"]
    repeats = payload.get("settings", {}).get("repeats")
    note = (
        f"Returns: IQM over {repeats} run(s) per framework and task of each run's mean deterministic evaluation "
        "return, with its 95% bootstrap CI over runs; train s: mean training wall-clock (evaluations excluded); "
        "reaches: the first in-loop evaluation of flashsac whose IQM over runs is at least SB3's final IQM, and "
        "flashsac's training seconds to it."
        if repeats
        else ""
    )
    return [machine_line(payload), "", *_table(header, rows), *(["", note] if note else [])]


def _paper_cell(point: dict[str, Any] | None) -> str:
    if not point:
        return "-"
    return f"{_num(point.get('mean'))} ± {_num(point.get('std'))} ({point.get('n_seeds', '?')})"


def paper_section(payload: dict[str, Any]) -> list[str]:
    """Paper comparison: per task, our IQM at the last paper step every seed reached, beside the paper's means."""
    rows = []
    methods: list[str] = []
    for report in payload.get("tasks", []):
        for row in report.get("at_paper_steps", []):
            methods += [m for m in row.get("paper", {}) if m not in methods]
    for report in payload.get("tasks", []):
        name = f"{report['family']}/{report['task']}"
        steps = report.get("at_paper_steps") or []
        if not steps:
            final = report.get("final", {})
            rows.append([name, "-", "final", _ours(final), *("-" for _ in methods)])
            continue
        row = steps[-1]
        paper = report.get("paper") or {}
        paper_task = f"{paper.get('suite', '?')}/{paper.get('task', '?')}"
        cells = [_paper_cell(row.get("paper", {}).get(m)) for m in methods]
        rows.append([name, paper_task, _num(row["paper_step"]), _ours(row["ours"]), *cells])
    header = ["task", "paper task", "env step", "ours: IQM [CI] (seeds)", *(f"paper {m}" for m in methods)]
    statistic = payload.get("statistic", "")
    # Our runs' settings decide how comparable they are with the paper's (1 env, 1 update per env step).
    settings = sorted(
        {
            f"`{report['family']}/{report['task']}`: {run['settings']}"
            for report in payload.get("tasks", [])
            for run in report.get("runs", [])
            if run.get("settings")
        }
    )
    return [
        f"Compared {payload.get('created', 'on an unrecorded date')} with `{payload.get('command', 'flashsac plot')}`.",
        "",
        *_table(header, rows),
        *(["", f"Statistic: {statistic}."] if statistic else []),
        *(["", "Our runs' settings: " + "; ".join(settings) + "."] if settings else []),
    ]


def _ours(stats: dict[str, Any]) -> str:
    if not stats or stats.get("iqm") is None:
        return "-"
    ci = stats.get("ci")
    interval = f" [{_num(ci[0])}, {_num(ci[1])}]" if ci else ""
    return f"{_num(stats['iqm'])}{interval} ({stats.get('n_seeds', '?')})"


# (file stem, heading, command that produces it, section builder)
SECTIONS: list[tuple[str, str, str, Callable[[dict[str, Any]], list[str]]]] = [
    ("loop_overhead", "Loop overhead", "flashsac bench loop", loop_section),
    ("update_throughput", "Update throughput against the GEMM roofline", "flashsac bench update", update_section),
    ("sb3_compare", "flashsac against Stable-Baselines3 SAC", "flashsac bench sb3", sb3_section),
    ("paper_compare", "Learning curves against the paper", "flashsac plot <run_dirs> --paper", paper_section),
]


def results_section(results_dir: Path, readme_dir: Path) -> str:
    """The Markdown between the markers: one subsection per result file (or a note that it is missing).

    Raises:
        ReportError: when a result file exists but is not valid JSON.
    """
    out = [
        f"_Generated by `flashsac bench report` from `{results_dir.as_posix()}/`. Each table names the machine and"
        " date of its measurement; rerun the benchmark, then this command, to refresh it._"
    ]
    for stem, heading, command, build in SECTIONS:
        path = results_dir / f"{stem}.json"
        out += ["", f"### {heading}", ""]
        if not path.exists():
            out.append(f"_Not measured yet: run `{command}`, then `flashsac bench report`._")
            continue
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ReportError(f"{path} is not a readable JSON result ({err}); rerun `{command}`.") from None
        out += [f"From `{path.as_posix()}` (`{command}`).", "", *build(payload)]
        out += _figure(path.with_suffix(".png"), readme_dir, heading)
    return "\n".join(out)


def replace_section(text: str, section: str) -> str:
    """``text`` with everything between the two markers replaced by ``section`` (the markers stay).

    Raises:
        ReportError: when the markers are missing, repeated or out of order.
    """
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ReportError(
            f"the README must hold exactly one {START} followed by one {END} (under '## Results'); add them."
        )
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{section}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or, with ``--check``, verify) the README's Results section; 0 on success, 1 if out of date."""
    parser = argparse.ArgumentParser(prog="flashsac bench report", description=DESCRIPTION)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder of the result files")
    parser.add_argument("--readme", type=Path, default=Path("README.md"), help="the README to rewrite")
    parser.add_argument("--check", action="store_true", help="only report whether the section is up to date")
    args = parser.parse_args(argv)
    try:
        if not args.readme.exists():
            raise ReportError(f"--readme {args.readme} does not exist; run from the repository root or pass --readme.")
        text = args.readme.read_text(encoding="utf-8")
        updated = replace_section(text, results_section(args.results, args.readme.resolve().parent))
    except ReportError as err:
        print(f"flashsac: error: {err}", file=sys.stderr)
        return 2
    if args.check:
        fresh = updated == text
        print(f"{args.readme}: Results section is {'up to date' if fresh else 'out of date'}")
        return 0 if fresh else 1
    if updated != text:
        args.readme.write_text(updated, encoding="utf-8")
    found = [stem for stem, *_ in SECTIONS if (args.results / f"{stem}.json").exists()]
    print(f"bench report: rewrote the Results section of {args.readme} from {', '.join(found) or 'no result files'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the update benchmark reports: one line per case, the table, the final summary and the GFLOP/s figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flashsac.tools.bench.common import pyplot, save_figure
from flashsac.tools.bench.update_workload import BENCHMARK


def summary_line(record: dict[str, Any]) -> str:
    """The one-line summary of a case, e.g. ``... 123.4 ms/update, 21.3 GFLOP, 173 GFLOP/s = 84% of ...``."""
    head = (
        f"{BENCHMARK} {record['config']} width={record['critic_hidden_dim']} B={record['batch_size']} "
        f"{record['precision']} compile={record['compile']}"
    )
    if record["status"] != "ok":
        return f"{head}: FAILED ({record['error'][:200]})"
    line = (
        f"{head}: {record['ms_per_update_mean']:.1f} ms/update, {record['gflop_per_update_counted']:.1f} GFLOP, "
        f"{record['achieved_gflops']:.3g} GFLOP/s = {record['fraction_of_roofline']:.0%} of "
        f"{record['roofline_gflops']:.0f} GFLOP/s {record['roofline_dtype']} GEMM roofline"
    )
    extra = f"median {record['ms_per_update_median']:.1f} ms"
    if record["compile"] == "on":
        extra += f", compile {record['compile_s']:.0f} s"
    return f"{line} ({extra})"


def print_table(records: list[dict[str, Any]]) -> None:
    """All cases side by side (rich table)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{BENCHMARK}: ms per FlashSAC update")
    columns = [
        "config",
        "width",
        "B",
        "prec",
        "compile",
        "mean ms",
        "median ms",
        "1st pair s",
        "GFLOP",
        "GFLOP/s",
        "roof",
    ]
    for column in columns:
        table.add_column(column, justify="left" if column in ("config", "prec", "compile") else "right")
    for r in records:
        cells = [r["config"], str(r["critic_hidden_dim"]), str(r["batch_size"]), r["precision"], r["compile"]]
        if r["status"] == "ok":
            cells += [
                f"{r['ms_per_update_mean']:.1f}",
                f"{r['ms_per_update_median']:.1f}",
                f"{r['first_pair_s']:.1f}",
                f"{r['gflop_per_update_counted']:.2f}",
                f"{r['achieved_gflops']:.3g}",
                f"{r['fraction_of_roofline']:.0%} of {r['roofline_gflops']:.0f} {r['roofline_dtype']}",
            ]
        else:
            cells += ["failed", "", "", f"{r['gflop_per_update_counted']:.2f}", "", ""]
        table.add_row(*cells)
    console = Console()
    console.width = max(console.width, 132)  # a pipe defaults to 80 columns, which truncates the cells
    console.print(table)


def plot(result: dict[str, Any], path: Path) -> None:
    """Achieved GFLOP/s of every case against GFLOP per update, with the GEMM roofline of each dtype as a line.

    Colour: critic width; marker: precision; hollow: compiled. The x-axis (work per update) grows with batch and
    width, so the figure shows how close bigger updates get to the line.
    """
    plt = pyplot()

    records = [r for r in result["records"] if r["status"] == "ok"]
    widths = sorted({r["critic_hidden_dim"] for r in records})
    colors = {w: f"C{i % 10}" for i, w in enumerate(widths)}
    markers = {"fp32": "o", "bf16": "s", "fp16": "^"}
    fig, ax = plt.subplots(figsize=(10, 5))
    for r in records:
        color = colors[r["critic_hidden_dim"]]
        hollow = r["compile"] == "on"
        ax.scatter(
            r["gflop_per_update_counted"],
            r["achieved_gflops"],
            marker=markers.get(r["precision"], "x"),
            s=45,
            facecolors="none" if hollow else color,
            edgecolors=color,
        )
    styles = {"fp32": "-", "bf16": "--", "fp16": ":"}
    for dtype, roofline in result["rooflines"].items():
        kind = "" if roofline["native"] else " (emulated)"
        label = f"{dtype} GEMM roofline {roofline['gflops']:.0f} GFLOP/s{kind}"
        ax.axhline(roofline["gflops"], color="gray", linestyle=styles.get(dtype, "-."), label=label)
    for w in widths:
        ax.scatter([], [], color=colors[w], marker="o", label=f"critic width {w} (actor {w // 2})")
    for precision in sorted({r["precision"] for r in records}):
        ax.scatter([], [], color="black", marker=markers.get(precision, "x"), label=precision)
    if any(r["compile"] == "on" for r in records):
        ax.scatter([], [], facecolors="none", edgecolors="black", marker="o", label="compiled (hollow)")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("GFLOP per update (counted; grows with batch size and width)")
    ax.set_ylabel("achieved GFLOP/s")
    machine = result["machine_info"]
    threads = machine["torch_threads"]
    ax.set_title(
        f"{BENCHMARK}: {machine['device_name']}, {threads} thread{'s' if threads != 1 else ''}, {machine['date'][:10]}",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside: the points sit low
    save_figure(fig, path, dpi=110)


def final_summary(records: list[dict[str, Any]]) -> str:
    """One line for the whole run: the best case per precision and its fraction of the roofline."""
    parts = []
    for precision in dict.fromkeys(r["precision"] for r in records):
        ok = [r for r in records if r["precision"] == precision and r["status"] == "ok"]
        if ok:
            best = max(ok, key=lambda r: r["achieved_gflops"])
            parts.append(
                f"{precision} best {best['achieved_gflops']:.3g} GFLOP/s = {best['fraction_of_roofline']:.0%} of "
                f"{best['roofline_dtype']} roofline ({best['config']} width={best['critic_hidden_dim']} "
                f"B={best['batch_size']} compile={best['compile']})"
            )
    return f"{BENCHMARK}: " + ("; ".join(parts) or "nothing measured")

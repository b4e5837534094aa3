"""``flashsac bench``: list the benchmarks, run one by name, or rewrite the README's Results section.

Each benchmark module is imported only when it runs, so a missing optional package (Stable-Baselines3 for
``sb3``, MuJoCo for a case of ``loop``) affects that benchmark alone and is reported with the pip command.
"""

from __future__ import annotations

import importlib
import sys

from flashsac.tools.bench import BENCHMARKS

__all__ = ["bench_usage", "run_bench"]

REPORT = "report"  # not a benchmark: flashsac.tools.bench.report turns their results into README tables

# Top-level module of a missing optional package -> the extra that installs it.
_EXTRAS = {
    "stable_baselines3": "bench",
    "rliable": "bench",
    "scipy": "bench",
    "mujoco": "mujoco",
    "dm_control": "dmc",
}


def bench_usage() -> str:
    """The list of benchmarks with their one-line descriptions (read from the modules without running them)."""
    lines = [
        "usage: flashsac bench <name> [options]   (flashsac bench <name> --help for its options)",
        "",
        "benchmarks:",
    ]
    width = max(len(name) for name in [*BENCHMARKS, REPORT])  # names line up with the longest
    for name, module_name in BENCHMARKS.items():
        lines.append(f"  {name:<{width}} {_description(module_name)}")
    lines.append(f"  {REPORT:<{width}} {_description('flashsac.tools.bench.report')}")
    lines += ["", "Each writes benchmarks/results/<benchmark>.json and .png (--out to change) and prints a summary."]
    return "\n".join(lines)


def _description(module_name: str) -> str:
    """A benchmark's ``DESCRIPTION``, or why it cannot be loaded here (so that the list always prints)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        return f"(unavailable: {_missing_package_message(err)})"
    return str(getattr(module, "DESCRIPTION", ""))


def _missing_package_message(err: ModuleNotFoundError) -> str:
    """One line naming the missing package and the pip command that installs it."""
    package = (err.name or "").split(".")[0]
    if package.startswith("flashsac"):
        return f"{err.name} is not part of this installation of flashsac (reinstall it: pip install -e .)"
    extra = _EXTRAS.get(package, "bench")
    return f"this benchmark needs the package {package!r}: pip install 'flashsac[{extra}]'"


def run_bench(argv: list[str]) -> int:
    """Run ``flashsac bench [name] [options]``; returns the exit code (2 for an unknown name or a missing package)."""
    if not argv or argv[0] in ("-h", "--help"):
        print(bench_usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name == REPORT:
        from flashsac.tools.bench.report import main as report_main

        return report_main(rest)
    if name not in BENCHMARKS:
        valid = ", ".join([*BENCHMARKS, REPORT])
        print(
            f"flashsac: error: unknown benchmark {name!r}; valid choices: {valid} (flashsac bench --help).",
            file=sys.stderr,
        )
        return 2
    try:
        # Imported here, and run inside the same guard: some benchmarks import their optional packages late.
        return int(importlib.import_module(BENCHMARKS[name]).main(rest))
    except ModuleNotFoundError as err:
        print(f"flashsac: error: bench {name}: {_missing_package_message(err)}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # argparse's --help (0) or bad option (2, printed), or a one-line message
        code = exit_.code
        if isinstance(code, str):
            print(f"flashsac: error: bench {name}: {code}", file=sys.stderr)
            return 2
        return 0 if code is None else code

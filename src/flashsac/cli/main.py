"""The ``flashsac`` console entry point: dispatch to subcommands, turn known errors into one-line messages."""

from __future__ import annotations

import sys

from flashsac.checkpointing.checkpoint_file import CheckpointError
from flashsac.checkpointing.tensor_file import TensorFileError
from flashsac.config.validate import ConfigError
from flashsac.envs.bounded import BoundsError
from flashsac.envs.registry import MissingSimulatorError, RenderError, UnknownTaskError
from flashsac.export.errors import ExportError
from flashsac.runtime.distributed import CollectiveError, LaunchError
from flashsac.runtime.finite_guard import NonFiniteError

__all__ = ["main"]

USAGE = """usage: flashsac <command> [args]

commands:
  train [key=value ...]   train FlashSAC (flashsac train --help for the keys and examples)
  eval <checkpoint>       evaluate a checkpoint: N episodes, a table on screen, JSON in the run directory
  play <checkpoint>       record a checkpoint's policy as an mp4 (offscreen, no display needed)
  export <checkpoint|run_dir> [--format onnx,torchscript] [--out DIR]
                          export the policy (ONNX, TorchScript) and its deployment manifest, parity-checked;
                          eval and play also take the exported policy.onnx / policy.pt
  doctor [key=value ...]  diagnose an env's action bounds, scales and episode ends (flashsac doctor --help)
  bench <name> [...]      run a benchmark (flashsac bench --help lists them); writes JSON + PNG
  plot <run_dir>... [--paper <task>]
                          plot evaluation curves over seeds, optionally against the paper's curves
"""


def main(argv: list[str] | None = None) -> int:
    """Run the ``flashsac`` command line; returns the exit code (2 for a configuration problem)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    try:
        if command == "train":
            from flashsac.cli.train import TRAIN_HELP, run_train

            if "-h" in rest or "--help" in rest:
                print(TRAIN_HELP)
                return 0
            dry_run = "--dry-run" in rest
            return run_train([a for a in rest if a != "--dry-run"], dry_run=dry_run)
        if command in ("eval", "play"):
            from flashsac.cli import evaluate  # imported late: it pulls in torch and the agent

            if "-h" in rest or "--help" in rest:
                print(evaluate.EVAL_HELP if command == "eval" else evaluate.PLAY_HELP)
                return 0
            return evaluate.run_eval(rest) if command == "eval" else evaluate.run_play(rest)
        if command == "export":
            from flashsac.cli.export import EXPORT_HELP, run_export  # imported late: torch, the agent, onnx

            if "-h" in rest or "--help" in rest:
                print(EXPORT_HELP)
                return 0
            return run_export(rest)
        if command == "doctor":
            from flashsac.cli.doctor import DOCTOR_HELP, run_doctor

            if "-h" in rest or "--help" in rest:
                print(DOCTOR_HELP)
                return 0
            return run_doctor(rest)
        if command == "bench":
            from flashsac.cli.bench import run_bench  # imported late: benchmarks pull in torch and simulators

            return run_bench(rest)
        if command == "plot":
            from flashsac.cli.plot import run_plot

            return run_plot(rest)
        print(f"flashsac: unknown command {command!r}.\n{USAGE}", file=sys.stderr)
        return 2
    except (
        ConfigError,  # includes the usage errors of eval/play
        UnknownTaskError,
        MissingSimulatorError,
        CheckpointError,
        TensorFileError,
        RenderError,
        BoundsError,
        LaunchError,
        ExportError,
    ) as err:
        print(f"flashsac: error: {err}", file=sys.stderr)
        return 2
    except NonFiniteError as err:
        print(f"flashsac: error: {err}", file=sys.stderr)
        return 3
    except CollectiveError as err:  # another rank died or hung: this one stops too
        print(f"flashsac: error: {err}", file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())

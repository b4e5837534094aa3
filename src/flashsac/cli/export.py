"""``flashsac export``: a checkpoint (or a run directory's latest) to ONNX / TorchScript plus ``manifest.json``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from flashsac.cli.evaluate import UsageError

__all__ = ["EXPORT_HELP", "run_export"]


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting, so errors become one line like every other."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError` with ``message`` (argparse would print usage and exit)."""
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser() -> _Parser:
    parser = _Parser(
        prog="flashsac export",
        description="Export a checkpoint's deterministic policy (observation -> action in environment units, batch "
        "norm folded, tanh and the action box inside the graph, dynamic batch; input 'obs', output 'action') with "
        "a manifest of the robot contract, after checking each file against the torch policy on rollout and "
        "extreme observations. Nothing is written unless every check passes. See docs/deploy.md.",
    )
    parser.add_argument("source", type=Path, help="a checkpoint file, or a run directory (its final or newest one)")
    parser.add_argument(
        "--format", default="onnx,torchscript", help="comma-separated: onnx, torchscript (default: both)"
    )
    parser.add_argument("--out", type=Path, help="output folder (default: <run dir>/export)")
    parser.add_argument("--device", default="cpu", help="device of the simulator during the parity rollouts")
    parser.add_argument("--parity-obs", type=int, default=None, help="rollout observations compared (default: 10000)")
    return parser


EXPORT_HELP = _parser().format_help()


def run_export(argv: list[str]) -> int:
    """Entry point of ``flashsac export``; returns the process exit code.

    Raises:
        UsageError: for invalid arguments.
        ExportError: unsupported format, non-finite parameters, missing onnx packages, failed parity.
        CheckpointError: for a missing, unsafe or foreign checkpoint.
        MissingSimulatorError: when the checkpoint's simulator is not installed.
    """
    args = _parser().parse_args(argv)
    from flashsac.export.formats import parse_formats  # imported late: the agent and the simulators
    from flashsac.export.pipeline import PARITY_OBSERVATIONS, export_checkpoint
    from flashsac.runtime.device import resolve_device

    formats = parse_formats(args.format)
    if args.parity_obs is not None and args.parity_obs < 1:
        raise UsageError(f"--parity-obs must be >= 1, got {args.parity_obs}.")
    try:
        device = resolve_device(args.device, "--device")
    except ValueError as err:
        raise UsageError(str(err)) from err
    result = export_checkpoint(args.source, args.out, formats, device, args.parity_obs or PARITY_OBSERVATIONS)
    manifest = result.manifest
    print(f"exported {manifest['env']['family']}/{manifest['env']['task']} from {args.source}")
    for name, path in result.files.items():
        print(f"  {name:<12} {path}")
    print(f"  {'manifest':<12} {result.manifest_path}")
    parity = manifest["parity"]
    observations = parity["rollout_observations"] + parity["extreme_observations"]
    for check in result.parity:
        print(
            f"  parity {check.format}: max abs diff {check.max_abs_diff:.3g} "
            f"({check.max_diff_over_width:.3g} of the box width, allowed {parity['tolerance_of_box_width']:g}) "
            f"on {observations} observations"
        )
    return 0

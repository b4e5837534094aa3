"""Load an exported policy file (ONNX or TorchScript) so that ``flashsac eval``/``play`` can run it in the simulator.

The manifest embedded in the file says which task, time limit and action box the policy was trained with, so an
exported file stands alone, as a checkpoint does. Which kind a path is, is decided without running anything: a
``.onnx`` suffix, or a zip archive holding ``<name>/extra/manifest.json`` (a flashsac TorchScript file; a
checkpoint is a zip archive without it). Running a TorchScript file executes its TorchScript graph, so run only
files you exported; ONNX files are data that onnxruntime interprets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from flashsac.config.schema import RunConfig
from flashsac.config.serialize import config_from_dict
from flashsac.envs.protocol import EnvSpec, spec_from_dict
from flashsac.export.errors import ExportError
from flashsac.export.formats import (
    MANIFEST_KEY,
    Runner,
    onnx_runner,
    torchscript_manifest,
    torchscript_runner,
)
from flashsac.export.manifest import MANIFEST_FORMAT, MANIFEST_VERSION

__all__ = ["ExportedPolicy", "exported_format", "load_exported"]


@dataclass
class ExportedPolicy:
    """An exported policy file ready to act, with the configuration and env spec its manifest records.

    Attributes:
        format: ``"onnx"`` or ``"torchscript"``.
        manifest: The embedded manifest.
        cfg: The training run's configuration (task, time limit, action box, evaluation seed).
        spec: The env spec the policy was trained with.
        env_steps: Env steps of the checkpoint it was exported from.
        runner: Maps observations to actions in environment units.
    """

    format: str
    manifest: dict[str, Any]
    cfg: RunConfig
    spec: EnvSpec
    env_steps: int
    runner: Runner

    def act(self, obs: torch.Tensor) -> torch.Tensor:
        """Deterministic actions ``(N, action_dim)`` in environment units for ``obs (N, obs_dim)``."""
        return self.runner(obs)


def exported_format(path: Path) -> str | None:
    """``"onnx"``, ``"torchscript"`` (a zip archive with a flashsac manifest) or ``None`` (e.g. a checkpoint)."""
    if path.suffix.lower() == ".onnx":
        return "onnx"
    try:
        return "torchscript" if path.is_file() and torchscript_manifest(path) is not None else None
    except ExportError:
        return "torchscript"  # a flashsac archive whose manifest is broken: load_exported says so


def _check_manifest(manifest: Any, path: Path) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ExportError(
            f"{path} is not a flashsac policy export (no flashsac manifest inside); export one with "
            "flashsac export <checkpoint>."
        )
    version = manifest.get("format_version")
    if version != MANIFEST_VERSION:
        raise ExportError(
            f"{path} has manifest format_version {version}; this flashsac reads version {MANIFEST_VERSION}: "
            "export the checkpoint again with this flashsac."
        )
    return manifest


def load_exported(path: Path, device: torch.device | str = "cpu") -> ExportedPolicy:
    """Load the exported policy at ``path``; ONNX runs on onnxruntime's CPU provider, TorchScript on ``device``.

    Raises:
        ExportError: the file is missing, corrupt, not a flashsac export, or from another manifest version.
    """
    device = torch.device(device)
    if not path.is_file():
        raise ExportError(f"exported policy {path} does not exist.")
    kind = exported_format(path)
    if kind == "onnx":
        runner, metadata = onnx_runner(path)
        try:
            manifest: Any = json.loads(metadata[MANIFEST_KEY]) if MANIFEST_KEY in metadata else None
        except json.JSONDecodeError as err:
            raise ExportError(f"{path}: its embedded manifest is not valid JSON ({err}); export it again.") from err
        manifest = _check_manifest(manifest, path)
    elif kind == "torchscript":
        manifest = _check_manifest(torchscript_manifest(path), path)
        runner = torchscript_runner(path, device)
    else:
        raise ExportError(f"{path} is neither an ONNX file nor a flashsac TorchScript export.")
    try:
        training = manifest["training"]
        cfg = config_from_dict(training["config"])
        spec = spec_from_dict(training["env_spec"], device=device)
        env_steps = int(manifest["checkpoint"]["env_steps"])
    except (KeyError, TypeError, ValueError) as err:
        raise ExportError(
            f"{path}: its manifest lacks the training config or env spec ({type(err).__name__}: {err}); export "
            "the checkpoint again."
        ) from err
    return ExportedPolicy(kind, manifest, cfg, spec, env_steps, runner)

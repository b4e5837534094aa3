"""The two file formats of an exported policy: ONNX and TorchScript, each carrying its manifest, and their runners.

Exporter (torch 2.13): ONNX files come from the **dynamo-based** exporter, ``torch.onnx.export(..., dynamo=True)``
(built on ``torch.export``). The legacy TorchScript-based exporter is deprecated since torch 2.9 and warns on every
call; the dynamo exporter is the maintained path, takes named dynamic dimensions, and yields a plain graph
(``Gemm``/``Relu``/``Tanh``/...) for the batch-norm-free :class:`flashsac.export.graph.DeployPolicy`. It needs the
``onnx`` and ``onnxscript`` packages (``pip install 'flashsac[export]'``). TorchScript files come from
``torch.jit.script``, which needs torch alone.

Two warnings that torch 2.13 itself raises on these paths are silenced by their exact text, so an export prints
nothing: ``torch.export`` deep-copies its own deprecated ``LeafSpec`` while decomposing (a ``FutureWarning`` about
torch internals, not about the model), and ``torch.jit.script``/``save``/``load`` announce TorchScript's deprecation
(TorchScript stays because deploy stacks such as libtorch C++ controllers load it). Every other warning passes
through. The exporter's log line about torchvision operators is muted while it runs.

The manifest travels inside each file: as the ONNX metadata entry ``flashsac_manifest`` and as the TorchScript
extra file ``manifest.json``. Both can be read without running the policy.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from flashsac.export.errors import ExportError
from flashsac.export.graph import DeployPolicy

__all__ = [
    "FILE_NAMES",
    "FORMATS",
    "INPUT_NAME",
    "MANIFEST_KEY",
    "OUTPUT_NAME",
    "Runner",
    "onnx_bytes",
    "onnx_model",
    "onnx_runner",
    "parse_formats",
    "require_module",
    "torchscript_bytes",
    "torchscript_manifest",
    "torchscript_module",
    "torchscript_runner",
]

FORMATS = ("onnx", "torchscript")
FILE_NAMES = {"onnx": "policy.onnx", "torchscript": "policy.pt"}
INPUT_NAME, OUTPUT_NAME = "obs", "action"
MANIFEST_KEY = "flashsac_manifest"
_TORCHSCRIPT_EXTRA = "manifest.json"
_FIX = "pip install 'flashsac[export]'"
_EXAMPLE_BATCH = 4  # any size > 1: torch.export specialises sizes 0 and 1, the batch dimension stays symbolic

Runner = Callable[[torch.Tensor], torch.Tensor]
"""Maps ``obs (B, obs_dim)`` to ``action (B, action_dim)`` float32, on the observation's device."""


def parse_formats(text: str) -> tuple[str, ...]:
    """``"onnx,torchscript"`` -> ``("onnx", "torchscript")`` in the order given, duplicates dropped.

    Raises:
        ExportError: an entry is not one of :data:`FORMATS`.
    """
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise ExportError(
            f"--format {text!r}: unsupported format {', '.join(unknown) or '(none)'}; choose from {','.join(FORMATS)}."
        )
    return tuple(dict.fromkeys(names))


def require_module(name: str) -> ModuleType:
    """Import an optional export dependency (``onnx``, ``onnxscript``, ``onnxruntime``) or say how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ExportError(f"ONNX export and ONNX policies need the {name} package, not installed: {_FIX}.") from err


@contextmanager
def _quiet_torch_exporters() -> Iterator[None]:
    """Silence exactly the torch-internal messages the module docstring names; every other warning still shows."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated", category=FutureWarning
            )
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated", category=DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------------------------------------------- ONNX


def onnx_model(policy: DeployPolicy, obs_dim: int) -> Any:
    """The policy as an ONNX ``ModelProto``: input ``obs (batch, obs_dim)``, output ``action (batch, action_dim)``.

    Raises:
        ExportError: the onnx/onnxscript packages are missing, or the exporter failed.
    """
    for name in ("onnx", "onnxscript"):
        require_module(name)
    example = torch.zeros(_EXAMPLE_BATCH, obs_dim)
    try:
        with _quiet_torch_exporters(), torch.no_grad():
            program = torch.onnx.export(
                policy,
                (example,),
                dynamo=True,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes={"obs": {0: torch.export.Dim("batch")}},
                optimize=True,
                verbose=False,
            )
    except Exception as err:  # the exporter raises many types; all mean the same thing to the user
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"the ONNX exporter failed: {first}") from err
    if program is None:  # only with an output path, which is not given here
        raise ExportError("the ONNX exporter returned no program.")
    return program.model_proto


def onnx_bytes(model: Any, manifest: dict[str, Any]) -> bytes:
    """Serialise ``model`` with ``manifest`` (JSON) as its ``flashsac_manifest`` metadata entry."""
    onnx = require_module("onnx")
    stamped = onnx.ModelProto()
    stamped.CopyFrom(model)
    kept = [entry for entry in stamped.metadata_props if entry.key != MANIFEST_KEY]
    del stamped.metadata_props[:]
    stamped.metadata_props.extend(kept)
    stamped.metadata_props.append(onnx.StringStringEntryProto(key=MANIFEST_KEY, value=json.dumps(manifest)))
    onnx.checker.check_model(stamped)
    return stamped.SerializeToString()


def _session(data: bytes | Path) -> Any:
    ort = require_module("onnxruntime")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: a policy file's load is not worth a console line
    try:
        source = str(data) if isinstance(data, Path) else data
        return ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types for corrupt and invalid graphs
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        where = data if isinstance(data, Path) else "the graph"
        raise ExportError(f"onnxruntime cannot load {where}: {first}") from err


def onnx_runner(data: bytes | Path) -> tuple[Runner, dict[str, str]]:
    """An onnxruntime (CPU) runner of an ONNX policy, and the file's custom metadata."""
    session = _session(data)
    metadata = dict(session.get_modelmeta().custom_metadata_map)

    def run(obs: torch.Tensor) -> torch.Tensor:
        batch = np.ascontiguousarray(obs.detach().to("cpu", torch.float32).numpy())
        action = session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0]
        return torch.from_numpy(np.asarray(action, dtype=np.float32)).to(obs.device)

    return run, metadata


# ---------------------------------------------------------------------------------------------------- TorchScript


def torchscript_module(policy: DeployPolicy) -> torch.jit.ScriptModule:
    """The policy compiled with ``torch.jit.script`` (shape-generic: any batch size)."""
    try:
        with _quiet_torch_exporters():
            return torch.jit.script(policy)
    except Exception as err:  # TorchScript compilation errors come in several types
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"TorchScript compilation failed: {first}") from err


def torchscript_bytes(module: torch.jit.ScriptModule, manifest: dict[str, Any]) -> bytes:
    """Serialise ``module`` with ``manifest`` as its ``manifest.json`` extra file."""
    buffer = io.BytesIO()
    with _quiet_torch_exporters():
        torch.jit.save(module, buffer, _extra_files={_TORCHSCRIPT_EXTRA: json.dumps(manifest)})
    return buffer.getvalue()


def torchscript_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest inside a TorchScript archive, read as a zip entry (nothing loaded or run); ``None`` if absent.

    Raises:
        ExportError: the manifest entry is not valid JSON.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.endswith(f"/extra/{_TORCHSCRIPT_EXTRA}")]
            if not names:
                return None
            text = archive.read(names[0]).decode("utf-8")
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ExportError(f"{path}: its manifest.json is not valid JSON ({err}); export the policy again.") from err


def torchscript_runner(data: bytes | Path, device: torch.device) -> Runner:
    """A runner of a TorchScript policy on ``device``."""
    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
        with _quiet_torch_exporters():
            module = torch.jit.load(source, map_location=device)
    except (RuntimeError, ValueError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"torch cannot load the TorchScript policy: {first}") from err
    module.eval()

    def run(obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return module(obs.to(device, torch.float32))

    return run

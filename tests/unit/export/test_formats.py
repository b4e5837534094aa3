"""The file formats: format names, dynamic batch, named tensors, embedded manifests, the missing-extra message."""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

import pytest
import torch

from flashsac.agents.flashsac.networks import ActionScaler, Actor
from flashsac.export import formats
from flashsac.export.errors import ExportError
from flashsac.export.exported import exported_format
from flashsac.export.graph import build_deploy_policy

OBS_DIM = 5
pytest.importorskip("onnxruntime", reason="needs the export extra: pip install -e '.[export]'")


@pytest.fixture(scope="module")
def policy() -> torch.nn.Module:
    torch.manual_seed(0)
    actor = Actor(OBS_DIM, 2, hidden_dim=8, num_blocks=1, log_std_min=-5.0, log_std_max=0.0, init_std=0.1)
    return build_deploy_policy(actor, ActionScaler(torch.tensor([-1.0, 0.0]), torch.tensor([1.0, 3.0])))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("onnx", ("onnx",)), ("torchscript,onnx", ("torchscript", "onnx")), (" ONNX , onnx ", ("onnx",))],
)
def test_formats_parse_in_order(text: str, parsed: tuple[str, ...]) -> None:
    assert formats.parse_formats(text) == parsed


@pytest.mark.parametrize("text", ["tflite", "onnx,engine", ",", ""])
def test_unsupported_formats_are_refused_with_the_choices(text: str) -> None:
    with pytest.raises(ExportError, match="choose from onnx,torchscript"):
        formats.parse_formats(text)


def test_both_formats_take_any_batch_size_and_carry_the_manifest(policy: torch.nn.Module, tmp_path: Path) -> None:
    manifest = {"format": "flashsac-policy", "note": "hello"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = formats.onnx_model(policy, OBS_DIM)  # pyright: ignore[reportArgumentType]
        script = formats.torchscript_module(policy)  # pyright: ignore[reportArgumentType]
    onnx_file, script_file = tmp_path / "policy.onnx", tmp_path / "policy.pt"
    onnx_file.write_bytes(formats.onnx_bytes(model, manifest))
    script_file.write_bytes(formats.torchscript_bytes(script, manifest))
    run_onnx, metadata = formats.onnx_runner(onnx_file)
    run_script = formats.torchscript_runner(script_file, torch.device("cpu"))
    assert json.loads(metadata[formats.MANIFEST_KEY]) == manifest
    assert formats.torchscript_manifest(script_file) == manifest
    for batch in (1, 7, 300):
        obs = torch.randn(batch, OBS_DIM)
        with torch.no_grad():
            expected = policy(obs)
        torch.testing.assert_close(run_onnx(obs), expected, rtol=0, atol=1e-6)
        torch.testing.assert_close(run_script(obs), expected, rtol=0, atol=1e-6)
    assert exported_format(onnx_file) == "onnx" and exported_format(script_file) == "torchscript"


def test_a_checkpoint_is_not_taken_for_a_torchscript_export(tmp_path: Path) -> None:
    path = tmp_path / "final.pt"
    torch.save({"agent": {"w": torch.zeros(2)}}, path)  # a zip archive too, without extra/manifest.json
    assert formats.torchscript_manifest(path) is None and exported_format(path) is None


def test_a_missing_onnx_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, *args: object) -> object:
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real(name, *args)  # pyright: ignore[reportArgumentType]

    monkeypatch.setattr(formats.importlib, "import_module", fake)
    with pytest.raises(ExportError, match=r"onnxruntime package, not installed: pip install 'flashsac\[export\]'"):
        formats.require_module("onnxruntime")

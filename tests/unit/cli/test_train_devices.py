"""``flashsac train`` with a device this machine does not have: one line naming the key and the fix, exit 2, no files.

CUDA is faked where a test needs it (a machine with one GPU), so the tests run alike on machines with and without
GPUs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from flashsac.cli.main import main
from flashsac.config.validate import ConfigError
from flashsac.runtime.device import resolve_device


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory, so that any stray output would be noticed."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def one_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine has exactly one CUDA device (``cuda:0``)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine has no CUDA device."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


def _train_error(override: str, root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``flashsac train override`` with its runs under ``root``; it must fail cleanly and write nothing."""
    run_dir = root / "runs" / "explicit"
    code = main(["train", override, f"logging.root_dir={root / 'runs'}", f"logging.run_dir={run_dir}"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("flashsac: error:")
    assert sorted(p.name for p in root.rglob("*")) == []  # no run directory, no config.yaml
    return lines[0]


@pytest.mark.parametrize("key", ["device", "env.device", "buffer.device"])
def test_a_gpu_index_this_machine_lacks(key: str, one_gpu: None, workdir: Path, capsys) -> None:
    line = _train_error(f"{key}=cuda:7", workdir, capsys)
    assert f"{key}='cuda:7' but this machine has 1 CUDA device(s) (cuda:0)" in line
    assert f"use {key}=cuda:0, {key}=auto or {key}=cpu" in line


@pytest.mark.parametrize("key", ["device", "env.device", "buffer.device"])
def test_cuda_on_a_machine_without_cuda(key: str, no_gpu: None, workdir: Path, capsys) -> None:
    line = _train_error(f"{key}=cuda", workdir, capsys)
    assert f"{key}='cuda' but no CUDA device is available here; use {key}=cpu or {key}=auto." in line


@pytest.mark.parametrize("key", ["device", "env.device", "buffer.device"])
def test_a_name_that_is_no_device(key: str, workdir: Path, capsys) -> None:
    line = _train_error(f"{key}=bogus", workdir, capsys)
    assert f"{key}='bogus' is invalid: expected auto, cpu, cuda or cuda:N" in line


def test_auto_is_always_available(no_gpu: None) -> None:
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu", "env.device") == torch.device("cpu")


def test_resolve_device_names_the_flag_it_checks(one_gpu: None) -> None:
    assert resolve_device("cuda:0", "--device") == torch.device("cuda:0")
    with pytest.raises(ConfigError, match=r"--device='cuda:1' but this machine has 1 CUDA device"):
        resolve_device("cuda:1", "--device")
    with pytest.raises(ConfigError, match=r"--device='tpu' is not a device; use --device=auto, cpu, cuda or cuda:N"):
        resolve_device("tpu", "--device")

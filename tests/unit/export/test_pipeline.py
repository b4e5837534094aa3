"""The export pipeline's edges: which checkpoint a run directory means, where files go, adapter facts checked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from flashsac.checkpointing.checkpoint_file import CheckpointError
from flashsac.envs.deploy_info import ObsTerm, PDGains
from flashsac.export.errors import ExportError
from flashsac.export.pipeline import _deploy_info, default_export_dir, resolve_checkpoint


def test_a_run_directory_means_its_final_else_its_newest_checkpoint(tmp_path: Path) -> None:
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    with pytest.raises(CheckpointError, match="holds no checkpoints"):
        resolve_checkpoint(tmp_path)
    for steps in (40, 120, 80):
        (checkpoints / f"step_{steps}.pt").write_bytes(b"")
    assert resolve_checkpoint(tmp_path) == checkpoints / "step_120.pt"
    (checkpoints / "final.pt").write_bytes(b"")
    assert resolve_checkpoint(tmp_path) == checkpoints / "final.pt"
    assert resolve_checkpoint(checkpoints / "step_40.pt") == checkpoints / "step_40.pt"
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_checkpoint(tmp_path / "nowhere.pt")


def test_exports_go_to_the_run_directory(tmp_path: Path) -> None:
    assert default_export_dir(tmp_path / "run" / "checkpoints" / "final.pt") == (tmp_path / "run" / "export").resolve()
    assert default_export_dir(tmp_path / "loose.pt") == (tmp_path / "export").resolve()


@dataclasses.dataclass
class _Spec:
    task: str = "fake"
    obs_dim: int = 4


class _Described:
    """Offers DeployableEnv with whatever it is given."""

    def __init__(self, layout: tuple, gains: object = None) -> None:
        self.spec, self._layout, self._gains = _Spec(), layout, gains

    def reset(self, seed: int | None = None) -> None: ...

    def step(self, action: torch.Tensor) -> None: ...

    def close(self) -> None: ...

    def observation_layout(self) -> tuple:
        return self._layout

    def pd_gains(self) -> object:
        return self._gains


def test_adapter_facts_are_checked() -> None:
    gains = PDGains(torch.ones(2), torch.zeros(2))
    layout = (ObsTerm("a", 1), ObsTerm("b", 3, 0.5))
    assert _deploy_info(_Described(layout, gains)) == (layout, gains)  # pyright: ignore[reportArgumentType]
    assert _deploy_info(object()) == ((), None)  # pyright: ignore[reportArgumentType]
    with pytest.raises(ExportError, match="sizes sum to 3, but obs_dim is 4"):
        _deploy_info(_Described((ObsTerm("a", 1), ObsTerm("b", 2))))  # pyright: ignore[reportArgumentType]
    with pytest.raises(ExportError, match="PDGains or None"):
        _deploy_info(_Described(layout, gains=(1.0, 2.0)))  # pyright: ignore[reportArgumentType]

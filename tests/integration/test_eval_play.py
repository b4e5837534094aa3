"""``flashsac eval`` and ``flashsac play`` on a checkpoint trained a few hundred steps through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import imageio.v2 as imageio
import pytest
import torch

from flashsac.cli.main import main
from tiny_run import tiny_overrides

# The shared tiny run with a 96-step budget: eval and play need a checkpoint, not a
# trained policy, and 8 updates keep the fixture to a few seconds.
TINY = tiny_overrides(
    {
        "buffer.capacity": 2000,
        "train.num_env_steps": 96,
        "train.eval_every_env_steps": 96,
        "train.log_every_env_steps": 48,
        "env.max_episode_steps": 50,
    }
)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("eval_play") / "run"
    assert main(["train", *TINY, f"logging.run_dir={run_dir}"]) == 0
    path = run_dir / "checkpoints" / "final.pt"
    assert path.is_file()
    return path


def test_eval_prints_a_table_and_writes_json_in_the_run_directory(
    checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["eval", str(checkpoint), "--episodes", "4"]) == 0
    out = capsys.readouterr().out
    assert "return (mean ± std)" in out and "torch/pendulum-swingup" in out
    report = json.loads((checkpoint.parent.parent / "eval_final.json").read_text())
    assert report["episodes"] == 4 and len(report["returns"]) == 4 and len(report["lengths"]) == 4
    assert report["lengths"] == [50] * 4  # the run's own time limit travels in the checkpoint
    assert report["summary"]["mean_return"] == pytest.approx(sum(report["returns"]) / 4)
    assert report["checkpoint_env_steps"] == 96


def test_eval_with_an_uneven_episode_count_keeps_exactly_that_many(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    assert main(["eval", str(checkpoint), "--episodes", "3", "--num-envs", "2", "--seed", "7", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert len(report["returns"]) == 3 and report["seed"] == 7


def test_play_writes_an_mp4_of_the_episode(checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["play", str(checkpoint)]) == 0
    out = capsys.readouterr().out
    path = checkpoint.parent.parent / "videos" / "play_final.mp4"
    assert str(path) in out and "return" in out and "length 50" in out
    reader = imageio.get_reader(str(path), format="FFMPEG")  # pyright: ignore[reportArgumentType]
    try:
        assert reader.count_frames() > 10  # pyright: ignore[reportAttributeAccessIssue]
    finally:
        reader.close()


class _Payload:
    """Would create a file if unpickling ran it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("command", ["eval", "play"])
@pytest.mark.parametrize("kind", ["missing", "garbage", "unsafe"])
def test_bad_checkpoints_are_one_line_errors_with_exit_code_2(
    command: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, marker = tmp_path / "model.pt", tmp_path / "executed"
    if kind == "garbage":
        path.write_bytes(b"definitely not a checkpoint\n\x00\x01")
    elif kind == "unsafe":
        torch.save({"agent": _Payload(marker)}, path)
    assert main([command, str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flashsac: error:"), captured.err
    assert str(path) in lines[0]
    assert not marker.exists(), "loading a checkpoint executed code from it"


def test_bad_arguments_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval"]) == 2
    assert main(["play", "x.pt", "--fps", "0"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("flashsac: error:") for line in lines)
    assert main(["eval", "--help"]) == 0
    assert "--episodes" in capsys.readouterr().out

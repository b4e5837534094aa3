"""``flashsac train`` at the edge: bad overrides fail fast with one line naming the key, and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flashsac.cli.main import main


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory, so that stray outputs (e.g. Hydra's ``outputs/``) would be noticed."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _assert_nothing_written(root: Path) -> None:
    assert sorted(p.name for p in root.rglob("*")) == []


def _run_error(override: str, root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["train", override, f"logging.root_dir={root / 'runs'}"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("flashsac: error:")
    _assert_nothing_written(root)
    return lines[0]


def test_misspelled_key_names_it_and_suggests_the_right_one(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _run_error("agent.gama=0.9", workdir, capsys)
    assert "agent.gama" in line
    assert "Did you mean agent.gamma?" in line


def test_unknown_top_level_key(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _run_error("sed=3", workdir, capsys)
    assert "'sed'" in line and "seed" in line


def test_unknown_env_group_lists_the_choices(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _run_error("env=dmcc", workdir, capsys)
    assert "dmcc" in line
    for choice in ("dmc", "mujoco", "torch"):
        assert choice in line


def test_unknown_task_lists_the_valid_tasks(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _run_error("env.task=nope", workdir, capsys)
    assert "env.task='nope'" in line
    assert "pendulum-swingup" in line and "cartpole-balance" in line


def test_wrongly_typed_value_names_the_key(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _run_error("train.batch_size=abc", workdir, capsys)
    assert "train.batch_size" in line
    assert "abc" in line


def test_out_of_range_value_names_the_key_and_the_range(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _run_error("agent.gamma=1.5", workdir, capsys)
    assert "agent.gamma=1.5" in line
    assert "(0, 1]" in line


def test_override_without_equals_sign(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _run_error("agent.gamma", workdir, capsys)
    assert "agent.gamma" in line and "key=value" in line


def test_train_help_exits_zero(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--help"]) == 0
    out, err = capsys.readouterr()
    assert "usage: flashsac train" in out
    assert err == ""
    _assert_nothing_written(workdir)


def test_top_level_help_and_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert main([]) == 2


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trian"]) == 2
    assert "trian" in capsys.readouterr().err


def test_dry_run_prints_the_resolved_yaml_and_writes_nothing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--dry-run", "seed=7", f"logging.root_dir={workdir / 'runs'}"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "pendulum-swingup" in out
    resolved = yaml.safe_load(out)
    assert resolved["env"]["task"] == "pendulum-swingup"
    assert resolved["seed"] == 7
    assert resolved["agent"]["gamma"] == 0.99
    _assert_nothing_written(workdir)

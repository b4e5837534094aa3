"""Scalar logging backends: CSV, JSONL, TensorBoard and W&B (offline), behind one ScalarLogger."""

from __future__ import annotations

import csv
import importlib.util
import json
import struct
import sys
import time
from pathlib import Path

import pytest

from flashsac.config.schema import LoggingConfig
from flashsac.config.validate import ConfigError
from flashsac.logging import MissingLoggingBackendError, ScalarLogger

HAS_WANDB = importlib.util.find_spec("wandb") is not None
needs_wandb = pytest.mark.skipif(not HAS_WANDB, reason="wandb is not installed (pip install 'flashsac[wandb]')")


def _cfg(**overrides: object) -> LoggingConfig:
    """Every backend off except those turned on by ``overrides``."""
    fields: dict[str, object] = {"tensorboard": False, "csv": False, "jsonl": False, "wandb": False}
    return LoggingConfig(**(fields | overrides))  # type: ignore[arg-type]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _read_jsonl(path: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---------------------------------------------------------------------------------------------------- CSV / JSONL


def test_csv_long_format_and_append_on_reopen(tmp_path: Path) -> None:
    logger = ScalarLogger(tmp_path, _cfg(csv=True))
    logger.log(100, {"train/loss": 1.5, "eval/avg_return": -300.0})
    logger.close()
    logger = ScalarLogger(tmp_path, _cfg(csv=True))  # a resumed run reopens the same directory
    logger.log(200, {"train/loss": 0.25})
    logger.close()

    lines = (tmp_path / "scalars.csv").read_text().splitlines()
    assert lines[0] == "env_steps,key,value,wall_time"
    assert sum(line.startswith("env_steps") for line in lines) == 1  # no second header after the reopen
    rows = _read_csv(tmp_path / "scalars.csv")
    assert [(r["env_steps"], r["key"], float(r["value"])) for r in rows] == [
        ("100", "train/loss", 1.5),
        ("100", "eval/avg_return", -300.0),
        ("200", "train/loss", 0.25),
    ]
    assert all(float(r["wall_time"]) >= 0 for r in rows)


def test_jsonl_one_object_per_call_and_append_on_reopen(tmp_path: Path) -> None:
    logger = ScalarLogger(tmp_path, _cfg(jsonl=True))
    logger.log(100, {"train/loss": 1.5, "eval/avg_return": -300.0})
    logger.log(200, {"train/loss": 0.25})
    logger.close()
    logger = ScalarLogger(tmp_path, _cfg(jsonl=True))
    logger.log(300, {"train/loss": 0.125, "train/nan": float("nan")})
    logger.close()

    records = _read_jsonl(tmp_path / "scalars.jsonl")
    assert len(records) == 3
    assert [r["env_steps"] for r in records] == [100, 200, 300]
    wall = records[0]["wall_time"]
    assert records[0] == {"env_steps": 100, "wall_time": wall, "train/loss": 1.5, "eval/avg_return": -300.0}
    assert list(records[0])[:2] == ["env_steps", "wall_time"]
    assert records[2]["train/loss"] == 0.125
    assert records[2]["train/nan"] is None  # strict JSON: NaN is written as null
    assert all(isinstance(r["wall_time"], float) and r["wall_time"] >= 0 for r in records)


def test_disabled_backends_write_nothing(tmp_path: Path) -> None:
    logger = ScalarLogger(tmp_path, _cfg())
    logger.log(1, {"a": 1.0})
    assert logger.tensorboard_writer is None
    logger.close()
    assert list(tmp_path.iterdir()) == []


def test_close_is_idempotent_and_later_logs_are_ignored(tmp_path: Path) -> None:
    logger = ScalarLogger(tmp_path, _cfg(csv=True, jsonl=True, tensorboard=True))
    logger.log(1, {"a": 1.0})
    logger.close()
    logger.close()
    logger.log(2, {"a": 2.0})
    assert len(_read_jsonl(tmp_path / "scalars.jsonl")) == 1


def test_tensorboard_purges_events_after_the_resume_step(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    first = ScalarLogger(tmp_path, LoggingConfig(csv=False, jsonl=False))
    for step in (100, 200, 300):  # 300 was logged after the checkpoint at 200, then the process died
        first.log(step, {"critic/loss": float(step)})
    first.close()
    resumed = ScalarLogger(tmp_path, LoggingConfig(csv=False, jsonl=False), resume_env_steps=200)
    resumed.log(300, {"critic/loss": 3.0})
    resumed.close()
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("critic/loss")] == [(100, 100.0), (200, 200.0), (300, 3.0)]


def test_tensorboard_events_readable(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logger = ScalarLogger(tmp_path, _cfg(tensorboard=True))
    assert logger.tensorboard_writer is not None
    logger.log(100, {"train/loss": 1.5, "eval/avg_return": -300.0})
    logger.log(200, {"train/loss": 0.25})
    logger.close()
    assert logger.tensorboard_writer is None

    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    assert set(events.Tags()["scalars"]) == {"train/loss", "eval/avg_return"}
    assert [(e.step, e.value) for e in events.Scalars("train/loss")] == [(100, 1.5), (200, 0.25)]
    assert [(e.step, e.value) for e in events.Scalars("eval/avg_return")] == [(100, -300.0)]


# ---------------------------------------------------------------------------------------------------- W&B


def test_missing_wandb_names_the_key_and_the_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # makes ``import wandb`` raise ImportError
    with pytest.raises(MissingLoggingBackendError) as info:
        ScalarLogger(tmp_path, _cfg(csv=True, jsonl=True, wandb=True))
    message = str(info.value)
    assert "logging.wandb" in message
    assert "pip install 'flashsac[wandb]'" in message
    assert isinstance(info.value, ConfigError)  # so ``flashsac train`` reports it as one line, exit code 2


def test_wandb_off_never_imports_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)
    ScalarLogger(tmp_path, _cfg(csv=True)).close()  # would raise if it tried to import wandb


@pytest.fixture
def wandb_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep W&B offline, silent and inside ``tmp_path`` (no network, nothing in the home directory)."""
    for name, sub in (("WANDB_DIR", "wandb_dir"), ("WANDB_CACHE_DIR", "cache"), ("WANDB_CONFIG_DIR", "config")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    return run_dir


def _wandb_records(path: Path) -> list[bytes]:
    """Raw records of a ``.wandb`` transaction log (LevelDB log format: 32 KiB blocks, 7-byte record headers)."""
    data, block, pos = path.read_bytes(), 32768, 7  # the file opens with a 7-byte ``:W&B`` header
    records, pending = [], b""
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind == 0:
            break
        if kind == 1:  # full
            records.append(chunk)
        elif kind == 2:  # first
            pending = chunk
        elif kind == 3:  # middle
            pending += chunk
        else:  # last
            records.append(pending + chunk)
    return records


def _wandb_history(run_file: Path) -> list[dict[str, float]]:
    """The history rows (``run.log`` calls) of an offline run file, without W&B's own ``_`` fields."""
    from wandb.proto import wandb_internal_pb2

    rows = []
    for raw in _wandb_records(run_file):
        record = wandb_internal_pb2.Record()  # pyright: ignore[reportAttributeAccessIssue]  # generated code
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") == "history":
            items = {item.key or "/".join(item.nested_key): item.value_json for item in record.history.item}
            rows.append({k: json.loads(v) for k, v in items.items() if not k.startswith("_")})
    return rows


@needs_wandb
def test_wandb_offline_run_holds_the_logged_keys(wandb_offline: Path) -> None:
    run_dir = wandb_offline
    cfg = _cfg(wandb=True, wandb_mode="offline", wandb_project="flashsac-tests")
    logger = ScalarLogger(run_dir, cfg, {"seed": 3, "agent": {"gamma": 0.99}}, run_name="soak")
    logger.log(100, {"train/loss": 1.5, "eval/avg_return": -300.0})
    logger.log(200, {"train/loss": 0.25})
    logger.close()

    run_id = (run_dir / "wandb_run_id.txt").read_text().strip()
    run_files = list((run_dir / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb"))
    assert len(run_files) == 1, list((run_dir / "wandb").rglob("*"))
    raw = run_files[0].read_bytes()
    for key in (b"env_steps", b"train/loss", b"eval/avg_return", b"gamma"):
        assert key in raw
    assert _wandb_history(run_files[0]) == [
        {"env_steps": 100, "train/loss": 1.5, "eval/avg_return": -300.0},
        {"env_steps": 200, "train/loss": 0.25},
    ]


@needs_wandb
def test_wandb_resume_reuses_the_run_id(wandb_offline: Path) -> None:
    run_dir = wandb_offline
    cfg = _cfg(wandb=True, wandb_mode="offline")
    first = ScalarLogger(run_dir, cfg)
    first.log(100, {"train/loss": 1.0})
    first.close()
    run_id = (run_dir / "wandb_run_id.txt").read_text().strip()
    time.sleep(1.1)  # W&B names offline run directories by the second: a resume within it would reuse the folder
    second = ScalarLogger(run_dir, cfg)  # a resumed run directory: same W&B run, curves continue on env_steps
    second.log(200, {"train/loss": 0.5})
    second.close()

    assert (run_dir / "wandb_run_id.txt").read_text().strip() == run_id
    run_files = sorted((run_dir / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb"))
    assert len(run_files) == 2  # one offline segment per resume; ``wandb sync`` replays them in order into one run
    assert [row["env_steps"] for f in run_files for row in _wandb_history(f)] == [100, 200]


@needs_wandb
def test_wandb_mode_env_var_wins_over_config(wandb_offline: Path) -> None:
    """``WANDB_MODE=offline`` keeps a run configured ``online`` off the network (CI, air-gapped machines)."""
    logger = ScalarLogger(wandb_offline, _cfg(wandb=True, wandb_mode="online"))
    logger.log(1, {"a": 1.0})
    logger.close()
    assert list((wandb_offline / "wandb").glob("offline-run-*"))


@needs_wandb
def test_wandb_disabled_mode_writes_no_run(wandb_offline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_MODE")
    logger = ScalarLogger(wandb_offline, _cfg(wandb=True, wandb_mode="disabled"))
    logger.log(1, {"a": 1.0})
    logger.close()
    assert not list(wandb_offline.glob("wandb/*run-*"))

"""Crash safety: SIGKILL at random moments (also mid checkpoint write), failing writes, damaged files.

The SIGKILL test drives the real command line in a child process, kills it several times, resumes each time
and checks the run directory after every kill: every checkpoint and buffer snapshot on disk reads cleanly
and at most one checkpoint interval of work is lost. The other tests simulate full disks (an ``fsync`` or a
write failing with ENOSPC, or a real kernel file-size limit) and damaged files.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch

import flashsac.checkpointing.atomic as atomic_module
from flashsac.checkpointing.buffer_snapshot import load_buffer_snapshot
from flashsac.checkpointing.checkpoint_file import CheckpointError, load_checkpoint, save_checkpoint
from flashsac.checkpointing.run_files import list_checkpoints
from flashsac.checkpointing.tensor_file import TensorFileError, read_tensor_file, write_tensor_file
from flashsac.cli.compose import compose_config
from flashsac.cli.main import main
from flashsac.cli.resume import newest_checkpoint
from flashsac.config.validate import validate
from flashsac.trainer import Trainer
from tiny_run import tiny_overrides

NUM_ENV_STEPS = 2000
CHECKPOINT_EVERY = 400
LOG_EVERY = 100

# Tiny run for the child processes: 4 envs, 16-wide nets, 11 bins. The buffer is large enough (~3.7 MB
# snapshot) that a snapshot write takes a few milliseconds, so a poll can catch it in flight.
CLI_TINY = [
    "deterministic=true",
    "num_threads=1",
    "env.num_envs=4",
    "env.num_eval_envs=2",
    "env.max_episode_steps=40",
    "agent.actor_hidden_dim=16",
    "agent.critic_hidden_dim=16",
    "agent.critic_num_bins=11",
    "buffer.capacity=100000",
    "buffer.min_size=64",
    "train.batch_size=32",
    "train.updates_per_vector_step=1",
    "train.eval_every_env_steps=1000",
    "train.num_eval_episodes=2",
    f"train.log_every_env_steps={LOG_EVERY}",
    "logging.tensorboard=false",
]

# In-process trainer for the write-failure tests.
TINY = tiny_overrides(
    {
        "deterministic": "true",
        "train.checkpoint_every_env_steps": 40,
        "logging.tensorboard": "false",
    }
)

# Temp files of an in-flight snapshot / checkpoint write (tempfile.mkstemp names in checkpoints/).
WRITE_TEMP = {
    "buffer-write": re.compile(r"^\.step_\d+\.buffer\..*\.tmp$"),
    "checkpoint-write": re.compile(r"^\.step_\d+\.pt\..*\.tmp$"),
}

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


# ---------------------------------------------------------------------------------------------- helpers


def _trainer(run_dir: Path, *extra: str, resume_from: dict | None = None) -> Trainer:
    cfg = compose_config([*TINY, *extra, f"logging.run_dir={run_dir}"])
    validate(cfg)
    return Trainer(cfg, run_dir, resume_from=resume_from)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


def _start(args: list[str], log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "flashsac.cli.main", "train", *args],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_child_env(),
        )
    finally:
        handle.close()  # the child holds its own descriptor


def _newest_step(run_dir: Path) -> int:
    found = list_checkpoints(run_dir)
    return found[-1][0] if found else -1


def _temp_files(run_dir: Path) -> set[str]:
    directory = run_dir / "checkpoints"
    return {p.name for p in directory.iterdir() if p.name.endswith(".tmp")} if directory.is_dir() else set()


def _last_logged_env_steps(run_dir: Path) -> int:
    """env_steps of the last complete row of scalars.csv (a row torn by the kill does not count)."""
    path = run_dir / "scalars.csv"
    if not path.is_file():
        return 0
    lines = [line for line in path.read_text().splitlines(keepends=True)[1:] if line.endswith("\n")]
    return int(lines[-1].split(",", 1)[0]) if lines else 0


def _wait_for(proc: subprocess.Popen, condition, timeout: float, poll: float = 0.0005) -> bool:
    """Poll ``condition`` until it holds (True) or the process ends / the timeout passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(poll)
    return False


def _check_run_dir_after_kill(run_dir: Path) -> int:
    """Every checkpoint and buffer snapshot on disk reads cleanly; return the newest checkpoint's env steps."""
    directory = run_dir / "checkpoints"
    for env_steps, path in list_checkpoints(run_dir):
        payload = load_checkpoint(path)  # raises CheckpointError on a torn or corrupt file
        assert payload["counters"]["env_steps"] == env_steps, path
        buffer_path = path.with_suffix(".buffer")
        assert buffer_path.is_file(), f"{path.name} names a missing buffer snapshot"
        # The snapshot beside a checkpoint is the one it was written with.
        assert buffer_path.read_bytes()[-64:].decode() == payload["buffer_sha256"], buffer_path
    for buffer_path in directory.glob("step_*.buffer"):
        read_tensor_file(buffer_path)  # verifies the SHA-256; raises TensorFileError on a torn file
    return _newest_step(run_dir)


# ---------------------------------------------------------------------------------------------- SIGKILL


def test_sigkill_at_random_moments_and_mid_write_then_resume_completes(tmp_path: Path) -> None:
    """Kill -9 four times (two kills the instant a checkpoint temp file appears), resume each time, finish.

    Lost-work bound asserted after each kill. What the test can observe is ``logged``: the env steps of the
    last complete row of scalars.csv (rows are flushed as they are written). The process had reached
    ``reached`` env steps with ``logged <= reached < logged + LOG_EVERY``. At a step that is a multiple of both
    intervals the trainer logs first and checkpoints after, so a kill in the middle of the checkpoint write at
    ``k*C`` shows ``logged == k*C`` with ``(k-1)*C`` as the newest checkpoint. Hence "at most one checkpoint
    interval lost" (``reached - newest <= C``) implies, and is checked as, ``newest >= logged - C``.
    """
    rng = random.Random(20240607)
    run_dir, log = tmp_path / "run", tmp_path / "child.log"
    args = [
        *CLI_TINY,
        f"train.num_env_steps={NUM_ENV_STEPS}",
        f"train.checkpoint_every_env_steps={CHECKPOINT_EVERY}",
        "train.checkpoint_buffer=true",
        f"logging.run_dir={run_dir}",
        "logging.progress=false",
    ]
    resume_args = [f"resume={run_dir}", "logging.progress=false"]
    # What each kill waits for: a random delay after a new checkpoint, a random delay from process start
    # (may land in start-up, restore or training), or the instant a temp file of a snapshot / checkpoint
    # write appears in checkpoints/. The from-start delay stays under 1.5 s: on a quiet machine a resumed child
    # restores and finishes its remaining steps in about 2 s after start-up, and a kill must find it running.
    plans = ["after-checkpoint", "buffer-write", "from-start", "checkpoint-write"]
    kills, mid_write_evidence = [], []
    start = time.monotonic()
    for index, plan in enumerate(plans):
        proc = _start(args if index == 0 else resume_args, log)
        resumed_from = _newest_step(run_dir)
        temps_before = _temp_files(run_dir)
        try:
            if plan == "after-checkpoint":
                ok = _wait_for(proc, lambda r=resumed_from: _newest_step(run_dir) > r, timeout=60, poll=0.01)
                time.sleep(rng.uniform(0.0, 2.0))
            elif plan == "from-start":
                ok = _wait_for(proc, lambda: False, timeout=rng.uniform(0.3, 1.5), poll=0.01) or proc.poll() is None
            else:
                pattern = WRITE_TEMP[plan]
                ok = _wait_for(
                    proc, lambda p=pattern, b=temps_before: any(p.match(n) for n in _temp_files(run_dir) - b), 60
                )
            assert ok and proc.poll() is None, f"kill {index} ({plan}): the child ended first\n{log.read_text()}"
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        left_behind = _temp_files(run_dir) - temps_before
        if plan.endswith("-write"):
            mid_write_evidence.append(bool(left_behind))
        newest = _check_run_dir_after_kill(run_dir)
        logged = _last_logged_env_steps(run_dir)
        kills.append((plan, logged, newest, sorted(left_behind)))
        assert newest >= 0, f"kill {index} ({plan}) came before the first checkpoint: {kills}"
        assert newest >= logged - CHECKPOINT_EVERY, f"more than one checkpoint interval lost: {kills}"
        # Stray temp files are never taken for checkpoints.
        assert all(not p.name.endswith(".tmp") for _, p in list_checkpoints(run_dir))

    # Let the last resume finish.
    proc = _start(resume_args, log)
    try:
        assert proc.wait(timeout=120) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    elapsed = time.monotonic() - start

    assert len(kills) >= 3
    # At least one kill provably landed inside a write: its temp file was still there after the kill.
    assert any(mid_write_evidence), f"no kill landed mid-write: {kills}"
    final = load_checkpoint(run_dir / "checkpoints" / "final.pt")
    assert final["counters"]["env_steps"] == NUM_ENV_STEPS
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["env_steps"] == NUM_ENV_STEPS, summary
    assert summary["update_steps"] > 0
    # Resumes rewound the scalar files: each (env_steps, key) was logged exactly once despite the kills.
    with (run_dir / "scalars.csv").open() as handle:
        rows = [(r["env_steps"], r["key"]) for r in csv.DictReader(handle)]
    assert len(rows) == len(set(rows)), "duplicate scalar rows after kill/resume"
    assert max(int(steps) for steps, _ in rows) == NUM_ENV_STEPS
    print(f"kills (plan, logged, newest checkpoint, temp files left): {kills}; {elapsed:.1f}s")


# ---------------------------------------------------------------------------------------------- full disk


def _payload(value: float) -> dict:
    return {"agent": {"w": torch.full((64, 64), value)}, "counters": {"env_steps": int(value)}}


def _failing_fsync(monkeypatch: pytest.MonkeyPatch, under: Path | None = None) -> None:
    """Make fsync report a full disk (for files below ``under`` only, when given: the run's other files, such as
    config.yaml, are fsynced too and would otherwise fail before the first checkpoint)."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if under is not None and not Path(os.readlink(f"/proc/self/fd/{fd}")).is_relative_to(under):
            return real_fsync(fd)
        raise OSError(ENOSPC.errno, ENOSPC.strerror)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("same_path", [True, False], ids=["overwrite", "next-step"])
def test_checkpoint_write_failing_with_enospc_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_path: bool
) -> None:
    previous = tmp_path / "checkpoints" / "step_100.pt"
    save_checkpoint(previous, _payload(1.0))
    before = previous.read_bytes()
    target = previous if same_path else tmp_path / "checkpoints" / "step_200.pt"

    _failing_fsync(monkeypatch)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(target, _payload(2.0))
    monkeypatch.undo()

    message = str(info.value)
    assert str(target) in message
    assert "No space left on device" in message
    assert "previous checkpoint is intact" in message
    assert previous.read_bytes() == before
    assert torch.equal(load_checkpoint(previous)["agent"]["w"], torch.full((64, 64), 1.0))
    assert sorted(p.name for p in previous.parent.iterdir()) == ["step_100.pt"]  # no temp file, no target


def test_buffer_snapshot_write_failing_with_enospc_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "checkpoints" / "step_100.buffer"
    write_tensor_file(path, {"x": torch.arange(1000.0)}, {"steps": 1})
    before = path.read_bytes()

    _failing_fsync(monkeypatch)
    with pytest.raises(TensorFileError) as info:
        write_tensor_file(path, {"x": torch.zeros(1000)}, {"steps": 2})
    monkeypatch.undo()

    assert str(path) in str(info.value)
    assert "No space left on device" in str(info.value)
    assert "intact" in str(info.value)
    assert path.read_bytes() == before
    tensors, meta = read_tensor_file(path)
    assert torch.equal(tensors["x"], torch.arange(1000.0)) and meta == {"steps": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["step_100.buffer"]


def test_buffer_snapshot_write_failing_midway_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up in the middle of the stream (a write fails after some bytes went out)."""
    path = tmp_path / "step_100.buffer"
    write_tensor_file(path, {"x": torch.arange(1000.0)}, {"steps": 1})
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class FillingUp(io.BufferedWriter):
        written = 0

        def write(self, data) -> int:
            FillingUp.written += len(memoryview(data))
            if FillingUp.written > 2000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    monkeypatch.setattr(os, "fdopen", lambda fd, mode="r", *a, **k: FillingUp(real_fdopen(fd, mode, buffering=0)))
    with pytest.raises(TensorFileError, match="No space left on device"):
        write_tensor_file(path, {"x": torch.zeros(4000)}, {"steps": 2}, chunk_bytes=1024)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["step_100.buffer"]


def _fill_disk_after(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Make the checkpoint writer's file fail with ENOSPC once ``limit`` bytes have reached the 'disk'."""
    real_fdopen = os.fdopen

    class FullDisk(io.FileIO):
        def write(self, data) -> int:
            if self.tell() + len(memoryview(data)) > limit:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    def fdopen(fd: int, mode: str = "r", *args, **kwargs):
        if "w" not in mode:
            return real_fdopen(fd, mode, *args, **kwargs)
        return io.BufferedWriter(FullDisk(fd, "wb"))

    monkeypatch.setattr(atomic_module.os, "fdopen", fdopen)


def test_disk_filling_up_during_torch_save_gives_a_checkpoint_error(tmp_path: Path, monkeypatch) -> None:
    previous = tmp_path / "step_100.pt"
    save_checkpoint(previous, _payload(1.0))
    before = previous.read_bytes()
    _fill_disk_after(monkeypatch, limit=8192)  # the 16 KiB tensor does not fit any more
    target = tmp_path / "step_200.pt"
    try:
        with pytest.raises(CheckpointError, match="previous checkpoint is intact"):
            save_checkpoint(target, _payload(2.0))
    finally:
        monkeypatch.undo()
        assert previous.read_bytes() == before  # holds either way: the rename never happened
    assert [p.name for p in tmp_path.iterdir()] == ["step_100.pt"]


def test_real_write_error_during_torch_save_gives_a_checkpoint_error(tmp_path: Path) -> None:
    resource = pytest.importorskip("resource")
    previous = tmp_path / "step_100.pt"
    save_checkpoint(previous, _payload(1.0))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, hard))
    try:
        save_checkpoint(tmp_path / "step_200.pt", _payload(2.0))
    except CheckpointError as err:
        caught: BaseException = err
    except BaseException as err:  # noqa: BLE001 - reported below, after the limit is lifted again
        caught = err
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert isinstance(caught, CheckpointError), repr(caught)
    assert "previous checkpoint is intact" in str(caught)
    assert [p.name for p in tmp_path.iterdir()] == ["step_100.pt"]


@pytest.mark.parametrize("checkpoint_buffer", [False, True], ids=["checkpoint", "buffer-snapshot"])
def test_trainer_save_failing_write_is_a_clear_error_and_keeps_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checkpoint_buffer: bool
) -> None:
    run_dir = tmp_path / "run"
    flag = f"train.checkpoint_buffer={str(checkpoint_buffer).lower()}"
    _trainer(run_dir, flag).run(stop_after_env_steps=40)
    kept = run_dir / "checkpoints" / "step_40.pt"
    kept_bytes = {p.name: p.read_bytes() for p in kept.parent.iterdir()}
    assert "step_40.pt" in kept_bytes and ("step_40.buffer" in kept_bytes) == checkpoint_buffer

    trainer = _trainer(run_dir, flag, resume_from=load_checkpoint(kept))
    _failing_fsync(monkeypatch, under=run_dir / "checkpoints")
    expected = TensorFileError if checkpoint_buffer else CheckpointError
    with pytest.raises(expected) as info:
        trainer.run()  # the next checkpoint (step 80) fails to write
    monkeypatch.undo()
    message = str(info.value)
    assert "step_80" in message and "No space left on device" in message and "intact" in message
    # The last good checkpoint (and its snapshot) is untouched; nothing half-written remains.
    assert {p.name: p.read_bytes() for p in kept.parent.iterdir()} == kept_bytes
    assert load_checkpoint(kept)["counters"]["env_steps"] == 40
    assert newest_checkpoint(run_dir)[0] == kept


def test_cli_reports_a_failing_checkpoint_write_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    run_dir = tmp_path / "run"
    _failing_fsync(monkeypatch, under=run_dir / "checkpoints")
    assert main(["train", *TINY, "train.checkpoint_buffer=true", f"logging.run_dir={run_dir}"]) == 2
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("flashsac: error:")]
    assert len(lines) == 1 and "No space left on device" in lines[0] and "step_40.buffer" in lines[0], err
    assert not list((run_dir / "checkpoints").glob("*.tmp"))


# ---------------------------------------------------------------------------------------------- damaged files


@pytest.fixture(scope="module")
def run_with_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run stopped at 120 env steps: step_40/80/120 checkpoints with buffer snapshots (read-only use)."""
    run_dir = tmp_path_factory.mktemp("damaged") / "run"
    _trainer(run_dir, "train.checkpoint_buffer=true").run(stop_after_env_steps=120)
    assert [s for s, _ in list_checkpoints(run_dir)] == [40, 80, 120]
    return run_dir


def _copy_run(source: Path, target: Path) -> Path:
    (target / "checkpoints").mkdir(parents=True)
    for path in (source / "checkpoints").iterdir():
        (target / "checkpoints" / path.name).write_bytes(path.read_bytes())
    return target


@pytest.mark.parametrize(
    "keep_percent",
    [
        50,
        pytest.param(
            20,
        ),
    ],
)
def test_resume_skips_a_truncated_newest_checkpoint_with_a_warning(
    run_with_checkpoints: Path, tmp_path: Path, keep_percent: int
) -> None:
    run_dir = _copy_run(run_with_checkpoints, tmp_path / "run")
    newest = run_dir / "checkpoints" / "step_120.pt"
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) * keep_percent // 100])

    with pytest.raises(CheckpointError, match="step_120.pt"):
        load_checkpoint(newest)
    with pytest.warns(UserWarning, match=r"skipping unreadable checkpoint .*step_120\.pt"):
        path, payload = newest_checkpoint(run_dir)
    assert path == run_dir / "checkpoints" / "step_80.pt"
    assert payload["counters"]["env_steps"] == 80


def test_resume_without_any_readable_checkpoint_fails_clearly(run_with_checkpoints: Path, tmp_path: Path) -> None:
    run_dir = _copy_run(run_with_checkpoints, tmp_path / "run")
    for _, path in list_checkpoints(run_dir):
        path.write_bytes(path.read_bytes()[:100])
    with warnings.catch_warnings(record=True), pytest.raises(CheckpointError, match="none of its 3 checkpoints"):
        newest_checkpoint(run_dir)


def test_every_truncation_of_a_checkpoint_is_a_checkpoint_error(run_with_checkpoints: Path, tmp_path: Path) -> None:
    data = (run_with_checkpoints / "checkpoints" / "step_120.pt").read_bytes()
    damaged = tmp_path / "step_120.pt"
    escaped = []
    for percent in range(5, 100, 5):
        damaged.write_bytes(data[: len(data) * percent // 100])
        try:
            load_checkpoint(damaged)
        except CheckpointError:
            continue
        except Exception as err:  # noqa: BLE001 - collected for the assertion message
            escaped.append((percent, repr(err)))
        else:
            escaped.append((percent, "loaded"))
    assert not escaped, escaped


def test_stray_temp_files_are_never_taken_for_checkpoints(run_with_checkpoints: Path, tmp_path: Path) -> None:
    run_dir = _copy_run(run_with_checkpoints, tmp_path / "run")
    directory = run_dir / "checkpoints"
    # What a kill in the middle of writing step_160 leaves behind.
    (directory / ".step_160.pt.abcd1234.tmp").write_bytes(b"PK\x03\x04 half a zip")
    (directory / ".step_160.buffer.abcd1234.tmp").write_bytes(b"\x10\x00")
    assert [s for s, _ in list_checkpoints(run_dir)] == [40, 80, 120]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to skip
        path, _ = newest_checkpoint(run_dir)
    assert path.name == "step_120.pt"


def test_flipped_byte_in_a_buffer_snapshot_fails_its_sha256_check(run_with_checkpoints: Path, tmp_path: Path) -> None:
    source = run_with_checkpoints / "checkpoints" / "step_120.buffer"
    data = bytearray(source.read_bytes())
    damaged = tmp_path / "step_120.buffer"
    data[len(data) // 2] ^= 0x01  # inside the tensor bytes
    damaged.write_bytes(bytes(data))
    with pytest.raises(TensorFileError, match=r"step_120\.buffer failed its SHA-256 check"):
        read_tensor_file(damaged)

    # And through the path a resume takes: the buffer is not loaded half-way without an error.
    trainer = _trainer(tmp_path / "other", "train.checkpoint_buffer=true")
    try:
        with pytest.raises(TensorFileError, match="SHA-256"):
            load_buffer_snapshot(trainer.buffer, damaged)
    finally:
        trainer.close()


def test_resume_with_a_corrupt_buffer_snapshot_fails_in_one_line(
    run_with_checkpoints: Path, tmp_path: Path, capsys
) -> None:
    run_dir = _copy_run(run_with_checkpoints, tmp_path / "run")
    snapshot = run_dir / "checkpoints" / "step_120.buffer"
    data = bytearray(snapshot.read_bytes())
    data[-100] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    assert main(["train", f"resume={run_dir}", "logging.progress=false"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "step_120.buffer failed its SHA-256 check" in err


@pytest.mark.parametrize(
    ("needle", "offset"),
    [(b'"tensors"', 1), (b'"shape": [250', 11)],
    ids=["key", "shape"],
)
def test_flipped_byte_in_a_buffer_header_is_a_tensor_file_error(
    run_with_checkpoints: Path, tmp_path: Path, needle: bytes, offset: int
) -> None:
    data = bytearray((run_with_checkpoints / "checkpoints" / "step_120.buffer").read_bytes())
    data[data.index(needle) + offset] ^= 0x01  # '"tensors"' -> '"uensors"', '[250' -> '[240' (fewer bytes)
    damaged = tmp_path / "step_120.buffer"
    damaged.write_bytes(bytes(data))
    with pytest.raises(TensorFileError):
        read_tensor_file(damaged)


def test_resume_refuses_a_buffer_snapshot_that_is_not_the_checkpoints(
    run_with_checkpoints: Path, tmp_path: Path
) -> None:
    run_dir = _copy_run(run_with_checkpoints, tmp_path / "run")
    directory = run_dir / "checkpoints"
    (directory / "step_120.buffer").write_bytes((directory / "step_80.buffer").read_bytes())
    payload = load_checkpoint(directory / "step_120.pt")
    with pytest.raises((CheckpointError, TensorFileError)):
        _trainer(run_dir, "train.checkpoint_buffer=true", resume_from=payload).close()


def test_a_crash_while_pruning_never_leaves_a_checkpoint_without_its_snapshot(
    run_with_checkpoints: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flashsac.checkpointing.run_files import prune_checkpoints

    run_dir = _copy_run(run_with_checkpoints, tmp_path / "run")
    real_unlink = Path.unlink
    calls = []

    def unlink_then_die(self: Path, missing_ok: bool = False) -> None:
        if calls:
            raise SystemExit("killed")  # the process dies after the first file is gone
        calls.append(self.name)
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink_then_die)
    with pytest.raises(SystemExit):
        prune_checkpoints(run_dir, keep=2)
    monkeypatch.undo()
    for _, path in list_checkpoints(run_dir):
        assert path.with_suffix(".buffer").is_file(), f"{path.name} is left without its snapshot ({calls})"


def test_trainer_creates_a_new_run_dir_without_tensorboard(tmp_path: Path) -> None:
    run_dir = tmp_path / "new"
    cfg = compose_config([*TINY, f"logging.run_dir={run_dir}"])
    validate(cfg)
    Trainer(cfg, run_dir).run(stop_after_env_steps=8)
    assert (run_dir / "scalars.csv").is_file()

"""Data-parallel training on two gloo CPU ranks through torchrun: exact resume, and a rank killed mid-run.

Every run here is the same two-rank run (resume refuses to change it); the uninterrupted one is the reference.
Launches take seconds each, so the module is marked ``slow`` (CI runs it; ``-m "not slow"`` skips it).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from distributed_workers import free_port, spawn, train_worker
from flashsac.checkpointing.checkpoint_file import load_checkpoint
from flashsac.checkpointing.run_files import list_checkpoints, rank_checkpoint_path
from tiny_run import tiny_overrides

pytestmark = [pytest.mark.slow, pytest.mark.distributed]

WORLD = 2
NUM_ENV_STEPS = 1600  # 200 vector steps of 2 ranks x 4 envs
OVERRIDES = tiny_overrides(
    {
        "deterministic": "true",
        "num_threads": 1,
        "agent.n_step": 3,
        "train.updates_per_vector_step": 1.5,
        "train.num_env_steps": NUM_ENV_STEPS,
        "train.eval_every_env_steps": 800,
        "train.log_every_env_steps": 160,
        "train.checkpoint_every_env_steps": 160,
        "train.keep_checkpoints": 3,
        "train.checkpoint_buffer": "true",
    }
)
BOUNDED_EXIT_S = 60.0


def _env() -> dict[str, str]:
    """The test process's environment, importing this checkout's flashsac, one thread per rank."""
    src = str(Path(__file__).resolve().parents[2] / "src")
    python_path = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    return dict(os.environ) | {"OMP_NUM_THREADS": "1", "PYTHONPATH": python_path}


def _torchrun(args: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={WORLD}",
        "--master_addr=127.0.0.1",
        f"--master_port={free_port()}",
        "-m",
        "flashsac.cli.main",
        "train",
        *args,
    ]


def _train(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_torchrun(args), env=_env(), capture_output=True, text=True, timeout=timeout)


def _agent_tensors(path: Path) -> dict[str, torch.Tensor]:
    agent = load_checkpoint(path)["agent"]
    return {f"{n}.{k}": v for n in ("actor", "critic", "target_critic", "temperature") for k, v in agent[n].items()}


def _assert_same_run(a: Path, b: Path) -> None:
    """Same networks, same per-rank state at the end, same logged curves."""
    final_a, final_b = _agent_tensors(a / "checkpoints" / "final.pt"), _agent_tensors(b / "checkpoints" / "final.pt")
    for name, tensor in final_a.items():
        assert torch.equal(tensor, final_b[name]), f"{name} differs"
    for rank in range(WORLD):
        x = load_checkpoint(rank_checkpoint_path(a, NUM_ENV_STEPS, rank))
        y = load_checkpoint(rank_checkpoint_path(b, NUM_ENV_STEPS, rank))
        assert x["counters"] == y["counters"]
        assert x["buffer_sha256"] == y["buffer_sha256"], f"rank {rank}'s buffer shard differs"
        assert torch.equal(x["agent"]["noise"]["noise"], y["agent"]["noise"]["noise"]), f"rank {rank}'s noise"
        assert torch.equal(x["agent"]["reward_scaler"]["returns"], y["agent"]["reward_scaler"]["returns"])
        assert torch.equal(x["rng"]["torch"], y["rng"]["torch"]), f"rank {rank}'s RNG differs"
    assert _scalars(a) == _scalars(b)


def _scalars(run_dir: Path) -> list[tuple[str, str, str]]:
    with (run_dir / "scalars.csv").open() as handle:
        return [
            (r["env_steps"], r["key"], r["value"]) for r in csv.DictReader(handle) if not r["key"].startswith("perf/")
        ]


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uninterrupted two-rank run, launched as a user would: torchrun ... flashsac train."""
    run_dir = tmp_path_factory.mktemp("straight") / "run"
    done = _train([*OVERRIDES, f"logging.run_dir={run_dir}"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"on {WORLD} ranks (gloo)" in done.stdout
    return run_dir


def test_two_rank_run_counts_every_rank_and_writes_a_file_per_rank(straight: Path) -> None:
    final = load_checkpoint(straight / "checkpoints" / "final.pt")
    assert final["counters"] == {"env_steps": NUM_ENV_STEPS, "iteration": NUM_ENV_STEPS // (WORLD * 4) - 1}
    assert final["ranks"] == {"world_size": WORLD, "rank": 0}
    rank1 = load_checkpoint(rank_checkpoint_path(straight, NUM_ENV_STEPS, 1))
    assert rank1["ranks"] == {"world_size": WORLD, "rank": 1}
    # Each rank has its own envs, noise and buffer shard; the networks are the same.
    assert not torch.equal(final["loop"]["obs"], rank1["loop"]["obs"])
    assert final["buffer_sha256"] != rank1["buffer_sha256"]
    assert torch.equal(final["agent"]["actor"]["head.weight"], rank1["agent"]["actor"]["head.weight"])
    assert [steps for steps, _ in list_checkpoints(straight)] == [1280, 1440, 1600]  # pruned with their rank files
    assert sorted(p.name for p in (straight / "checkpoints").glob("*.rank1.*")) == [
        f"step_{s}.rank1.{ext}" for s in (1280, 1440, 1600) for ext in ("buffer", "pt")
    ]
    assert not (straight / "videos").exists() and (straight / "summary.json").exists()


def test_stop_and_resume_on_two_ranks_reproduces_the_uninterrupted_run(straight: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    # 600 is not a log or checkpoint boundary: the stop lands mid-interval, with pending metrics.
    spawn(train_worker, WORLD, [*OVERRIDES, f"logging.run_dir={run_dir}"], 600)
    assert [steps for steps, _ in list_checkpoints(run_dir)][-1] == 600
    resumed = _train([f"resume={run_dir}"])
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _assert_same_run(straight, run_dir)


def test_resume_with_another_world_size_is_refused_in_one_line(straight: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(straight), str(copy)], check=True)
    (copy / "checkpoints" / "final.pt").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "flashsac.cli.main", "train", f"resume={copy}"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    err_lines = [line for line in result.stderr.splitlines() if line.startswith("flashsac: error:")]
    assert result.returncode == 2, result.stderr
    assert len(err_lines) == 1 and "trained by 2 rank(s) and is resumed with 1" in err_lines[0], result.stderr
    assert "torchrun --nproc_per_node=2" in err_lines[0]


def _rank_pid(parent: int, rank: int) -> int | None:
    """The pid of torchrun's worker of ``rank`` (a child of ``parent`` whose environment says RANK=rank)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    return None


def test_a_killed_rank_ends_the_job_and_the_run_resumes_to_the_same_parameters(straight: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        _torchrun([*OVERRIDES, f"logging.run_dir={run_dir}"]),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not (run_dir / "checkpoints" / "step_480.pt").exists():  # well inside the run
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before the kill"
            time.sleep(0.02)
        victim = _rank_pid(proc.pid, 1)
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        out, _ = proc.communicate(timeout=BOUNDED_EXIT_S)
        elapsed = time.monotonic() - killed_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0, out
    assert elapsed < BOUNDED_EXIT_S
    print(f"torchrun exited {proc.returncode} {elapsed:.1f}s after SIGKILL of rank 1")
    assert not (run_dir / "checkpoints" / "final.pt").exists()
    # Every checkpoint rank 0 wrote is complete: its rank file loads and belongs to the same step.
    for steps, path in list_checkpoints(run_dir):
        main_part, other = load_checkpoint(path), load_checkpoint(rank_checkpoint_path(run_dir, steps, 1))
        assert main_part["counters"] == other["counters"]
    assert not list((run_dir / "checkpoints").glob("*.tmp"))

    resumed = _train([f"resume={run_dir}"])
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _assert_same_run(straight, run_dir)


def test_without_torchrun_a_dead_peer_stops_the_other_rank_with_one_line(tmp_path: Path) -> None:
    """Launched by hand (no torchrun agent to tear the group down), gloo reports the dead peer at once."""
    run_dir = tmp_path / "run"
    port = free_port()
    procs = []
    for rank in range(WORLD):
        env = _env() | {
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(WORLD),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
        command = [sys.executable, "-m", "flashsac.cli.main", "train", *OVERRIDES, f"logging.run_dir={run_dir}"]
        procs.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        deadline = time.monotonic() + 300
        while not (run_dir / "checkpoints" / "step_320.pt").exists():
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                pytest.fail(f"a rank ended (or stalled) before the kill: {[p.poll() for p in procs]}")
            time.sleep(0.02)
        procs[1].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        _, err = procs[0].communicate(timeout=BOUNDED_EXIT_S)
        elapsed = time.monotonic() - killed_at
    finally:
        outputs = []
        for p in procs:
            if p.poll() is None:
                p.kill()
            outputs.append(p.communicate())
    assert procs[0].returncode == 4, (err, outputs)
    assert elapsed < BOUNDED_EXIT_S
    print(f"rank 0 exited 4 {elapsed:.1f}s after SIGKILL of rank 1 (no torchrun)")
    lines = [line for line in err.splitlines() if line.startswith("flashsac: error:")]
    assert len(lines) == 1 and "rank 0 of 2" in lines[0] and "another rank died or hung" in lines[0], err

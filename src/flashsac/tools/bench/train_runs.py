"""Run ``flashsac train`` in a fresh interpreter for a benchmark and read back what it logged.

Each run gets its own process (so simulators that allow one instance per process, and torch's thread pool,
start clean), the same ``OMP/MKL/OPENBLAS_NUM_THREADS``, and an optional wall-clock stop: ``SIGINT``, which the
trainer turns into a checkpoint and a clean exit, so everything logged up to then is kept. With ``nproc > 1`` the
run is launched data-parallel by torchrun (``python -m torch.distributed.run``) on this machine.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TrainRun", "child_env", "read_scalars", "run_train", "series", "torchrun_prefix"]

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_GRACE_S = 120.0


@dataclass
class TrainRun:
    """One finished (or stopped) training process."""

    run_dir: Path
    returncode: int
    wall_s: float
    stopped: bool
    log_tail: str

    def scalars(self) -> list[dict[str, Any]]:
        """The run's ``scalars.jsonl`` records, in order."""
        return read_scalars(self.run_dir)


def child_env(threads: int) -> dict[str, str]:
    """The parent's environment with every BLAS/OpenMP thread count pinned to ``threads``."""
    return dict(os.environ) | {name: str(threads) for name in _THREAD_VARIABLES}


def read_scalars(run_dir: Path) -> list[dict[str, Any]]:
    """Every record of ``run_dir/scalars.jsonl`` (an empty list when the run logged nothing)."""
    path = run_dir / "scalars.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def series(records: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """``(env_steps, value)`` of every record holding ``key`` with a finite value."""
    return [(int(r["env_steps"]), float(r[key])) for r in records if r.get(key) is not None]


def torchrun_prefix(nproc: int) -> list[str]:
    """The command that launches ``nproc`` ranks on this machine, each running the module that follows it."""
    with socket.socket() as sock:  # a free rendezvous port, so that concurrent launches do not collide
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={nproc}",
        "--master_addr=127.0.0.1",
        f"--master_port={port}",
    ]


def run_train(
    overrides: list[str], run_dir: Path, threads: int, stop_after_s: float | None = None, nproc: int = 1
) -> TrainRun:
    """Train with ``overrides`` into ``run_dir``; stop with SIGINT after ``stop_after_s`` seconds if given.

    Args:
        overrides: ``key=value`` overrides of ``flashsac train``.
        run_dir: The run directory (``logging.run_dir``); must not hold an earlier run.
        threads: torch and BLAS threads of each process (``num_threads`` and the OMP variables).
        stop_after_s: Wall-clock budget; ``None`` runs to ``train.num_env_steps``.
        nproc: Data-parallel ranks; more than 1 launches through torchrun.
    """
    env = child_env(threads)
    launcher = torchrun_prefix(nproc) if nproc > 1 else [sys.executable]
    command = [
        *launcher,
        "-m",
        "flashsac.cli.main",
        "train",
        *overrides,
        f"num_threads={threads}",
        f"logging.run_dir={run_dir}",
        "logging.progress=false",
    ]
    start = time.perf_counter()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        stopped = False
        try:
            out, _ = proc.communicate(timeout=stop_after_s)
        except subprocess.TimeoutExpired:
            stopped = True
            proc.send_signal(signal.SIGINT)
            try:
                out, _ = proc.communicate(timeout=_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
    tail = "\n".join((out or "").strip().splitlines()[-5:])
    return TrainRun(run_dir, proc.returncode, time.perf_counter() - start, stopped, tail)

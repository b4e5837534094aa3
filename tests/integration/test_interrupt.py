"""Ctrl-C stops training at an iteration boundary with a checkpoint, and the run resumes from it."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from flashsac.checkpointing.checkpoint_file import load_checkpoint
from flashsac.checkpointing.run_files import list_checkpoints
from tiny_run import tiny_overrides

TINY = tiny_overrides(
    {
        "buffer.capacity": 2000,
        "train.num_env_steps": 1200,
        "train.eval_every_env_steps": 600,
        "train.checkpoint_buffer": "true",
    }
)


def test_sigint_checkpoints_then_resume_completes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "flashsac.cli.main", "train", *TINY, f"logging.run_dir={run_dir}"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    csv_path = run_dir / "scalars.csv"
    while time.monotonic() < deadline and (not csv_path.exists() or csv_path.read_text().count("\n") < 12):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 130, out
    assert f"resume={run_dir}" in out

    found = list_checkpoints(run_dir)
    assert len(found) == 1, found  # no periodic checkpoints were configured: this one is the interrupt's
    env_steps, path = found[0]
    payload = load_checkpoint(path)
    assert payload["counters"]["env_steps"] == env_steps and 0 < env_steps < 1200
    # At an iteration boundary the buffer holds exactly the transitions the counters say.
    assert payload["counters"]["iteration"] == env_steps // 4 - 1

    resumed = subprocess.run(
        [sys.executable, "-m", "flashsac.cli.main", "train", f"resume={run_dir}", "logging.progress=false"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["env_steps"] == 1200

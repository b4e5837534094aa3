"""``flashsac doctor``: diagnose an env's action bounds, scales and episode ends before training on it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flashsac.cli.train import prepare
from flashsac.config.validate import ConfigError

__all__ = ["DOCTOR_HELP", "run_doctor"]

DOCTOR_HELP = """usage: flashsac doctor [key=value ...] [--steps N] [--out DIR]

Builds the env exactly as `flashsac train` with the same overrides would (env=<family>, env.task, env.num_envs,
env.action_bounds, ...), rolls it with uniform random actions (the warm-up) and with the untrained policy, and
reports:
  - each action dimension's distribution against the declared box, the trained box and the soft joint limits
    (actions.png), the share of actions at the box edges (saturation), beyond the soft joint limits, and the
    share of the declared range used;
  - unbounded or huge declared bounds (the IsaacLab +-100 trap), which training refuses or warns about;
  - a missing true final observation, time-outs reported as terminations, no time limit;
  - non-finite, huge or constant observations and rewards.
Writes doctor.json and actions.png under --out (default doctor/<env>-<task>-<time>). Exit 1 when a finding is
an error (training would be wrong), else 0.

  --steps N   vector steps per action source (default: one episode and a little, at most 1100)

examples:
  flashsac doctor env.task=arm-reach                            # declared +-100: shows the saturation
  flashsac doctor env.task=arm-reach env.action_bounds=joint_limits
  flashsac doctor env=genesis env.task=go2-walk env.num_envs=64
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashsac doctor", add_help=False, exit_on_error=False)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    return parser


def run_doctor(args: list[str]) -> int:
    """Entry point of ``flashsac doctor``; returns the exit code (1 when an error-level finding was made)."""
    try:
        options, overrides = _parser().parse_known_args(args)
    except argparse.ArgumentError as err:
        raise ConfigError(f"flashsac doctor: {err} (--steps takes a positive integer, --out a folder).") from err
    if options.steps is not None and options.steps < 1:
        raise ConfigError(f"--steps={options.steps} must be a positive integer (vector steps per action source).")
    cfg = prepare(overrides)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = options.out or Path("doctor") / f"{cfg.env.name}-{cfg.env.task}-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    from flashsac.cli.doctor_report import print_report  # imported late: rich
    from flashsac.tools.doctor import diagnose  # imported late: torch, the agent and the simulator

    report = diagnose(cfg, out, options.steps)
    print_report(report, out)
    return 1 if report.errors else 0

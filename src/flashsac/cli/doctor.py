"""``flashsac doctor``: diagnose an env's action bounds, scales and episode ends before training on it."""

from __future__ import annotations

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


def _option(args: list[str], name: str) -> tuple[str | None, list[str]]:
    """Pop ``name VALUE`` (or ``name=VALUE``) from ``args``."""
    rest, value = [], None
    i = 0
    while i < len(args):
        if args[i] == name:
            if i + 1 >= len(args):
                raise ConfigError(f"{name} needs a value.")
            value, i = args[i + 1], i + 2
            continue
        if args[i].startswith(name + "="):
            value = args[i].split("=", 1)[1]
        else:
            rest.append(args[i])
        i += 1
    return value, rest


def run_doctor(args: list[str]) -> int:
    """Entry point of ``flashsac doctor``; returns the exit code (1 when an error-level finding was made)."""
    steps_text, args = _option(args, "--steps")
    out_text, overrides = _option(args, "--out")
    steps = None
    if steps_text is not None:
        if not steps_text.isdigit() or int(steps_text) < 1:
            raise ConfigError(f"--steps={steps_text!r} must be a positive integer (vector steps per action source).")
        steps = int(steps_text)
    cfg = prepare(overrides)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(out_text) if out_text else Path("doctor") / f"{cfg.env.name}-{cfg.env.task}-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    from flashsac.cli.doctor_report import print_report  # imported late: rich
    from flashsac.doctor import diagnose  # imported late: torch, the agent and the simulator

    report = diagnose(cfg, out, steps)
    print_report(report, out)
    return 1 if report.errors else 0

"""Loop overhead: env-steps/s of the real training loop with gradient updates switched off, against raw stepping.

For each case (a simulator family, a task and a number of envs) two rates are measured:

* **raw**: the same env stepped in a tight loop with pre-generated, in-bound uniform actions (nothing else);
* **loop**: :class:`flashsac.trainer.Trainer` with ``train.updates_per_vector_step=0``, i.e. the whole training
  loop -- random warm-up, then acting with the policy (exploration noise included), finite-value guards,
  replay-buffer writes, reward-scaler statistics, episode bookkeeping and logging to TensorBoard/CSV/JSONL --
  without gradient updates. The rate is the trainer's own ``perf/env_steps_per_s``, logged once per window.

The ratio ``loop / raw`` is the issue's figure (target >= 0.9). To show where the difference goes, the
actor's forward pass (``agent.act`` on the same batch) is also timed alone, and every case reports the
time per vector step split into env step, actor forward and the rest of the loop (its own bookkeeping).

Windows: the trainer logs every ``W`` vector steps. The first window is the random warm-up (it also holds the
initial evaluation), the second is discarded (first actor calls), the next ``--windows`` are measured.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from flashsac.config.schema import RunConfig
from flashsac.config.validate import validate
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError, check_env, make_env_from_config
from flashsac.tools.bench.common import (
    RESULTS_DIR,
    machine_info,
    png_path,
    pyplot,
    resolve_device,
    save_figure,
    synchronize,
    write_json,
)
from flashsac.trainer import Trainer
from flashsac.trainer.parts import resolve_run_devices

__all__ = ["DESCRIPTION", "Case", "main", "parse_case", "split_step_time", "window_rates"]

BENCHMARK = "loop_overhead"
DESCRIPTION = "env-steps/s of the training loop with updates off vs raw env stepping, per task and env count"
DEFAULT_OUT = RESULTS_DIR / f"{BENCHMARK}.json"
TARGET_RATIO = 0.9
DEFAULT_CASES = [
    "torch/pendulum-swingup:1",
    "torch/pendulum-swingup:64",
    "torch/pendulum-swingup:1024",
    "mujoco/Humanoid-v5:1",
]
# Vector steps per window: about this many env steps, within the bounds (full run / --quick).
WINDOW_ENV_STEPS = {"full": 8192, "quick": 512}
WINDOW_BOUNDS = {"full": (20, 500), "quick": (5, 100)}
_SETTLE_WINDOWS = 1  # the first actor window pays for first-call set-up; it is not measured
_ACTION_BANK = 16  # distinct pre-generated action batches the raw loop cycles through


@dataclass(frozen=True)
class Case:
    """One measured configuration: ``family/task:num_envs``."""

    family: str
    task: str
    num_envs: int

    @property
    def label(self) -> str:
        """The case as written on the command line."""
        return f"{self.family}/{self.task}:{self.num_envs}"


def parse_case(text: str) -> Case:
    """Parse ``family/task:num_envs`` (e.g. ``torch/pendulum-swingup:64``); argparse reports a bad one."""
    family, slash, rest = text.partition("/")
    task, colon, count = rest.rpartition(":")
    if not (slash and colon and family and task and count.isdigit() and int(count) >= 1):
        raise argparse.ArgumentTypeError(
            f"case {text!r} is not family/task:num_envs with num_envs >= 1 (e.g. torch/pendulum-swingup:64)"
        )
    return Case(family, task, int(count))


def window_steps(num_envs: int, mode: str) -> int:
    """Vector steps per timing window: about ``WINDOW_ENV_STEPS[mode]`` env steps, within the mode's bounds."""
    low, high = WINDOW_BOUNDS[mode]
    return min(max(math.ceil(WINDOW_ENV_STEPS[mode] / num_envs), low), high)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line (``flashsac bench loop --help``)."""
    parser = argparse.ArgumentParser(prog="flashsac bench loop", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--cases",
        nargs="+",
        type=parse_case,
        help="family/task:num_envs entries (default: " + " ".join(DEFAULT_CASES) + ")",
    )
    parser.add_argument(
        "--device", default="cpu", help="learner device (and env device for torch tasks): cpu, cuda, auto"
    )
    parser.add_argument("--windows", type=int, help="measured windows per case (default 5, --quick 2)")
    parser.add_argument("--window-steps", type=int, help="vector steps per window (default: by env count)")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's own choice)")
    parser.add_argument(
        "--small-nets",
        action="store_true",
        help="one-block small networks (actor 1x64, critic 1x128, as preset=quick), not paper size",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the envs, actions and agent")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON result file; the PNG goes beside it")
    parser.add_argument("--quick", action="store_true", help="short windows: a smoke test")
    args = parser.parse_args(argv)
    if args.cases is None:
        args.cases = [parse_case(text) for text in DEFAULT_CASES]
    if args.windows is None:
        args.windows = 2 if args.quick else 5
    for flag, value in (
        ("--windows", args.windows),
        ("--window-steps", args.window_steps),
        ("--threads", args.threads),
    ):
        if value is not None and value < 1:
            parser.error(f"{flag} must be >= 1, got {value}")
    return args


# ---------------------------------------------------------------------------------------------------- raw


def measure_raw(cfg: RunConfig, windows: int, steps: int) -> list[float]:
    """Env-steps/s of ``env.step`` alone, one rate per window of ``steps`` vector steps.

    The env is the loop's training env (built from the same configuration, on the same device). The actions are
    drawn beforehand, uniformly inside the bounds, so the loop does nothing but step.
    """
    env = make_env_from_config(cfg.env, cfg.seed, resolve_run_devices(cfg).env)
    try:
        spec = env.spec
        generator = torch.Generator().manual_seed(cfg.seed)
        low, high = spec.action_low.cpu(), spec.action_high.cpu()
        bank = [
            (low + (high - low) * torch.rand(spec.num_envs, spec.action_dim, generator=generator)).to(spec.device)
            for _ in range(_ACTION_BANK)
        ]
        for i in range(min(steps, _ACTION_BANK)):  # first calls: lazy allocations, caches
            env.step(bank[i])
        rates = []
        for _ in range(windows):
            synchronize(spec.device)
            start = time.perf_counter()
            for i in range(steps):
                env.step(bank[i % _ACTION_BANK])
            synchronize(spec.device)
            rates.append(steps * spec.num_envs / (time.perf_counter() - start))
        return rates
    finally:
        env.close()


# ---------------------------------------------------------------------------------------------------- loop


def loop_config(case: Case, args: argparse.Namespace, steps: int, run_dir: Path) -> RunConfig:
    """The run configuration of the loop measurement: paper networks, updates off, one window of warm-up."""
    cfg = RunConfig(seed=args.seed, device=args.device, num_threads=args.threads or 0)
    n = case.num_envs
    cfg.env.name, cfg.env.task, cfg.env.num_envs, cfg.env.num_eval_envs = case.family, case.task, n, 1
    on_learner = case.family == "torch"  # built-in tasks run on any device; the CPU simulators stay on the CPU
    cfg.env.device = args.device if on_learner else "cpu"
    cfg.buffer.device = "auto" if on_learner else "cpu"
    if args.small_nets:
        cfg.agent.actor_hidden_dim, cfg.agent.actor_num_blocks = 64, 1
        cfg.agent.critic_hidden_dim, cfg.agent.critic_num_blocks = 128, 1
    windows_total = 1 + _SETTLE_WINDOWS + args.windows  # warm-up, settle, measured
    total = windows_total * steps * n
    cfg.buffer.min_size = steps * n  # the first window acts at random, as the trainer's warm-up does
    # The buffer holds the whole run (write cost does not depend on capacity) and at least one batch.
    cfg.buffer.capacity = max(total, n * (cfg.agent.n_step + 1), cfg.train.batch_size)
    cfg.train.num_env_steps = total
    cfg.train.updates_per_vector_step = 0.0  # collection only: the loop without gradient updates
    cfg.train.log_every_env_steps = steps * n  # one perf/env_steps_per_s per window
    cfg.train.eval_every_env_steps = 0  # only the initial and final evaluations, outside the measured windows
    cfg.train.num_eval_episodes = 1
    cfg.logging.run_dir = str(run_dir)
    cfg.logging.progress = False
    validate(cfg)
    return cfg


def window_rates(rows: list[dict[str, Any]], window_env_steps: int, skip_windows: int) -> list[float]:
    """The trainer's ``perf/env_steps_per_s`` of every window after the first ``skip_windows``.

    Args:
        rows: The records of ``scalars.jsonl``.
        window_env_steps: Env steps per window (the log interval).
        skip_windows: Leading windows to drop (warm-up and settling).
    """
    return [
        float(row["perf/env_steps_per_s"])
        for row in rows
        if "perf/env_steps_per_s" in row and row["env_steps"] > skip_windows * window_env_steps
    ]


def time_actor(trainer: Trainer, steps: int, windows: int) -> float:
    """Seconds per ``agent.act`` call on the loop's last observation batch, as the loop calls it."""
    obs, device, learner = trainer.state.obs, trainer.env.spec.device, trainer.parts.devices.learner
    for _ in range(min(steps, 10)):
        trainer.agent.act(obs).to(device)
    synchronize(learner)
    start = time.perf_counter()
    for _ in range(steps * windows):
        trainer.agent.act(obs).to(device)
    synchronize(learner)
    return (time.perf_counter() - start) / (steps * windows)


def measure_loop(cfg: RunConfig, run_dir: Path, windows: int, steps: int) -> tuple[list[float], float]:
    """Run the trainer with updates off; return its per-window env-steps/s and the actor's seconds per call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. inexact final observations: irrelevant to the timing
        trainer = Trainer(cfg, run_dir)
        trainer.run()
    rows = [json.loads(line) for line in (run_dir / "scalars.jsonl").read_text().splitlines() if line.strip()]
    rates = window_rates(rows, steps * cfg.env.num_envs, 1 + _SETTLE_WINDOWS)
    if len(rates) != windows:
        raise RuntimeError(f"expected {windows} measured windows in the trainer's log, found {len(rates)}")
    return rates, time_actor(trainer, steps, windows)


# ---------------------------------------------------------------------------------------------------- cases


def overall_rate(rates: list[float]) -> float:
    """Env-steps/s over equal-sized windows: total steps over total time (the harmonic mean of the rates)."""
    return len(rates) / sum(1.0 / rate for rate in rates)


def split_step_time(num_envs: int, raw_rate: float, loop_rate: float, actor_s: float) -> dict[str, float]:
    """Microseconds per vector step: the loop's total, and its split into env step, actor forward and the rest.

    ``rest`` is what the loop itself adds (guards, buffer writes, reward statistics, bookkeeping, logging);
    ``ratio_without_actor`` is the ratio the loop would reach if acting were free.
    """
    loop_us, env_us, actor_us = 1e6 * num_envs / loop_rate, 1e6 * num_envs / raw_rate, 1e6 * actor_s
    rest_us = loop_us - env_us - actor_us
    return {
        "loop_us_per_vector_step": loop_us,
        "env_us_per_vector_step": env_us,
        "actor_us_per_vector_step": actor_us,
        "rest_us_per_vector_step": rest_us,
        # Capped at 1: timing noise can make loop - actor come out below the raw step time.
        "ratio_without_actor": env_us / max(loop_us - actor_us, env_us),
    }


def run_case(case: Case, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one case; a missing simulator skips it (with the install command), other failures are recorded."""
    steps = args.window_steps or window_steps(case.num_envs, "quick" if args.quick else "full")
    record: dict[str, Any] = {
        "case": case.label,
        "family": case.family,
        "task": case.task,
        "num_envs": case.num_envs,
        "window_vector_steps": steps,
        "windows": args.windows,
    }
    try:
        with tempfile.TemporaryDirectory(prefix="flashsac-bench-loop-") as tmp:
            run_dir = Path(tmp) / "run"
            cfg = loop_config(case, args, steps, run_dir)  # raw and loop step the same env
            raw = measure_raw(cfg, args.windows, steps)
            loop, actor_s = measure_loop(cfg, run_dir, args.windows, steps)
    except MissingSimulatorError as err:
        return record | {"status": "skipped", "error": str(err)}
    except Exception as err:  # record and go on: the other cases still say something
        return record | {"status": "error", "error": f"{type(err).__name__}: {' '.join(str(err).split())}"[:2000]}
    raw_rate, loop_rate = overall_rate(raw), overall_rate(loop)
    record |= {
        "status": "ok",
        "raw_env_steps_per_s": raw_rate,
        "loop_env_steps_per_s": loop_rate,
        "ratio": loop_rate / raw_rate,
        "meets_target": loop_rate / raw_rate >= TARGET_RATIO,
        "raw_window_rates": [round(r, 1) for r in raw],
        "loop_window_rates": [round(r, 1) for r in loop],
        "loop_window_spread": (max(loop) - min(loop)) / statistics.median(loop),
    }
    return record | split_step_time(case.num_envs, raw_rate, loop_rate, actor_s)


def summary_line(record: dict[str, Any]) -> str:
    """One line per case, e.g. ``loop_overhead torch/pendulum-swingup:64: loop 9,800 / raw 41,000 ...``."""
    head = f"{BENCHMARK} {record['case']}"
    if record["status"] != "ok":
        return f"{head}: {record['status'].upper()} ({record['error'][:300]})"
    r = record
    return (
        f"{head}: loop {r['loop_env_steps_per_s']:,.0f} / raw {r['raw_env_steps_per_s']:,.0f} env-steps/s"
        f" = ratio {r['ratio']:.2f} (target {TARGET_RATIO}); per vector step {r['loop_us_per_vector_step']:,.0f} us"
        f" = env {r['env_us_per_vector_step']:,.0f} + actor {r['actor_us_per_vector_step']:,.0f}"
        f" + rest {r['rest_us_per_vector_step']:,.0f}; without the actor: ratio {r['ratio_without_actor']:.2f}"
    )


# ---------------------------------------------------------------------------------------------------- figure


def plot(result: dict[str, Any], path: Path) -> None:
    """Two panels: raw vs loop env-steps/s per case (ratio on top), and the split of one vector step's time."""
    plt = pyplot()

    records = [r for r in result["records"] if r["status"] == "ok"]
    fig, (rates_ax, split_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    labels = [f"{r['task']}\n{r['num_envs']} env{'s' if r['num_envs'] > 1 else ''}" for r in records]
    x = list(range(len(records)))
    raw = [r["raw_env_steps_per_s"] for r in records]
    loop = [r["loop_env_steps_per_s"] for r in records]
    rates_ax.bar([i - 0.2 for i in x], raw, width=0.4, label="raw env.step")
    rates_ax.bar([i + 0.2 for i in x], loop, width=0.4, label="training loop, updates off")
    for i, record in enumerate(records):
        rates_ax.annotate(f"{record['ratio']:.2f}", (i + 0.2, loop[i]), ha="center", va="bottom", fontsize=8)
    rates_ax.set_yscale("log")
    rates_ax.set_ylabel("env steps / s")
    rates_ax.set_title(f"loop / raw (target >= {TARGET_RATIO})")
    parts = [
        ("env_us_per_vector_step", "env step"),
        ("actor_us_per_vector_step", "actor forward"),
        ("rest_us_per_vector_step", "rest of the loop"),
    ]
    bottom = [0.0] * len(records)
    # Shares of the sum of the parts: timing noise can make "rest" come out slightly negative (drawn as 0).
    totals = [sum(max(r[key], 0.0) for key, _ in parts) for r in records]
    for key, name in parts:
        share = [max(r[key], 0.0) / total for r, total in zip(records, totals, strict=True)]
        split_ax.bar(x, share, bottom=bottom, label=name)
        bottom = [b + s for b, s in zip(bottom, share, strict=True)]
    split_ax.set_ylabel("share of one loop step")
    split_ax.set_title("where a vector step's time goes")
    for ax in (rates_ax, split_ax):
        ax.set_xticks(x, labels, fontsize=8)
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    machine = result["machine_info"]
    threads = machine["torch_threads"]
    fig.suptitle(
        f"{BENCHMARK}: {machine['device_name']}, {threads} thread{'s' if threads != 1 else ''}, {machine['date'][:10]}"
    )
    save_figure(fig, path, dpi=110)


# ---------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Measure every case, print one line each and a summary, write the JSON and the PNG."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    args.device = str(device)
    for case in args.cases:  # a typo fails at once; a simulator that is not installed skips its case later
        try:
            check_env(case.family, case.task)
        except MissingSimulatorError:
            pass
        except UnknownTaskError as err:
            print(f"flashsac bench loop: error: case {case.label}: {err}", file=sys.stderr)
            return 2
    result: dict[str, Any] = {
        "benchmark": BENCHMARK,
        "machine_info": machine_info(device),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "cases"},
        "cases": [case.label for case in args.cases],
        "target_ratio": TARGET_RATIO,
        "networks": "one-block small networks (preset=quick's)"
        if args.small_nets
        else "paper-size networks (AgentConfig defaults)",
        "records": [],
    }
    for case in args.cases:
        record = run_case(case, args)
        result["records"].append(record)
        print(summary_line(record), flush=True)
        write_json(args.out, result)  # after every case: an interrupted run keeps what it measured
    ok = [r for r in result["records"] if r["status"] == "ok"]
    if ok:
        plot(result, png_path(args.out))
    ratios = ", ".join(f"{r['case']} {r['ratio']:.2f}" for r in ok)
    print(f"{BENCHMARK}: loop/raw ratio {ratios or 'none measured'}; wrote {args.out} and {png_path(args.out)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

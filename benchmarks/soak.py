"""Soak test: train on the built-in batched task for >= 1 M env steps and record RSS and throughput over time.

The replay buffer is small (200k transitions by default), so it fills early; from then on nothing in the loop
should allocate for good, and the resident set size (RSS) must stay flat. A leak (tensors kept alive by
logging, a growing list of metrics, autograd graphs held across updates, fragmentation) shows up as RSS that
keeps climbing after the fill. Run from the repository root::

    python benchmarks/soak.py                          # 1 M env steps, 1024 envs, 200k buffer
    python benchmarks/soak.py --env-steps 300000       # shorter
    nice -n 10 python benchmarks/soak.py --num-envs 4096 --buffer-capacity 500000

It drives the real :class:`flashsac.trainer.Trainer` (collect, store, learn, log to TensorBoard/CSV/JSONL,
evaluate, checkpoint) with small networks and few updates per vector step, so the run is dominated by the
env/buffer/logging path rather than by gradient updates. A background thread samples RSS and the trainer's
env-step counter every ``--sample-interval`` seconds. Results: ``benchmarks/results/soak.json`` and a plot
``soak.png`` beside it, plus a one-line summary.

"Flat" means: RSS at the end of the run exceeds RSS at the moment the buffer filled by less than
``--max-growth-mb`` MB **or** by less than ``--max-growth-pct`` percent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from flashsac.cli.compose import compose_config
from flashsac.config.schema import RunConfig
from flashsac.config.validate import validate
from flashsac.tools.bench.common import machine_info, write_json
from flashsac.trainer import Trainer

BENCHMARK = "soak"
_RESULTS = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------------------------------------------- memory


def rss_bytes() -> int:
    """Resident set size of this process: psutil where installed, else ``VmRSS`` of /proc/self/status."""
    try:
        import psutil  # pyright: ignore[reportMissingModuleSource]  # optional: /proc is the fallback
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.Process().memory_info().rss)
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024  # reported in kB
    raise RuntimeError("cannot read RSS: install psutil (pip install psutil) on a system without /proc")


@dataclass
class Sample:
    """One reading of the sampler thread."""

    t_s: float
    env_steps: int
    rss_mb: float
    env_steps_per_s: float | None  # since the previous sample; None for the first


class Sampler(threading.Thread):
    """Samples RSS and ``trainer.env_steps`` every ``interval`` seconds until :meth:`stop`.

    A thread rather than a hook in the loop: the trainer stays untouched, and a sleeping thread costs the
    training loop nothing measurable (it holds the GIL for microseconds per sample).
    """

    def __init__(self, trainer: Trainer, interval: float) -> None:
        super().__init__(name="soak-sampler", daemon=True)
        self.trainer, self.interval = trainer, interval
        self.samples: list[Sample] = []
        self._stop_event = threading.Event()
        self._start = time.perf_counter()

    def sample(self) -> Sample:
        """Take one reading now and append it."""
        now, steps = time.perf_counter() - self._start, int(self.trainer.env_steps)
        rate = None
        if self.samples:
            last = self.samples[-1]
            rate = (steps - last.env_steps) / max(now - last.t_s, 1e-9)
        reading = Sample(round(now, 3), steps, round(rss_bytes() / 2**20, 2), None if rate is None else round(rate, 1))
        self.samples.append(reading)
        return reading

    def run(self) -> None:
        """Thread body: sample until stopped."""
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop_event.set()
        self.join()


# ---------------------------------------------------------------------------------------------------- config


def soak_config(args: argparse.Namespace, run_dir: Path) -> RunConfig:
    """The run configuration: small preset, many envs, small buffer, few updates, no periodic eval/checkpoint."""
    overrides = [
        "env=torch",
        "preset=small",
        f"env.task={args.task}",
        f"env.num_envs={args.num_envs}",
        "env.num_eval_envs=16",
        "device=cpu",
        f"seed={args.seed}",
        f"buffer.capacity={args.buffer_capacity}",
        f"buffer.min_size={max(2000, 2 * args.num_envs)}",
        f"train.num_env_steps={args.env_steps}",
        f"train.batch_size={args.batch_size}",
        f"train.updates_per_vector_step={args.updates_per_vector_step}",
        "train.eval_every_env_steps=0",  # only the initial and the final evaluation
        "train.checkpoint_every_env_steps=0",  # only the final checkpoint
        f"train.log_every_env_steps={args.log_every}",
        "logging.progress=false",
        "logging.tensorboard=true",
        "logging.csv=true",
        "logging.jsonl=true",
        "logging.wandb=false",
        f"logging.run_dir={run_dir}",
    ]
    cfg = compose_config(overrides)
    validate(cfg)
    return cfg


# ---------------------------------------------------------------------------------------------------- analysis


def _slope_mb_per_100k(samples: list[Sample]) -> float | None:
    """Least-squares slope of RSS against env steps, in MB per 100k env steps (None with < 2 distinct x)."""
    xs = [s.env_steps for s in samples]
    if len(set(xs)) < 2:
        return None
    slope = statistics.linear_regression(xs, [s.rss_mb for s in samples]).slope
    return round(slope * 100_000, 3)


def analyse(
    samples: list[Sample], full_at_env_steps: int, total_env_steps: int, max_mb: float, max_pct: float
) -> dict[str, Any]:
    """RSS at buffer-full vs at the end of the training loop, growth, slope, and the flat/not-flat verdict.

    The end is the last sample taken inside the training loop (``env_steps`` below the budget). The final
    evaluation, checkpoint and summary that follow allocate once; they are reported as ``rss_after_run_mb``
    but are not growth of the loop.
    """
    after_full = [s for s in samples if full_at_env_steps <= s.env_steps < total_env_steps]
    if not after_full:
        return {
            "flat": None,
            "reason": "no sample after the buffer filled: raise --env-steps or lower --buffer-capacity",
        }
    at_full, end = after_full[0], after_full[-1]
    growth_mb = end.rss_mb - at_full.rss_mb
    growth_pct = 100.0 * growth_mb / at_full.rss_mb
    rates = [s.env_steps_per_s for s in after_full if s.env_steps_per_s is not None]
    return {
        "buffer_full_at_env_steps": full_at_env_steps,
        "rss_start_mb": samples[0].rss_mb,
        "rss_at_buffer_full_mb": at_full.rss_mb,
        "rss_at_buffer_full_env_steps": at_full.env_steps,
        "rss_end_mb": end.rss_mb,
        "rss_end_env_steps": end.env_steps,
        "rss_after_run_mb": samples[-1].rss_mb,
        "rss_min_after_full_mb": min(s.rss_mb for s in after_full),
        "rss_max_after_full_mb": max(s.rss_mb for s in after_full),
        "rss_growth_after_full_mb": round(growth_mb, 2),
        "rss_growth_after_full_pct": round(growth_pct, 3),
        "rss_slope_after_full_mb_per_100k_env_steps": _slope_mb_per_100k(after_full),
        "samples_after_full": len(after_full),
        "env_steps_per_s_after_full_median": statistics.median(rates) if rates else None,
        "env_steps_per_s_after_full_p10": statistics.quantiles(rates, n=10)[0] if len(rates) >= 2 else None,
        "env_steps_per_s_after_full_p90": statistics.quantiles(rates, n=10)[-1] if len(rates) >= 2 else None,
        "flat_criterion": f"growth < {max_mb:g} MB or < {max_pct:g}%",
        "flat": bool(growth_mb < max_mb or growth_pct < max_pct),
    }


def plot(samples: list[Sample], analysis: dict[str, Any], title: str, path: Path) -> None:
    """RSS and throughput against env steps, the buffer-full point marked."""
    import matplotlib

    matplotlib.use("Agg")  # no display on CI and benchmark machines
    import matplotlib.pyplot as plt

    steps = [s.env_steps / 1e6 for s in samples]
    fig, (ax_rss, ax_rate) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    ax_rss.plot(steps, [s.rss_mb for s in samples], color="tab:blue")
    ax_rss.set_ylabel("RSS (MB)")
    rated = [(s.env_steps / 1e6, s.env_steps_per_s) for s in samples if s.env_steps_per_s is not None]
    ax_rate.plot([x for x, _ in rated], [y for _, y in rated], color="tab:green")
    ax_rate.set_ylabel("env steps / s")
    ax_rate.set_xlabel("env steps (M)")
    full = analysis.get("buffer_full_at_env_steps")
    if full is not None:
        for ax in (ax_rss, ax_rate):
            ax.axvline(full / 1e6, color="grey", linestyle="--", label="buffer full")
        ax_rss.scatter(
            [analysis["rss_at_buffer_full_env_steps"] / 1e6, analysis["rss_end_env_steps"] / 1e6],
            [analysis["rss_at_buffer_full_mb"], analysis["rss_end_mb"]],
            color="tab:red",
            zorder=3,
            label="compared (full, loop end)",
        )
        ax_rss.legend(loc="lower right")
    if analysis.get("flat") is not None:
        ax_rss.set_title(
            f"{title}\nRSS growth after buffer full: {analysis['rss_growth_after_full_mb']:+.1f} MB "
            f"({analysis['rss_growth_after_full_pct']:+.2f}%) -> {'flat' if analysis['flat'] else 'NOT flat'}"
        )
    for ax in (ax_rss, ax_rate):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train the built-in batched task for >= 1 M env steps; record RSS and throughput over time."
    )
    parser.add_argument("--env-steps", type=int, default=1_000_000, help="env steps over all envs (default 1M)")
    parser.add_argument("--num-envs", type=int, default=1024, help="batched envs (default 1024)")
    parser.add_argument("--buffer-capacity", type=int, default=200_000, help="replay transitions (default 200k)")
    parser.add_argument("--task", default="pendulum-swingup", help="built-in torch task")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--updates-per-vector-step", type=float, default=0.25, help="U (default 0.25)")
    parser.add_argument("--log-every", type=int, default=16_384, help="trainer log interval in env steps")
    parser.add_argument("--sample-interval", type=float, default=1.0, help="seconds between RSS samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's choice)")
    parser.add_argument("--max-growth-mb", type=float, default=50.0, help="flat if growth is below this ...")
    parser.add_argument("--max-growth-pct", type=float, default=5.0, help="... or below this percentage")
    parser.add_argument("--out-dir", type=Path, default=None, help="run directory (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=_RESULTS / "soak.json", help="result JSON; the PNG goes beside")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the soak, write JSON and PNG, print the summary; exit code 1 when RSS is not flat."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="flashsac-soak-") as tmp:
        run_dir = args.out_dir if args.out_dir is not None else Path(tmp) / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        cfg = soak_config(args, run_dir)
        result: dict[str, Any] = {
            "benchmark": BENCHMARK,
            "machine": machine_info(torch.device("cpu")),
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        }
        # The trainer plots its learning curve after the loop, importing matplotlib then; importing it now puts
        # that one-off cost into the baseline instead of making it look like growth at the end.
        import matplotlib.pyplot  # noqa: F401

        rss_before_trainer = rss_bytes() / 2**20
        trainer = Trainer(cfg, run_dir)
        buffer = trainer.buffer
        # The ring holds capacity // num_envs steps per env: it is full once that many vector steps were added.
        full_at = buffer.steps_per_env * buffer.num_envs
        sampler = Sampler(trainer, args.sample_interval)
        sampler.sample()
        sampler.start()
        start = time.perf_counter()
        try:
            train_result = trainer.run()
        finally:
            sampler.stop()
        wall_s = time.perf_counter() - start
        sampler.sample()  # after the final evaluation and checkpoint: the run's last word on memory
        samples = sampler.samples
        analysis = analyse(samples, full_at, cfg.train.num_env_steps, args.max_growth_mb, args.max_growth_pct)
        result |= {
            "config": asdict(cfg),
            "rss_before_trainer_mb": round(rss_before_trainer, 2),
            "buffer_capacity_effective": full_at,
            "wall_s": round(wall_s, 2),
            "env_steps": train_result.env_steps,
            "update_steps": train_result.update_steps,
            "env_steps_per_s_overall": round(train_result.env_steps / wall_s, 1),
            "final_eval_return": train_result.final_eval.get("eval/avg_return"),
            "load_average_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "analysis": analysis,
            "samples": [asdict(s) for s in samples],
        }
        png = args.out.with_suffix(".png")
        plot(samples, analysis, f"flashsac soak: {args.task}, {args.num_envs} envs, buffer {full_at:,}", png)
        result["plot"] = str(png)
        write_json(args.out, result)
    if analysis.get("flat") is None:
        print(f"{BENCHMARK}: {analysis['reason']} (wrote {args.out})")
        return 1
    slope = analysis["rss_slope_after_full_mb_per_100k_env_steps"]
    print(
        f"{BENCHMARK}: {train_result.env_steps:,} env steps in {wall_s:.0f} s "
        f"({result['env_steps_per_s_overall']:,.0f} env-steps/s overall, median after fill "
        f"{analysis['env_steps_per_s_after_full_median']:,.0f}); RSS {analysis['rss_start_mb']:.0f} MB at start, "
        f"{analysis['rss_at_buffer_full_mb']:.0f} MB at buffer full ({full_at:,} env steps), "
        f"{analysis['rss_end_mb']:.0f} MB at loop end: growth {analysis['rss_growth_after_full_mb']:+.1f} MB "
        f"({analysis['rss_growth_after_full_pct']:+.2f}%), slope "
        + (f"{slope:+.2f}" if slope is not None else "n/a")
        + f" MB/100k steps, {analysis['rss_after_run_mb']:.0f} MB after final eval/checkpoint -> "
        f"{'FLAT' if analysis['flat'] else 'NOT FLAT'} ({analysis['flat_criterion']}); wrote {args.out} and {png}"
    )
    return 0 if analysis["flat"] else 1


if __name__ == "__main__":
    sys.exit(main())

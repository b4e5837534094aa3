"""Collect Go2 CPU training runs into one result: evaluation curves, settings and measured gaits.

Each run directory is a ``flashsac train env=genesis ...`` run; where its last checkpoint was measured with
``benchmarks/go2_gait.py`` (``checkpoints/gait_final.json``, or ``gait_step_N.json`` of a stopped run) the gait
is included. Writes ``benchmarks/results/go2_cpu_walk.json`` and a PNG of the curves, with the 11.4 return a
perfectly still robot can earn marked::

    python benchmarks/go2_cpu_report.py LABEL=RUN_DIR [LABEL=RUN_DIR ...]
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import matplotlib
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

_RESULTS = Path(__file__).resolve().parent / "results"
OUT = _RESULTS / "go2_cpu_walk.json"
# Standing still under the 0.5 m/s command: velocity tracking exp(-0.5^2 / 0.25) plus yaw tracking 0.2 * exp(0),
# times the 0.02 s control period, over 1000 steps, with every penalty at zero.
STANDING_STILL_MAX = 1000 * 0.02 * (math.exp(-1.0) + 0.2)


def _curve(run_dir: Path, key: str) -> list[tuple[int, float]]:
    with (run_dir / "scalars.csv").open() as handle:
        return [(int(r["env_steps"]), float(r["value"])) for r in csv.DictReader(handle) if r["key"] == key]


def _last_gait(run_dir: Path) -> Path | None:
    """The gait measured on the run's final checkpoint, else on its newest periodic one, else ``None``."""
    final = run_dir / "checkpoints" / "gait_final.json"
    if final.exists():
        return final
    steps = sorted(run_dir.glob("checkpoints/gait_step_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    return steps[-1] if steps else None


def _settings(run_dir: Path) -> dict[str, Any]:
    """The settings that tell the runs apart, from the run's resolved ``config.yaml``."""
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    env, agent, train = cfg["env"], cfg["agent"], cfg["train"]
    return {
        **{key: env[key] for key in ("num_envs", "action_bounds", "action_bound", "joint_limit_fraction", "final_obs")},
        "privileged_critic": (env.get("options") or {}).get("privileged_critic"),
        "gamma": agent["gamma"],
        "n_step": agent["n_step"],
        "temp_target_sigma": agent["temp_target_sigma"],
        "batch_size": train["batch_size"],
        "updates_per_vector_step": train["updates_per_vector_step"],
    }


def main(argv: list[str]) -> int:
    """Write the JSON and PNG for the runs given as ``LABEL=RUN_DIR``."""
    runs = []
    for item in argv:
        label, _, path = item.partition("=")
        run_dir = Path(path)
        gait_file = _last_gait(run_dir)
        gait = None if gait_file is None else json.loads(gait_file.read_text())
        # A run stopped before its budget (a dead end of the ablation) has no summary: its wall time is that of
        # its last logged scalar.
        summary_file = run_dir / "summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
        wall = summary.get("wall_time_s", summary.get("wall_time"))
        if wall is None:
            with (run_dir / "scalars.csv").open() as handle:
                wall = max(float(r["wall_time"]) for r in csv.DictReader(handle))
        runs.append(
            {
                "label": label,
                "run_dir": str(run_dir),
                "settings": _settings(run_dir),
                "wall_s": wall,
                "completed": summary_file.exists(),
                "eval_return": _curve(run_dir, "eval/avg_return"),
                "eval_length": _curve(run_dir, "eval/avg_length"),
                "gait_checkpoint": None if gait_file is None else gait_file.name,
                "gait_final": None if gait is None else gait["mean"],
            }
        )
    payload = {"benchmark": "go2_cpu_walk", "standing_still_max_return": STANDING_STILL_MAX, "runs": runs}
    OUT.write_text(json.dumps(payload, indent=1) + "\n")
    fig, ax = plt.subplots(figsize=(7, 4))
    for run in runs:
        steps, values = zip(*run["eval_return"], strict=True)
        ax.plot(steps, values, label=run["label"])
    ax.axhline(
        STANDING_STILL_MAX, color="grey", linestyle="--", label=f"standing still, best case ({STANDING_STILL_MAX:.1f})"
    )
    ax.set_xlabel("env steps")
    ax.set_ylabel("evaluation return (16 episodes)")
    ax.set_title("genesis/go2-walk_easy on 2 CPU cores, preset genesis_cpu")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT.with_suffix(".png"), dpi=100)
    for run in runs:
        gait = run["gait_final"] or {}
        print(
            f"{run['label']}: final return {run['eval_return'][-1][1]:.2f}, forward speed {gait.get('forward_speed')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

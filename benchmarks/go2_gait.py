"""Does a Go2 policy walk? Roll a checkpoint's deterministic policy on Genesis and measure its gait.

The evaluation return of ``go2-walk_easy`` alone does not say whether the robot walks: standing still under the
0.5 m/s command already earns about 6.1 per 1000-step episode (velocity tracking ``exp(-0.5^2 / 0.25)``), so a
return near 6 is a robot that stands. This script measures what walking means instead, per env over one
episode of the checkpoint's task (Genesis' CPU or CUDA backend, in the venv of the ``genesis`` extra)::

    python benchmarks/go2_gait.py runs/.../checkpoints/final.pt                       # 16 envs, JSON beside it
    python benchmarks/go2_gait.py runs/.../checkpoints/step_1000000.pt --num-envs 32 --out gait.json

* **survived**: the episode reached the time limit without a roll/pitch termination (a fall);
* **forward speed**: mean body-frame forward velocity (m/s) over the steps before the episode ended, against
  the 0.5 m/s command;
* **distance**: how far the base moved along the world x axis (m) before the episode ended;
* **return** and **length** of the episode, as ``flashsac eval`` computes them.

Each env runs exactly one episode: after its first episode ends (same-step autoreset), its later steps are not
counted. The result JSON holds the per-env values and their means.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import torch

from flashsac.envs.registry import make_env_from_config
from flashsac.evaluation.policy import load_policy
from flashsac.tools.bench.common import machine_info

GO2_TASKS = ("go2-walk_easy", "go2-walk")
EVAL_SEED = 12345


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="go2_gait.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path, help="a checkpoint of an env=genesis Go2 run")
    parser.add_argument("--num-envs", type=int, default=16, help="envs, one episode each")
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default: gait_<checkpoint>.json beside it)")
    return parser


def measure(checkpoint: Path, num_envs: int, seed: int) -> dict[str, Any]:
    """Roll one episode per env with the checkpoint's deterministic policy; per-env gait figures and means."""
    policy = load_policy(checkpoint)
    cfg = policy.cfg
    if cfg.env.name != "genesis" or cfg.env.task not in GO2_TASKS:
        raise SystemExit(f"go2_gait.py: {checkpoint} is a {cfg.env.name}/{cfg.env.task} run, not a Genesis Go2 task")
    env = make_env_from_config(cfg.env, seed, torch.device("cpu"), num_envs=num_envs)
    go2: Any = getattr(env, "inner", env)  # the Genesis task behind the bounds wrapper holds the robot's state
    try:
        obs, _ = env.reset(seed)
        start_x = go2.base_pos[:, 0].clone()
        running = torch.ones(num_envs, dtype=torch.bool)
        steps = torch.zeros(num_envs)
        speed_sum = torch.zeros(num_envs)
        returns = torch.zeros(num_envs)
        distance = torch.zeros(num_envs)
        fell = torch.zeros(num_envs, dtype=torch.bool)
        with torch.no_grad():
            while running.any():
                step = env.step(policy.act(obs))
                # Read before an ended env is reset: these belong to s_{t+1}, not to the next episode's start.
                speed, x = step.info["forward_velocity"], step.info["base_x"]
                returns += torch.where(running, step.reward, 0.0)
                speed_sum += torch.where(running, speed, 0.0)
                steps += running.float()
                ended = running & step.done
                distance = torch.where(ended, x - start_x, distance)
                fell |= ended & step.terminated
                running &= ~step.done
                obs = step.obs
    finally:
        env.close()
    per_env = {
        "survived": (~fell).tolist(),
        "forward_speed": (speed_sum / steps).tolist(),
        "distance": distance.tolist(),
        "return": returns.tolist(),
        "length": steps.int().tolist(),
    }
    means = {key: statistics.fmean(float(v) for v in values) for key, values in per_env.items()}
    return {
        "benchmark": "go2_gait",
        "machine_info": machine_info(torch.device("cpu")),
        "checkpoint": str(checkpoint),
        "task": cfg.env.task,
        "trained_env_steps": policy.env_steps,
        "num_envs": num_envs,
        "seed": seed,
        "command_speed": 0.5 if cfg.env.task == "go2-walk_easy" else None,
        "mean": means,
        "per_env": per_env,
    }


def main(argv: list[str]) -> int:
    """Measure, print one summary line and write the JSON."""
    args = _parser().parse_args(argv)
    result = measure(args.checkpoint, args.num_envs, args.seed)
    out = args.out or args.checkpoint.with_name(f"gait_{args.checkpoint.stem}.json")
    out.write_text(json.dumps(result, indent=1) + "\n")
    m = result["mean"]
    print(
        f"go2_gait: {result['task']} after {result['trained_env_steps']:,} env steps: survived {m['survived']:.0%}, "
        f"forward speed {m['forward_speed']:.3f} m/s, distance {m['distance']:.2f} m, return {m['return']:.2f}, "
        f"length {m['length']:.0f} ({out})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

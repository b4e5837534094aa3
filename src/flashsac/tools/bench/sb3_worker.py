"""The Stable-Baselines3 side of ``flashsac bench sb3``: one SAC run in its own interpreter, results as JSON.

Run by :mod:`flashsac.tools.bench.sb3_compare` as
``python -m flashsac.tools.bench.sb3_worker --task T --budget N --seed S --threads K --episodes E --out result.json``.
SB3's SAC keeps every default hyper-parameter (``MlpPolicy``); only
the seed, the CPU device and the thread count are set. The timed window is ``model.learn`` alone: interpreter
start-up, imports, model construction and the final evaluation are outside it (the parent process also
records the whole process's wall-clock and CPU time).
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from flashsac.runtime.seeding import EVAL_SEED_OFFSET

__all__ = ["SB3_FIX", "family_and_task", "main", "make_gym_env", "run"]

"""Added to the run seed for the evaluation env, as flashsac's trainer and ``flashsac eval`` do."""
SB3_FIX = "pip install 'flashsac[bench]'"


FAMILIES = ("mujoco", "dmc")
"""Families a comparison task may name as ``family/task``; a bare id is a gymnasium (``mujoco``) id."""


def family_and_task(name: str) -> tuple[str, str]:
    """Split ``dmc/cartpole-swingup`` into ``("dmc", "cartpole-swingup")``; a bare id is ``("mujoco", id)``.

    Raises:
        ValueError: if the prefix before ``/`` is not one of :data:`FAMILIES`.
    """
    family, sep, task = name.partition("/")
    if not sep:
        return "mujoco", name
    if family not in FAMILIES:
        raise ValueError(f"task {name!r}: family {family!r} is not one of {', '.join(FAMILIES)}")
    return family, task


def make_gym_env(name: str, seed: int) -> Any:
    """The ``gymnasium.Env`` SB3 trains on: ``gym.make(id)``, or the DMC task of ``dmc/<domain-task>``.

    For DMC it is the same :class:`~flashsac.envs.adapters.dmc.DMCEnv` that flashsac's ``env=dmc`` steps (same
    flat observation and action box) under a 1000-step ``TimeLimit``, its task RNG seeded with ``seed``.
    """
    import gymnasium as gym

    family, task = family_and_task(name)
    if family == "mujoco":
        return gym.make(task)
    from flashsac.envs.adapters.dmc import DEFAULT_EPISODE_STEPS, DMCEnv

    domain, _, suite_task = task.partition("-")
    return gym.wrappers.TimeLimit(DMCEnv(domain, suite_task, seed=seed), max_episode_steps=DEFAULT_EPISODE_STEPS)


def _hyperparameters(model: Any) -> dict[str, Any]:
    """The SAC settings that matter for a comparison, read back from the model (not assumed)."""
    policy = model.policy
    return {
        "net_arch_actor": list(policy.net_args["net_arch"]),
        "net_arch_critic": list(policy.critic_kwargs["net_arch"]),
        "n_critics": int(policy.critic_kwargs["n_critics"]),
        "batch_size": int(model.batch_size),
        "buffer_size": int(model.buffer_size),
        "learning_starts": int(model.learning_starts),
        "gradient_steps": int(model.gradient_steps),
        "train_freq": f"{model.train_freq.frequency} {model.train_freq.unit.value}",
        "learning_rate": float(model.learning_rate) if not callable(model.learning_rate) else "schedule",
        "tau": float(model.tau),
        "gamma": float(model.gamma),
        "ent_coef": "auto" if model.ent_coef_optimizer is not None else float(model.ent_coef),
        "target_entropy": float(model.target_entropy),
        "target_update_interval": int(model.target_update_interval),
        "actor_numel": sum(p.numel() for p in policy.actor.parameters()),
        "critic_numel": sum(p.numel() for p in policy.critic.parameters()),
    }


def run(task: str, budget: int, seed: int, threads: int, episodes: int) -> dict[str, Any]:
    """Train SB3 SAC on ``task`` for ``budget`` env steps, then evaluate it deterministically.

    ``task`` is a gymnasium id or ``dmc/<domain-task>`` (:func:`make_gym_env`).

    Returns:
        A plain-data record: timings, update count, per-episode evaluation returns and lengths, hyper-parameters.
    """
    torch.set_num_threads(threads)
    import gymnasium as gym
    from stable_baselines3 import SAC
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    model = SAC("MlpPolicy", make_gym_env(task, seed), seed=seed, device="cpu", verbose=0)
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=budget)
    train_wall_s, train_cpu_s = time.perf_counter() - wall_start, time.process_time() - cpu_start

    # Monitor first, so returns and lengths are those of whole, unmodified episodes.
    eval_env = DummyVecEnv([lambda: Monitor(make_gym_env(task, seed + EVAL_SEED_OFFSET))])
    eval_env.seed(seed + EVAL_SEED_OFFSET)
    returns, lengths = evaluate_policy(
        model, eval_env, n_eval_episodes=episodes, deterministic=True, return_episode_rewards=True
    )
    eval_env.close()
    returns = [float(r) for r in returns]  # type: ignore[union-attr]  # a list with return_episode_rewards=True
    return {
        "framework": "sb3",
        "task": task,
        "seed": seed,
        "budget": budget,
        "env_steps": int(model.num_timesteps),
        "updates": int(model._n_updates),
        "train_wall_s": train_wall_s,
        "train_cpu_s": train_cpu_s,
        "eval_returns": returns,
        "eval_lengths": [int(n) for n in lengths],  # type: ignore[union-attr]
        "eval_mean": statistics.fmean(returns),
        "eval_std": statistics.pstdev(returns),
        "torch_threads": torch.get_num_threads(),
        "versions": {
            "stable_baselines3": importlib.import_module("stable_baselines3").__version__,
            "gymnasium": gym.__version__,
            "torch": torch.__version__,
        },
        "hyperparameters": _hyperparameters(model),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, write the JSON record; exit code 2 when Stable-Baselines3 is missing."""
    parser = argparse.ArgumentParser(prog="python -m flashsac.tools.bench.sb3_worker", description=__doc__)
    parser.add_argument("--task", required=True, help="gymnasium id (InvertedPendulum-v5) or dmc/<domain-task>")
    parser.add_argument("--budget", type=int, required=True, help="env steps to train for")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--episodes", type=int, default=10, help="deterministic evaluation episodes")
    parser.add_argument("--out", type=Path, required=True, help="JSON result file")
    args = parser.parse_args(argv)
    try:
        importlib.import_module("stable_baselines3")
    except ImportError as err:
        print(f"sb3_worker: stable-baselines3 cannot be imported ({err}); fix: {SB3_FIX}", file=sys.stderr)
        return 2
    record = run(args.task, args.budget, args.seed, args.threads, args.episodes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

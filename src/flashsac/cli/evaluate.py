"""``flashsac eval`` and ``flashsac play``: evaluate a checkpoint (table + JSON) or record it as an mp4.

Both rebuild the policy from the checkpoint alone (:func:`flashsac.evaluation.policy.load_policy`: tensors and plain
data only, never code) and the env from the configuration stored inside it. Progress goes to stderr, so the
results on stdout stay clean to read or pipe. Both also take a policy exported by ``flashsac export``
(``policy.onnx`` or ``policy.pt``, :func:`flashsac.export.exported.load_exported`), whose embedded manifest carries
the same configuration: the exported file then acts in the simulator.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flashsac.checkpointing.checkpoint_file import CheckpointError
from flashsac.config.derive import MIN_AUTO_EVAL_EPISODES, whole_rounds
from flashsac.config.validate import ConfigError
from flashsac.envs.protocol import EnvSpec, Step, VecEnv
from flashsac.envs.registry import make_env_from_config
from flashsac.evaluation.evaluate import EvalResult, evaluate
from flashsac.evaluation.policy import LoadedPolicy, load_policy
from flashsac.evaluation.video import default_fps, record_rollout, write_mp4
from flashsac.export.exported import ExportedPolicy, exported_format, load_exported
from flashsac.runtime.device import resolve_device
from flashsac.runtime.seeding import EVAL_SEED_OFFSET

__all__ = ["EVAL_HELP", "PLAY_HELP", "UsageError", "run_eval", "run_play"]

_FALLBACK_LIMIT = 1000  # steps per episode shown by the progress bar when the task has no time limit
_SOURCE_HELP = "a checkpoint file (runs/.../checkpoints/final.pt) or an exported policy.onnx / policy.pt"


class UsageError(ConfigError):
    """A command-line argument of ``eval``/``play`` is missing or invalid (shown as one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting, so errors become one line like every other."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError` with ``message`` (argparse would print usage and exit)."""
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _eval_parser() -> _Parser:
    parser = _Parser(
        prog="flashsac eval",
        description="Evaluate the deterministic policy of a checkpoint on the task it was trained on: a table "
        "on screen, per-episode returns and the summary as JSON.",
    )
    parser.add_argument("checkpoint", type=Path, help=_SOURCE_HELP)
    parser.add_argument(
        "--episodes", type=int, help="episodes to run (default: at least 10, in whole rounds of the envs)"
    )
    parser.add_argument("--num-envs", type=int, help="envs stepped together (default: the run's env.num_eval_envs)")
    parser.add_argument("--device", default="cpu", help="device of the policy and the env (cpu, cuda, auto)")
    parser.add_argument("--seed", type=int, help="seed of the first round (default: the run's evaluation seed)")
    parser.add_argument("--out", type=Path, help="JSON file (default: <run dir>/eval_<checkpoint name>.json)")
    return parser


def _play_parser() -> _Parser:
    parser = _Parser(
        prog="flashsac play",
        description="Record the deterministic policy of a checkpoint as an mp4 (offscreen rendering, no display "
        "needed); episodes follow one another in the same file.",
    )
    parser.add_argument("checkpoint", type=Path, help=_SOURCE_HELP)
    parser.add_argument("--episodes", type=int, default=1, help="episodes to record (default: 1)")
    parser.add_argument("--out", type=Path, help="mp4 file (default: <run dir>/videos/play_<checkpoint name>.mp4)")
    parser.add_argument("--fps", type=float, help="frames per second (default: real time, 1 / control step)")
    parser.add_argument("--device", default="cpu", help="device of the policy and the env (cpu, cuda, auto)")
    parser.add_argument("--seed", type=int, help="seed of the first episode (default: the run's evaluation seed)")
    return parser


EVAL_HELP = _eval_parser().format_help()
PLAY_HELP = _play_parser().format_help()


def _run_dir(checkpoint: Path) -> Path:
    """The run directory of a checkpoint: the parent of ``checkpoints/``, else the checkpoint's own folder."""
    parent = checkpoint.resolve().parent
    return parent.parent if parent.name == "checkpoints" else parent


def _positive(value: int | None, flag: str) -> None:
    if value is not None and value < 1:
        raise UsageError(f"{flag} must be >= 1, got {value}.")


@dataclass
class _Loaded:
    policy: LoadedPolicy | ExportedPolicy
    device: torch.device
    seed: int


def _load(checkpoint: Path, device_name: str, seed: int | None) -> _Loaded:
    try:
        device = resolve_device(device_name, "--device")
    except ValueError as err:
        raise UsageError(str(err)) from err
    try:
        policy = load_exported(checkpoint, device) if exported_format(checkpoint) else load_policy(checkpoint, device)
    except CheckpointError as err:
        # torch's unpickling errors span several lines; errors on this command line are one line each.
        raise CheckpointError(" ".join(str(err).split())) from err
    except (KeyError, TypeError) as err:  # a loadable file that lacks part of what flashsac stores
        raise CheckpointError(
            f"{checkpoint} is not a complete flashsac checkpoint ({type(err).__name__}: {err})."
        ) from err
    return _Loaded(policy, device, seed if seed is not None else policy.cfg.seed + EVAL_SEED_OFFSET)


def _make_env(loaded: _Loaded, num_envs: int, render: bool = False) -> VecEnv:
    """The checkpoint's task with the run's time limit; refuses an env the stored policy cannot act in."""
    cfg, stored = loaded.policy.cfg, loaded.policy.spec
    env = make_env_from_config(cfg.env, loaded.seed, loaded.device, num_envs=num_envs, render=render)
    spec = env.spec
    if (spec.obs_dim, spec.action_dim) != (stored.obs_dim, stored.action_dim):
        env.close()
        raise CheckpointError(
            f"the checkpoint's policy acts on obs_dim={stored.obs_dim}, action_dim={stored.action_dim}, but "
            f"{cfg.env.name}/{cfg.env.task} here has obs_dim={spec.obs_dim}, action_dim={spec.action_dim} "
            "(a different simulator version?)."
        )
    return env


def _progress(console: Console) -> Progress:
    # Transient: the bar disappears once done, leaving only the results on screen.
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


class _CountingEnv:
    """Forwards to ``env`` and reports every ``step`` (progress within an evaluation round)."""

    def __init__(self, env: VecEnv, on_step: Callable[[], None]) -> None:
        self._env, self._on_step = env, on_step

    @property
    def spec(self) -> EnvSpec:
        """The wrapped env's spec."""
        return self._env.spec

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reset the wrapped env."""
        return self._env.reset(seed)

    def step(self, action: torch.Tensor) -> Step:
        """Step the wrapped env and report it."""
        out = self._env.step(action)
        self._on_step()
        return out

    def close(self) -> None:
        """Close the wrapped env."""
        self._env.close()


@contextmanager
def _closing(env: VecEnv) -> Iterator[VecEnv]:
    try:
        yield env
    finally:
        env.close()


def _summary(result: EvalResult) -> dict[str, float]:
    returns = result.returns
    return {
        "mean_return": statistics.fmean(returns),
        "std_return": statistics.pstdev(returns) if len(returns) > 1 else 0.0,
        "min_return": min(returns),
        "max_return": max(returns),
        "mean_length": statistics.fmean(result.lengths),
        "success_once": statistics.fmean(float(s) for s in result.success_once),
        "success_end": statistics.fmean(float(s) for s in result.success_end),
    }


def _table(episodes: int, summary: dict[str, float]) -> Table:
    # One metric per row: stays readable on an 80-column (or narrower) terminal.
    table = Table(show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_row("episodes", str(episodes))
    table.add_row("return (mean ± std)", f"{summary['mean_return']:.1f} ± {summary['std_return']:.1f}")
    table.add_row("return (min / max)", f"{summary['min_return']:.1f} / {summary['max_return']:.1f}")
    table.add_row("episode length (mean)", f"{summary['mean_length']:.1f}")
    table.add_row("success (once / end)", f"{summary['success_once']:.0%} / {summary['success_end']:.0%}")
    return table


def run_eval(argv: list[str]) -> int:
    """Entry point of ``flashsac eval``; returns the process exit code.

    Raises:
        UsageError: for invalid arguments.
        CheckpointError: for a missing, unsafe or mismatched checkpoint.
        MissingSimulatorError: when the checkpoint's simulator is not installed.
    """
    args = _eval_parser().parse_args(argv)
    _positive(args.episodes, "--episodes")
    _positive(args.num_envs, "--num-envs")
    loaded = _load(args.checkpoint, args.device, args.seed)
    cfg = loaded.policy.cfg
    num_envs = args.num_envs or cfg.env.num_eval_envs
    if args.episodes is not None:
        episodes = args.episodes
        num_envs = min(num_envs, episodes)  # never step envs whose episodes would all be discarded
    else:
        episodes = whole_rounds(max(MIN_AUTO_EVAL_EPISODES, cfg.train.num_eval_episodes or 0), num_envs)
    rounds = math.ceil(episodes / num_envs)
    out = args.out or _run_dir(args.checkpoint) / f"eval_{args.checkpoint.stem}.json"

    console = Console(stderr=True)
    label = f"{cfg.env.name}/{cfg.env.task}"
    result = EvalResult([], [], [], [])
    start = time.perf_counter()
    with _closing(_make_env(loaded, num_envs)) as env, _progress(console) as progress:
        limit = env.spec.max_episode_steps or _FALLBACK_LIMIT
        bar = progress.add_task(f"eval {label}", total=rounds * limit, note=f"round 1/{rounds}")
        counted = _CountingEnv(env, lambda: progress.advance(bar))
        policy = loaded.policy.act
        for round_index in range(rounds):
            progress.update(bar, completed=round_index * limit, note=f"round {round_index + 1}/{rounds}")
            # Round r uses seed + r, exactly as one evaluate() call over all rounds would.
            part = evaluate(policy, counted, num_envs, seed=loaded.seed + round_index)
            for name in ("returns", "lengths", "success_once", "success_end"):
                getattr(result, name).extend(getattr(part, name))
        progress.update(bar, completed=rounds * limit)
    wall_time = time.perf_counter() - start
    # Whole rounds ran; keep exactly the requested number of episodes (the first ones, in env order).
    for name in ("returns", "lengths", "success_once", "success_end"):
        setattr(result, name, getattr(result, name)[:episodes])

    summary = _summary(result)
    report = {
        "checkpoint": str(args.checkpoint),
        "policy_format": loaded.policy.format if isinstance(loaded.policy, ExportedPolicy) else "checkpoint",
        "env": cfg.env.name,
        "task": cfg.env.task,
        "checkpoint_env_steps": loaded.policy.env_steps,
        "device": str(loaded.device),
        "seed": loaded.seed,
        "num_envs": num_envs,
        "episodes": episodes,
        "summary": summary,
        "returns": result.returns,
        "lengths": result.lengths,
        "success_once": result.success_once,
        "success_end": result.success_end,
        "wall_time_s": round(wall_time, 3),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    screen = Console()
    screen.print(
        f"[bold]{label}[/bold] | {args.checkpoint} | {loaded.policy.env_steps:,} env steps | seed {loaded.seed}",
        highlight=False,
        soft_wrap=True,
    )
    screen.print(_table(episodes, summary))
    screen.print(f"results: {out}", highlight=False, soft_wrap=True)
    return 0


def run_play(argv: list[str]) -> int:
    """Entry point of ``flashsac play``; returns the process exit code.

    Raises:
        UsageError: for invalid arguments.
        CheckpointError: for a missing, unsafe or mismatched checkpoint.
        MissingSimulatorError: when the checkpoint's simulator is not installed.
        RenderError: when the task cannot render here (the message says how to fix it).
    """
    args = _play_parser().parse_args(argv)
    _positive(args.episodes, "--episodes")
    if args.fps is not None and not args.fps > 0:
        raise UsageError(f"--fps must be > 0, got {args.fps}.")
    loaded = _load(args.checkpoint, args.device, args.seed)
    cfg = loaded.policy.cfg
    out = args.out or _run_dir(args.checkpoint) / "videos" / f"play_{args.checkpoint.stem}.mp4"
    label = f"{cfg.env.name}/{cfg.env.task}"
    console, screen = Console(stderr=True), Console()
    clips: list[np.ndarray] = []
    lines: list[str] = []
    with _closing(_make_env(loaded, 1, render=True)) as env, _progress(console) as progress:
        limit = env.spec.max_episode_steps or _FALLBACK_LIMIT
        fps = args.fps or default_fps(env.spec)
        bar = progress.add_task(f"play {label}", total=args.episodes * limit, note="")
        for episode in range(args.episodes):
            done_before = episode * limit
            progress.update(bar, completed=done_before, note=f"episode {episode + 1}/{args.episodes}")
            recording = record_rollout(
                loaded.policy.act,
                env,
                limit,
                seed=loaded.seed + episode,
                on_step=lambda steps, base=done_before: progress.update(bar, completed=base + steps),
            )
            clips.append(recording.frames)
            lines.append(f"episode {episode + 1}: return {recording.episode_return:.1f}, length {recording.length}")
        progress.update(bar, completed=args.episodes * limit, note="encoding mp4")
        write_mp4(np.concatenate(clips), out, fps)
    for line in lines:
        screen.print(line, highlight=False)
    screen.print(f"video: {out} ({sum(len(c) for c in clips)} frames at {fps:g} fps)", highlight=False, soft_wrap=True)
    return 0

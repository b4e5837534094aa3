"""What a finished training run reports: the result object, ``summary.json`` and the learning-curve plot."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from flashsac.checkpointing.atomic import write_text_atomically
from flashsac.evaluation.plots import plot_learning_curve

__all__ = ["TrainResult", "write_run_summary"]


@dataclass
class TrainResult:
    """What a finished run reports.

    Attributes:
        run_dir: The run directory.
        env_steps: Transitions collected over all envs.
        update_steps: Gradient updates made.
        eval_env_steps: Env steps of every evaluation.
        eval_returns: Their average returns.
        final_eval: The scalars of the last evaluation.
        solved_return: The task's solved threshold, or ``None`` where it has none.
        wall_time_s: Training seconds, all processes of the run together.
    """

    run_dir: Path
    env_steps: int
    update_steps: int
    eval_env_steps: list[int] = field(default_factory=list)
    eval_returns: list[float] = field(default_factory=list)
    final_eval: dict[str, float] = field(default_factory=dict)
    solved_return: float | None = None
    wall_time_s: float = 0.0

    @property
    def solved(self) -> bool | None:
        """Whether the final evaluation reached the task's solved threshold (``None`` if it has none)."""
        if self.solved_return is None:
            return None
        return self.final_eval.get("eval/avg_return", -float("inf")) >= self.solved_return


def write_run_summary(result: TrainResult, title: str) -> None:
    """Write ``plots/learning_curve.png`` and ``summary.json`` (atomically) into ``result.run_dir``.

    Args:
        result: The finished run's result.
        title: Title of the learning-curve plot, e.g. ``"torch/pendulum-swingup (seed 0)"``.
    """
    plot_learning_curve(
        result.eval_env_steps,
        result.eval_returns,
        result.run_dir / "plots" / "learning_curve.png",
        title,
        result.solved_return,
    )
    summary = {
        "env_steps": result.env_steps,
        "update_steps": result.update_steps,
        "wall_time_s": round(result.wall_time_s, 2),
        "final_eval": result.final_eval,
        "solved_return": result.solved_return,
        "solved": result.solved,
        "eval_env_steps": result.eval_env_steps,
        "eval_returns": result.eval_returns,
    }
    write_text_atomically(result.run_dir / "summary.json", json.dumps(summary, indent=2))

"""A live progress bar: env steps, env-steps/s, updates/s, ETA and the latest evaluation return."""

from __future__ import annotations

import sys

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["TrainingProgress"]


class TrainingProgress:
    """Wraps a ``rich`` progress bar; when stdout is not a terminal it prints one plain line per log interval.

    Args:
        total_env_steps: The run's budget.
        description: Label shown on the left (e.g. the task name).
        enabled: ``False`` silences it entirely.
    """

    def __init__(self, total_env_steps: int, description: str, enabled: bool = True) -> None:
        self._progress: Progress | None = None
        self._plain = enabled and not sys.stdout.isatty()
        self._total, self._description, self._last_eval = total_env_steps, description, "-"
        if enabled and sys.stdout.isatty():
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rates]}"),
                TextColumn("eval {task.fields[eval]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
            )
            self._task = self._progress.add_task(description, total=total_env_steps, rates="", eval="-")
            self._progress.start()

    def update(
        self,
        env_steps: int,
        env_steps_per_s: float | None = None,
        updates_per_s: float | None = None,
        eval_return: float | None = None,
    ) -> None:
        """Move the bar to ``env_steps`` and refresh the rates/eval fields that are given."""
        if eval_return is not None:
            self._last_eval = f"{eval_return:.1f}"
        if self._plain and env_steps_per_s is not None and updates_per_s is not None:
            print(
                f"{self._description} {env_steps:,}/{self._total:,} env steps | {env_steps_per_s:,.0f} env-steps/s | "
                f"{updates_per_s:,.1f} updates/s | eval {self._last_eval}",
                flush=True,
            )
        if self._progress is None:
            return
        fields: dict[str, str] = {}
        if env_steps_per_s is not None and updates_per_s is not None:
            fields["rates"] = f"{env_steps_per_s:,.0f} env-steps/s {updates_per_s:,.1f} upd/s"
        if eval_return is not None:
            fields["eval"] = f"{eval_return:.1f}"
        self._progress.update(self._task, completed=env_steps, **fields)  # type: ignore[arg-type]  # task fields

    def close(self) -> None:
        """Stop the live display; idempotent."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

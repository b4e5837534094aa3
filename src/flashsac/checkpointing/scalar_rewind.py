"""Rewind a run's scalar files to a checkpoint, so a resumed run continues the same curves without duplicates."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from flashsac.checkpointing.atomic import write_text_atomically

__all__ = ["rewind_scalar_files"]


def _rewrite(path: Path, keep_lines: list[str]) -> None:
    write_text_atomically(path, "".join(keep_lines))


def rewind_scalar_files(run_dir: Path, env_steps: int) -> None:
    """Drop rows logged after ``env_steps`` from ``scalars.csv`` and ``scalars.jsonl`` (work lost in a crash).

    Rows at ``env_steps`` itself were logged before the checkpoint was written and are kept.
    """
    csv_path = run_dir / "scalars.csv"
    if csv_path.is_file():
        lines = csv_path.read_text().splitlines(keepends=True)
        keep = lines[:1]
        for line in lines[1:]:
            row = next(csv.reader([line]), None)
            if row and row[0].isdigit() and int(row[0]) <= env_steps and line.endswith("\n"):
                keep.append(line)
        _rewrite(csv_path, keep)
    jsonl_path = run_dir / "scalars.jsonl"
    if jsonl_path.is_file():
        keep = []
        for line in jsonl_path.read_text().splitlines(keepends=True):
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            if int(record.get("env_steps", env_steps + 1)) <= env_steps and line.endswith("\n"):
                keep.append(line)
        _rewrite(jsonl_path, keep)

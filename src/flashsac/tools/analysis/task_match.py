"""Match our ``env.name``/``env.task`` to the paper CSV's ``suite``/``task``, saying where they differ.

Rules (nothing is matched silently):

* ``dmc``: our ``domain-task`` names are the CSV's ``dmc`` names (``pendulum-swingup``, ``cartpole-balance_sparse``).
* ``mujoco``: ours are gymnasium ``-v5`` ids, the paper ran ``-v4``; ``Humanoid-v5`` matches ``Humanoid-v4`` with a
  note that the task version differs (v5 changed model and reward details, so returns are close, not identical).
* ``torch``: flashsac's built-in batched tasks are not the DMC tasks of the same name (other dynamics, reward and
  episode length): never matched; the error says to train ``env=dmc`` instead.
* any other family matches only a CSV suite of the same name with the same task name.
"""

from __future__ import annotations

from dataclasses import dataclass

from flashsac.tools.analysis.errors import AnalysisInputError
from flashsac.tools.analysis.paper_curves import PaperCurves

__all__ = ["TaskMatch", "match_paper_task"]


@dataclass(frozen=True)
class TaskMatch:
    """The paper's ``(suite, task)`` for one of our tasks; ``note`` says how they differ ("" when identical)."""

    suite: str
    task: str
    note: str = ""


def _split_version(task: str) -> tuple[str, str]:
    """``Humanoid-v5`` -> ``("Humanoid", "v5")``; ``("name", "")`` where there is no version suffix."""
    base, sep, version = task.rpartition("-")
    if sep and version.startswith("v") and version[1:].isdigit():
        return base, version
    return task, ""


def _match_mujoco(task: str, paper: PaperCurves) -> TaskMatch | None:
    base, version = _split_version(task)
    for suite, paper_task in paper.tasks():
        paper_base, paper_version = _split_version(paper_task)
        if suite == "mujoco" and paper_base == base:
            if paper_version == version:
                return TaskMatch(suite, paper_task)
            note = f"different task version: ours {task} (gymnasium {version}), paper {paper_task}"
            return TaskMatch(suite, paper_task, note)
    return None


def match_paper_task(family: str, task: str, paper: PaperCurves) -> TaskMatch:
    """The paper task that our ``family``/``task`` runs compare with.

    Raises:
        AnalysisInputError: the paper has no curve for it (naming the family's paper tasks), or ``family`` is
            ``torch`` (a built-in task, not the DMC one of the same name).
    """
    if family == "torch":
        dmc_task = task if ("dmc", task) in paper.tasks() else "<dmc task>"
        raise AnalysisInputError(
            f"torch/{task} is flashsac's built-in batched task, not the paper's DMC task of a similar name "
            f"(different dynamics, reward and episode length); train env=dmc env.task={dmc_task} to compare."
        )
    match: TaskMatch | None
    if family == "mujoco":
        match = _match_mujoco(task, paper)
    else:
        match = TaskMatch(family, task) if (family, task) in paper.tasks() else None
    if match is not None:
        return match
    names = [t for s, t in paper.tasks() if s == family]
    if not names:
        raise AnalysisInputError(
            f"{family}/{task}: the paper CSV has no {family} suite (it has: {', '.join(paper.suites())})."
        )
    raise AnalysisInputError(f"{family}/{task} has no paper curve; the paper's {family} tasks: {', '.join(names)}.")

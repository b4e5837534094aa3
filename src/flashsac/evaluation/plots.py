"""Figures: the learning curve written into a run directory, and ``flashsac plot``'s curves over seeds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Band", "Panel", "plot_learning_curve", "plot_panels"]


def plot_learning_curve(
    env_steps: list[int], returns: list[float], path: Path, title: str, solved_return: float | None = None
) -> None:
    """Save evaluation return against env steps as a PNG (matplotlib's non-interactive backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(env_steps, returns, marker="o", label="flashsac (eval, deterministic)")
    if solved_return is not None:
        ax.axhline(solved_return, color="gray", linestyle="--", label=f"solved ({solved_return:g})")
    ax.set_xlabel("env steps")
    ax.set_ylabel("average evaluation return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


_OURS_STYLE = {"marker": "o", "markersize": 3, "linewidth": 2}
_REFERENCE_STYLE = {"linestyle": "--", "marker": "x", "markersize": 4}  # markers: where the paper evaluated


@dataclass(frozen=True)
class Band:
    """One curve with a shaded spread: ``center[i]`` at ``env_steps[i]``, shaded from ``low[i]`` to ``high[i]``.

    NaN in ``low``/``high`` leaves a gap in the shading (e.g. a point with one seed has no interval).
    ``ours`` draws it as our result (solid, markers); otherwise as a reference curve (dashed).
    """

    label: str
    env_steps: Sequence[int]
    center: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]
    ours: bool = False


@dataclass(frozen=True)
class Panel:
    """One subplot: a title and its curves; ``x_max`` crops long reference curves to where ours end."""

    title: str
    bands: Sequence[Band]
    x_max: float | None = None


def plot_panels(panels: Sequence[Panel], path: Path, ylabel: str) -> None:
    """Save one subplot per panel (three per row) as a PNG, env steps on the x axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 4 * nrows), squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        for index, band in enumerate(panel.bands):
            color = "C0" if band.ours else f"C{index + 1}"
            style = _OURS_STYLE if band.ours else _REFERENCE_STYLE
            ax.plot(band.env_steps, band.center, color=color, label=band.label, **style)
            ax.fill_between(band.env_steps, band.low, band.high, color=color, alpha=0.2, linewidth=0)
        if panel.x_max is not None:
            ax.set_xlim(left=0, right=panel.x_max)
        ax.set_title(panel.title, fontsize=9)
        ax.set_xlabel("env steps")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)

"""The learning-curve figure written into the run directory at the end of training."""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_learning_curve"]


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

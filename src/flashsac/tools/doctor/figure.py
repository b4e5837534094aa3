"""The doctor's figure: each action dimension's distribution against the declared, trained and joint-limit boxes."""

from __future__ import annotations

import math
from pathlib import Path

import torch

__all__ = ["plot_action_distributions"]


def plot_action_distributions(
    path: Path,
    samples: dict[str, torch.Tensor],
    box: tuple[torch.Tensor, torch.Tensor],
    declared: tuple[torch.Tensor, torch.Tensor],
    joint_box: tuple[torch.Tensor, torch.Tensor] | None,
    names: tuple[str, ...],
    title: str,
) -> Path:
    """One histogram panel per action dimension, one colour per action source; writes ``path`` (PNG).

    Args:
        path: Where the PNG goes.
        samples: Source name -> ``(samples, action_dim)`` actions.
        box: The run's action box (solid black lines).
        declared: The env's declared bounds (dashed red lines where finite and within the plotted range).
        joint_box: The joint-limit box in action units (green band), or ``None``.
        names: Joint names for panel titles (may be empty).
        title: Figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = box[0].numel()
    cols = min(4, dims)
    rows = math.ceil(dims / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    for d in range(dims):
        ax = axes[d // cols][d % cols]
        low, high = float(box[0][d]), float(box[1][d])
        edges = torch.linspace(low, high, 41).tolist()
        if joint_box is not None:
            lo, hi = float(joint_box[0][d]), float(joint_box[1][d])
            ax.axvspan(lo, hi, color="tab:green", alpha=0.15, label="joint limits")
        for source, actions in samples.items():
            ax.hist(actions[:, d].clamp(low, high).numpy(), bins=edges, alpha=0.55, density=True, label=source)
        ax.axvline(low, color="black", lw=1.2)
        ax.axvline(high, color="black", lw=1.2, label="trained box")
        for bound in (float(declared[0][d]), float(declared[1][d])):
            if math.isfinite(bound) and low - 1e-6 <= bound <= high + 1e-6:
                ax.axvline(bound, color="tab:red", ls="--", lw=1.0)
        ax.set_title(names[d] if d < len(names) else f"action {d}", fontsize=9)
        ax.set_yticks([])
    for d in range(dims, rows * cols):
        axes[d // cols][d % cols].axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path

"""``tolerance``: the shaped-reward primitive HumanoidBench takes from ``dm_control.utils.rewards``.

Re-derived from its documented behaviour so that the stand-in needs no dm_control: 1 inside ``bounds``, falling
off outside them over ``margin`` with a gaussian, linear or quadratic sigmoid that equals ``value_at_margin``
at distance ``margin``.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x: np.ndarray, value_at_margin: float, sigmoid: str) -> np.ndarray:
    """Map a distance ``x`` (in margins, >= 0) to (0, 1], equal to ``value_at_margin`` at ``x == 1``."""
    if sigmoid == "gaussian":
        scale = np.sqrt(-2.0 * np.log(value_at_margin))
        return np.exp(-0.5 * (x * scale) ** 2)
    if sigmoid == "linear":
        scaled = x * (1.0 - value_at_margin)
        return np.where(np.abs(scaled) < 1.0, 1.0 - scaled, 0.0)
    if sigmoid == "quadratic":
        scaled = x * np.sqrt(1.0 - value_at_margin)
        return np.where(np.abs(scaled) < 1.0, 1.0 - scaled**2, 0.0)
    raise ValueError(f"Unknown sigmoid {sigmoid!r}.")


def tolerance(
    x: float | np.ndarray,
    bounds: tuple[float, float] = (0.0, 0.0),
    margin: float = 0.0,
    sigmoid: str = "gaussian",
    value_at_margin: float = 0.1,
) -> np.ndarray | float:
    """1 where ``bounds[0] <= x <= bounds[1]``, else a sigmoid of the distance to the bounds in margins."""
    lower, upper = bounds
    x = np.asarray(x, dtype=np.float64)
    in_bounds = (lower <= x) & (x <= upper)
    if margin == 0:
        value = np.where(in_bounds, 1.0, 0.0)
    else:
        distance = np.where(x < lower, lower - x, x - upper) / margin
        value = np.where(in_bounds, 1.0, _sigmoid(distance, value_at_margin, sigmoid))
    return float(value) if value.ndim == 0 else value

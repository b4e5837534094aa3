"""Learning battery (slow): tiny built-in tasks, dense and sparse, each solved to its stated threshold.

Like Stable-Baselines3's identity tests: each task is small enough that a correct learner solves it in well under
a minute on one CPU thread, so a failure here points at a broken actor, critic, update or env contract rather
than at tuning. Every run uses the torch family's default regime (``preset=quick``: small networks, 16 envs,
4 updates per vector step); only the budget changes. Each test asserts that the untrained policy's evaluation
(``eval_returns[0]``) is below a stated level and that the final deterministic evaluation reaches the task's
``SOLVED_RETURNS``. About 3 minutes in all on one thread.

| task | reward | random policy | solved | budget (env steps) |
|---|---|---|---|---|
| ``identity`` | dense, ``-|a - target|^2``, 100 steps | -133 (always 0: -67) | >= -15 | 11,200 |
| ``identity_sparse`` | 1 within 0.25 of the target, 100 steps | 5.5 | >= 70 | 8,000 |
| ``point-reach_sparse`` | 1 while in the goal (up to 8 steps away), 50 steps | 4.7 (still: 5) | >= 35 | 11,200 |

``cartpole-balance`` is not in the battery: it needs more than 16,000 env steps (over 90 s on one thread) to
reach 475.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flashsac.cli.main import main
from flashsac.envs.torch_tasks import SOLVED_RETURNS


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "num_env_steps", "untrained_below"),
    [
        # Dense, no temporal credit. The untrained policy outputs about 0 (-67); runs end near -5.
        pytest.param("identity", 11_200, -40.0, id="identity"),
        # Sparse, no temporal credit: the warm-up's uniform actions hit 5.5% of the time; runs end near 90.
        pytest.param("identity_sparse", 8_000, 20.0, id="identity_sparse"),
        # Sparse with temporal credit: nothing is paid on the way to the goal; runs end near 46 (the best is 47).
        pytest.param("point-reach_sparse", 11_200, 20.0, id="point-reach_sparse"),
    ],
)
def test_tiny_task_is_solved(tmp_path: Path, task: str, num_env_steps: int, untrained_below: float) -> None:
    run_dir = tmp_path / "run"
    overrides = [
        f"train.num_env_steps={num_env_steps}",
        f"train.eval_every_env_steps={num_env_steps // 5}",  # the curve, to tell a slow run from a broken one
    ]
    argv = ["train", f"env.task={task}", "seed=0", "num_threads=1", "logging.progress=false", *overrides]
    assert main([*argv, f"logging.run_dir={run_dir}"]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    untrained, final = summary["eval_returns"][0], summary["final_eval"]["eval/avg_return"]
    assert untrained < untrained_below, summary["eval_returns"]
    assert final >= SOLVED_RETURNS[task], summary["eval_returns"]

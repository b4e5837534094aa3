"""Learning test (slow): the embedded default task must be solved to its stated threshold on 2 CPU cores."""

import json
from pathlib import Path

import pytest

from flashsac.cli.main import main
from flashsac.envs.torch_tasks import SOLVED_RETURNS


@pytest.mark.slow
def test_default_pendulum_swingup_is_solved(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "seed=1", "logging.progress=false", f"logging.run_dir={run_dir}"]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    random_policy_return = summary["eval_returns"][0]
    final = summary["final_eval"]["eval/avg_return"]
    assert random_policy_return < -900, summary
    assert final >= SOLVED_RETURNS["pendulum-swingup"], summary

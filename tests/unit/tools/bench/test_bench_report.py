"""``flashsac bench report``: the README's Results section is rebuilt from the result files, nothing else changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flashsac.cli.main import main
from flashsac.tools.bench import report

ROOT = Path(__file__).resolve().parents[4]  # tests/unit/tools/bench/ -> the repository root
MACHINE = {
    "date": "2026-11-21T10:00:00+00:00",
    "cpu_model": "Test CPU @ 1.00GHz",
    "cpu_count": 2,
    "torch_threads": 2,
    "torch_version": "2.13.0+cpu",
    "device": "cpu",
    "device_name": "Test CPU @ 1.00GHz",
    "load_average": [0.25, 0.5, 0.5],
}
LOOP = {
    "machine_info": MACHINE,
    "target_ratio": 0.9,
    "networks": "paper-size networks (AgentConfig defaults)",
    "records": [
        {
            "case": "torch/pendulum-swingup:64",
            "status": "ok",
            "raw_env_steps_per_s": 200000.0,
            "loop_env_steps_per_s": 50000.0,
            "ratio": 0.25,
            "env_us_per_vector_step": 320.0,
            "actor_us_per_vector_step": 600.0,
            "rest_us_per_vector_step": 360.0,
        },
        {"case": "mujoco/Humanoid-v5:1", "status": "skipped", "error": "pip install 'flashsac[mujoco]'"},
    ],
}
UPDATE = {
    "machine_info": MACHINE,
    "rooflines": {"fp32": {"gflops": 261.0, "native": True}, "bf16": {"gflops": 60.0, "native": False}},
    "records": [
        {
            "config": "humanoid-walk",
            "critic_hidden_dim": 256,
            "batch_size": 512,
            "precision": "fp32",
            "compile": "off",
            "status": "ok",
            "ms_per_update_mean": 193.3,
            "gflop_per_update_counted": 21.35,
            "achieved_gflops": 110.4,
            "fraction_of_roofline": 0.423,
            "roofline_dtype": "fp32",
        }
    ],
}
README = "# project\n\nintro\n\n## Results\n\n<!-- results:start -->\nold\n<!-- results:end -->\n\n## After\n\ntail\n"


def _write(folder: Path, name: str, payload: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(payload))


def test_replace_section_keeps_everything_outside_the_markers() -> None:
    updated = report.replace_section(README, "NEW")
    assert updated == README.replace("old", "NEW")
    swapped = README.replace(report.START, "@").replace(report.END, report.START).replace("@", report.END)
    for broken in (README.replace(report.START, ""), README + report.END, swapped):
        with pytest.raises(report.ReportError, match="exactly one"):
            report.replace_section(broken, "NEW")


def test_section_has_tables_with_machine_and_date_and_notes_for_missing_files(tmp_path: Path) -> None:
    results = tmp_path / "benchmarks" / "results"
    _write(results, "loop_overhead", LOOP)
    _write(results, "update_throughput", UPDATE)
    (results / "loop_overhead.png").write_bytes(b"png")
    text = report.results_section(results, tmp_path)
    assert "| `torch/pendulum-swingup:64` | 200,000 | 50,000 | **0.25** | 320 | 600 | 360 |" in text
    assert "| `mujoco/Humanoid-v5:1` | skipped |" in text
    assert "| humanoid-walk | 256 | 512 | fp32 | off | 193 | 21.4 | 110 | 42% of fp32 |" in text
    assert "fp32 261 GFLOP/s, bf16 60 GFLOP/s (emulated, no native units)" in text
    assert text.count("Machine: Test CPU @ 1.00GHz, 2 cores, 2 torch threads") == 2
    assert text.count("measured 2026-11-21T10:00:00+00:00") == 2
    assert "![Loop overhead](benchmarks/results/loop_overhead.png)" in text
    assert "_Not measured yet: run `flashsac bench sb3`" in text
    assert "_Not measured yet: run `flashsac plot <run_dirs> --paper`" in text


def test_sb3_and_paper_sections(tmp_path: Path) -> None:
    sb3 = {
        "machine": MACHINE,  # sb3_compare writes the older key: still read
        "settings": {"budgets": {"torch/pendulum-swingup": 20000, "dmc/cartpole-swingup": 20000}, "repeats": 2},
        "results": {
            "torch/pendulum-swingup": {
                "flashsac": {"return_mean": -180.5, "train_wall_s": 50.0},
                "sb3": {"return_mean": -210.0, "train_wall_s": 100.0},
                "ratios": {"wall_clock": 0.5, "env_steps_per_s": 2.0},
            },
            "dmc/cartpole-swingup": {
                "flashsac": {"return_iqm": {"iqm": 850.0, "ci": [800.0, 870.0]}, "train_wall_s": 400.4},
                "sb3": {"return_iqm": {"iqm": 300.0, "ci": None}, "train_wall_s": 200.0},
                "ratios": {"wall_clock": 2.0, "env_steps_per_s": 0.5},
                "flashsac_reaches_sb3_final": {"env_steps": 4000, "train_wall_s": 81.2},
            },
        },
    }
    paper = {
        "created": "2026-11-20T08:00:00+00:00",
        "command": "flashsac plot runs/a --paper dmc/cheetah-run",
        "tasks": [
            {
                "family": "dmc",
                "task": "cheetah-run",
                "paper": {"suite": "dmc", "task": "cheetah-run"},
                "final": {},
                "at_paper_steps": [
                    {
                        "paper_step": 100000,
                        "ours": {"iqm": 512.0, "ci": [480.0, 540.0], "n_seeds": 3},
                        "paper": {"flashsac": {"mean": 600.0, "std": 30.0, "n_seeds": 10}},
                    }
                ],
            }
        ],
    }
    _write(tmp_path, "sb3_compare", sb3)
    _write(tmp_path, "paper_compare", paper)
    text = report.results_section(tmp_path, tmp_path)
    # An older result file (means, no IQM, no learning curve) still renders.
    assert "| torch/pendulum-swingup | 20,000 | -180 | -210 | 50 | 100 | - | 2.00 |" in text
    row = "| dmc/cartpole-swingup | 20,000 | 850 [800, 870] | 300 | 400 | 200 | 4,000 steps, 81 s | 0.50 |"
    assert row in text
    assert "IQM over 2 run(s) per framework" in text
    assert "Machine: Test CPU @ 1.00GHz" in text
    assert "| dmc/cheetah-run | dmc/cheetah-run | 100,000 | 512 [480, 540] (3) | 600 ± 30 (10) |" in text
    assert "Compared 2026-11-20T08:00:00+00:00" in text


def test_command_rewrites_then_checks(tmp_path: Path, capsys) -> None:
    readme, results = tmp_path / "README.md", tmp_path / "results"
    readme.write_text(README)
    _write(results, "loop_overhead", LOOP)
    args = ["--readme", str(readme), "--results", str(results)]
    assert main(["bench", "report", *args, "--check"]) == 1  # still the old text
    assert main(["bench", "report", *args]) == 0
    text = readme.read_text()
    assert text.startswith("# project\n\nintro\n\n## Results\n\n<!-- results:start -->\n")
    assert text.endswith("<!-- results:end -->\n\n## After\n\ntail\n")
    assert "**0.25**" in text and "old" not in text
    assert main(["bench", "report", *args, "--check"]) == 0
    capsys.readouterr()
    readme.write_text("# no markers\n")
    assert main(["bench", "report", *args]) == 2
    assert "flashsac: error:" in capsys.readouterr().err


def test_repository_readme_has_the_results_markers_under_their_heading() -> None:
    text = (ROOT / "README.md").read_text()
    assert text.count(report.START) == 1 and text.count(report.END) == 1
    assert text.index("## Results") < text.index(report.START) < text.index(report.END)

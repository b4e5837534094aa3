"""``flashsac bench``: the list of benchmarks, per-benchmark help, unknown names and missing optional packages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import flashsac.cli.bench as bench_cli
from flashsac.cli.main import main
from flashsac.tools.bench import BENCHMARKS


def test_bench_without_a_name_lists_every_benchmark_with_its_description(capsys) -> None:
    assert main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    for name in [*BENCHMARKS, "report"]:
        assert f"\n  {name} " in out, out
    assert "env-steps/s of the training loop" in out  # loop's DESCRIPTION
    assert "GEMM roofline" in out  # update's DESCRIPTION
    assert main(["bench"]) == 2  # a bare command lists them too, but is a usage error


def test_unknown_benchmark_is_one_line_listing_the_valid_ones(capsys) -> None:
    assert main(["bench", "lop"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith("flashsac: error: unknown benchmark 'lop'")
    for name in [*BENCHMARKS, "report"]:
        assert name in err


def test_benchmark_help_shows_its_own_options(capsys) -> None:
    assert main(["bench", "loop", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: flashsac bench loop" in out
    assert "--cases" in out and "--small-nets" in out
    assert main(["bench", "update", "--help"]) == 0
    assert "--widths" in capsys.readouterr().out


def test_bad_option_exits_2(capsys) -> None:
    assert main(["bench", "update", "--widths", "7"]) == 2  # odd: the actor gets half the width
    assert "--widths 7" in capsys.readouterr().err


def test_missing_optional_package_is_one_line_with_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # A real benchmark module whose import fails the way one needing an uninstalled package does.
    (tmp_path / "fake_bench_needing_sb3.py").write_text("import stable_baselines3_not_installed_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(BENCHMARKS, "fake", "fake_bench_needing_sb3")
    monkeypatch.setitem(bench_cli._EXTRAS, "stable_baselines3_not_installed_here", "bench")
    assert main(["bench", "fake"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "stable_baselines3_not_installed_here" in err
    assert "pip install 'flashsac[bench]'" in err
    # The list still prints, marking that benchmark unavailable instead of failing.
    assert main(["bench", "--help"]) == 0
    width = max(len(name) for name in [*BENCHMARKS, "report"])
    assert f"  {'fake':<{width}} (unavailable: " in capsys.readouterr().out
    sys.modules.pop("fake_bench_needing_sb3", None)

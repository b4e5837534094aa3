"""``flashsac bench update``: the width sweep's FLOP counts, the roofline choice and a tiny real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import flashsac.tools.bench.update_throughput as ut
import flashsac.tools.bench.update_workload as uw
from flashsac.tools.bench.common import Roofline

TINY = uw.TaskShape("tiny", obs_dim=5, action_dim=2)


def test_analytic_flops_by_hand_for_a_tiny_width() -> None:
    # Width 8 (actor 4), 2 blocks, 101 bins, obs 5, actions 2, batch 2, actor every 2nd update.
    # actor row: trunk 2 (5*4 + 2 blocks * 2 * 4*16) = 2 (20 + 256) = 552, head 2*4*(2*2) = 32 -> 584
    # critic row: trunk 2 (7*8 + 2 * 2 * 8*32) = 2160, head 2*8*101 = 1616; two members -> 7552
    # critic update: B f_a + 2B f_c + 6B f_c = 1168 + 30208 + 90624 = 122000
    # actor update: 6B f_a + 2B f_c = 7008 + 30208 = 37216; per update 122000 + 37216 / 2 = 140608
    flops = uw.analytic_update_flops(TINY, uw.agent_config(8), batch_size=2)
    assert flops["gflop"] * 1e9 == pytest.approx(140_608)
    assert flops["actor_forward_mflop_per_row"] * 1e6 == pytest.approx(584)
    assert flops["critic_forward_mflop_per_row"] * 1e6 == pytest.approx(7552)


@pytest.mark.parametrize("width", [8, 16])
def test_counted_flops_equal_the_analytic_count_at_every_width(width: int) -> None:
    counted = uw.counted_update_flops(TINY, 8, torch.device("cpu"), width)
    assert counted["gflop"] == pytest.approx(uw.analytic_update_flops(TINY, uw.agent_config(width), 8)["gflop"])


def test_paper_width_keeps_the_issue_reference() -> None:
    shape = uw.TASK_SHAPES["humanoid-walk"]
    assert uw.analytic_update_flops(shape, uw.agent_config(uw.PAPER_WIDTH), 512)["gflop"] == pytest.approx(
        21.35, abs=0.005
    )


def test_rows_are_judged_against_their_own_roofline_only_where_it_is_native() -> None:
    fp32 = Roofline("fp32", 100.0)
    emulated = {"fp32": fp32, "bf16": Roofline("bf16", 40.0, native=False)}
    assert ut.roofline_for("bf16", emulated) is fp32
    native = {"fp32": fp32, "bf16": Roofline("bf16", 400.0, native=True)}
    assert ut.roofline_for("bf16", native).gflops == 400.0
    assert ut.roofline_for("fp16", native) is fp32  # not measured


def test_widths_must_be_even() -> None:
    with pytest.raises(SystemExit):
        ut.parse_args(["--widths", "255"])
    assert ut.parse_args(["--quick"]).widths == [uw.PAPER_WIDTH]
    assert ut.parse_args([]).widths == [128, 256, 512]
    assert ut.parse_args(["--device", "cpu"]).compile == ["off"]  # compile is slower than eager on CPUs


def test_tiny_sweep_writes_json_and_png(tmp_path: Path, capsys) -> None:
    out = tmp_path / "update.json"
    argv = ["--configs", "humanoid-walk", "--widths", "8", "16", "--batch-sizes", "8", "--precision", "fp32", "bf16"]
    argv += ["--warmup", "0", "--iters", "2", "--gemm-sizes", "64", "--gemm-reps", "1", "--gemm-trials", "1"]
    assert ut.main([*argv, "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert out.with_suffix(".png").stat().st_size > 0
    assert {"date", "cpu_model", "torch_threads", "load_average"} <= set(result["machine_info"])
    assert set(result["rooflines"]) == {"fp32", "bf16"}
    records = result["records"]
    assert [(r["critic_hidden_dim"], r["actor_hidden_dim"], r["precision"]) for r in records] == [
        (8, 4, "fp32"),
        (8, 4, "bf16"),
        (16, 8, "fp32"),
        (16, 8, "bf16"),
    ]
    for r in records:
        assert r["status"] == "ok", r
        assert r["gflop_per_update_counted"] == pytest.approx(r["gflop_per_update_analytic"])
        assert r["achieved_gflops"] == pytest.approx(r["gflop_per_update_counted"] / (r["ms_per_update_mean"] / 1e3))
        roof = result["rooflines"][r["roofline_dtype"]]["gflops"]
        assert r["fraction_of_roofline"] == pytest.approx(r["achieved_gflops"] / roof)
    assert records[2]["gflop_per_update_counted"] > records[0]["gflop_per_update_counted"]  # wider costs more
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("update_throughput: fp32 best ")

"""Data-parallel collectives (flashsac.runtime.distributed) on two gloo CPU processes, and the launch rules."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from distributed_workers import (
    NUM_ENVS,
    SCALER_STEPS,
    collectives_worker,
    reference_run,
    scaler_rewards,
    spawn,
)
from flashsac.agents.flashsac.reward_scaling import RewardScaler
from flashsac.runtime.distributed import SINGLE_PROCESS, LaunchError, init_distributed, launch_from_environ

WORLD = 2


@pytest.fixture(scope="module")
def ranks_saw(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """What each of two gloo ranks saw (one spawn for the whole module: starting processes is the slow part)."""
    out = tmp_path_factory.mktemp("ranks")
    spawn(collectives_worker, WORLD, str(out))
    return [torch.load(out / f"rank{r}.pt") for r in range(WORLD)]


def test_without_torchrun_nothing_is_distributed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert launch_from_environ() is None
    assert init_distributed("cpu") is SINGLE_PROCESS
    assert launch_from_environ({"WORLD_SIZE": "1", "RANK": "0"}) is None  # torchrun --nproc_per_node=1


def test_single_process_collectives_touch_nothing() -> None:
    t = torch.arange(4.0)
    SINGLE_PROCESS.average_([t])
    SINGLE_PROCESS.broadcast_([t])
    assert torch.equal(t, torch.arange(4.0))
    assert SINGLE_PROCESS.gather_cat(t) is t
    assert SINGLE_PROCESS.is_main and not SINGLE_PROCESS.distributed


def test_launch_variables_are_parsed_and_checked() -> None:
    env = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "MASTER_ADDR": "node0", "MASTER_PORT": "29500"}
    info = launch_from_environ(env)
    assert info is not None and (info.rank, info.world_size, info.local_rank) == (3, 4, 1)
    with pytest.raises(LaunchError, match="MASTER_ADDR, MASTER_PORT is not set; launch with torchrun"):
        launch_from_environ({"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"})
    with pytest.raises(LaunchError, match="do not fit WORLD_SIZE=4"):
        launch_from_environ(env | {"RANK": "4"})
    with pytest.raises(LaunchError, match="backend='mpi' is not one of auto, gloo, nccl"):
        init_distributed("cpu", backend="mpi")


def test_average_is_one_mean_over_ranks_per_dtype(ranks_saw: list[dict[str, Any]]) -> None:
    for saw in ranks_saw:
        first, second, third = saw["average"]
        assert torch.equal(first, torch.full((2, 3), 1.5))
        assert torch.equal(second, torch.tensor([1.0]))
        assert third.dtype == torch.float64 and torch.equal(third, torch.tensor([0.5], dtype=torch.float64))
        assert torch.equal(saw["gather"], torch.tensor([[0, 0], [1, 10]]))


def test_parameters_are_broadcast_then_stay_identical_on_every_rank(ranks_saw: list[dict[str, Any]]) -> None:
    for period in (1, 2):
        for stage in ("initial", "final"):
            zero, one = (saw[f"{stage}_{period}"] for saw in ranks_saw)
            assert zero.keys() == one.keys()
            for name in zero:
                assert torch.equal(zero[name], one[name]), f"{stage} {name} differs between ranks (period {period})"
        assert not torch.equal(
            ranks_saw[0][f"initial_{period}"]["actor.trunk.embed.linear.weight"],
            ranks_saw[0][f"final_{period}"]["actor.trunk.embed.linear.weight"],
        )


@pytest.mark.parametrize("period", [1, 2])
def test_two_rank_updates_equal_one_process_updates_on_the_mean_gradient(
    ranks_saw: list[dict[str, Any]], period: int
) -> None:
    reference = reference_run(WORLD, period)[0]
    got = ranks_saw[0][f"final_{period}"]
    assert reference.keys() == got.keys()
    for name, value in reference.items():
        torch.testing.assert_close(got[name], value, rtol=0, atol=1e-6, msg=f"{name} (period {period})")


def test_reward_scaler_statistics_cover_every_rank_and_agree(ranks_saw: list[dict[str, Any]]) -> None:
    single = RewardScaler(WORLD * NUM_ENVS, 0.9, 5.0)  # one process owning both ranks' envs, rank-major
    for step in range(SCALER_STEPS):
        rewards, dones = zip(*(scaler_rewards(rank, step) for rank in range(WORLD)), strict=True)
        single.update(torch.cat(rewards), torch.cat(dones))
    for rank, saw in enumerate(ranks_saw):
        state = saw["scaler"]
        for key in ("abs_max", "mean", "var", "count"):
            assert torch.equal(state[key], single.state_dict()[key]), key
        assert torch.equal(state["returns"], single.returns[rank * NUM_ENVS : (rank + 1) * NUM_ENVS])


def test_a_non_finite_value_stops_every_rank_naming_the_culprit(ranks_saw: list[dict[str, Any]]) -> None:
    for saw in ranks_saw:
        assert saw["guard"].startswith("non-finite reward at env step 40, env index 1 on rank 1 of 2;"), saw["guard"]

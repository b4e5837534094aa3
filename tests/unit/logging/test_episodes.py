"""Training-episode statistics: returns and lengths per finished episode, success rates only for envs that
report info["success"], hand-checked per episode."""

import pytest
import torch

from flashsac.logging import MetricAccumulator
from flashsac.logging.episodes import EpisodeStats, episode_means


def _record(stats: EpisodeStats, metrics: MetricAccumulator, done: list[bool], success: list[bool] | None) -> None:
    reward = torch.ones(len(done))
    metrics.add(stats.record(reward, torch.tensor(done), None if success is None else torch.tensor(success)))


def test_success_once_and_at_end_per_finished_episode() -> None:
    stats, metrics = EpisodeStats(2, torch.device("cpu")), MetricAccumulator()
    # env 0: success at t=1 only, episode ends at t=3 -> once 1, end 0.
    # env 1: never succeeds in its first episode (ends t=2), succeeds at the end of its second (t=3).
    _record(stats, metrics, [False, False], [True, False])
    _record(stats, metrics, [False, True], [False, False])
    _record(stats, metrics, [True, True], [False, True])
    means = episode_means(metrics.flush())
    # Three episodes finished: successes once = (1 + 0 + 1) / 3, at the end = (0 + 0 + 1) / 3.
    assert means["train/episode_success_once"] == pytest.approx(2 / 3)
    assert means["train/episode_success_end"] == pytest.approx(1 / 3)
    assert means["train/episode_length"] == pytest.approx((3 + 2 + 1) / 3)
    assert means["train/episode_return"] == pytest.approx((3 + 2 + 1) / 3)  # reward 1 per step
    assert not stats.episode_success.any(), "success flags must reset with the episode"
    assert not any(key.endswith("_sum") or key == "train/episodes_finished" for key in means)


def test_no_success_keys_for_envs_without_success() -> None:
    stats, metrics = EpisodeStats(2, torch.device("cpu")), MetricAccumulator()
    _record(stats, metrics, [True, True], None)
    means = episode_means(metrics.flush())
    assert "train/episode_return" in means
    assert not any("success" in key for key in means)


def test_no_episode_means_before_an_episode_ends() -> None:
    stats, metrics = EpisodeStats(2, torch.device("cpu")), MetricAccumulator()
    _record(stats, metrics, [False, False], None)
    assert episode_means(metrics.flush()) == {}
    torch.testing.assert_close(stats.episode_length, torch.ones(2))


def test_state_round_trip_continues_the_running_episodes() -> None:
    stats, metrics = EpisodeStats(2, torch.device("cpu")), MetricAccumulator()
    _record(stats, metrics, [False, False], [True, False])
    restored = EpisodeStats(2, torch.device("cpu"))
    restored.load_state_dict({k: v.clone() for k, v in stats.state_dict().items()})
    for name, tensor in stats.state_dict().items():
        assert torch.equal(tensor, restored.state_dict()[name]), name
    older = {k: v for k, v in stats.state_dict().items() if k != "episode_success"}  # before success tracking
    EpisodeStats(2, torch.device("cpu")).load_state_dict(older)

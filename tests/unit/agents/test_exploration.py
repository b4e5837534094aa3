"""Noise repetition (docs/algorithm.md 4.1): truncated-zeta repeat lengths, hold-then-refresh, seeding, eval acting."""

from __future__ import annotations

import pytest
import torch

from flashsac.agents.flashsac.agent import FlashSACAgent
from flashsac.agents.flashsac.exploration import NoiseRepeater, zeta_probabilities
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec

HARMONIC2_16 = sum(1.0 / k**2 for k in range(1, 17))  # = 1.58434...


def test_zeta_probabilities_by_hand() -> None:
    probs = zeta_probabilities(2.0, 16)
    assert probs.shape == (16,)
    assert probs.sum().item() == pytest.approx(1.0, abs=1e-6)
    for k in range(1, 17):
        assert probs[k - 1].item() == pytest.approx(1.0 / k**2 / HARMONIC2_16, rel=1e-6)
    for k, value in [(1, 0.631), (2, 0.158), (3, 0.070), (4, 0.039)]:
        assert probs[k - 1].item() == pytest.approx(value, abs=5e-4)
    assert probs[15].item() == pytest.approx(0.0025, abs=5e-5)


def test_zeta_probabilities_other_exponent() -> None:
    probs = zeta_probabilities(1.0, 3)  # 1, 1/2, 1/3 normalised by 11/6
    torch.testing.assert_close(probs, torch.tensor([6 / 11, 3 / 11, 2 / 11]))


def test_sample_repeat_histogram_matches_the_truncated_zeta() -> None:
    repeater = NoiseRepeater(num_envs=1, action_dim=1, mu=2.0, k_max=16, seed=123)
    n = 200_000
    draws = repeater.sample_repeat(n)
    assert draws.dtype == torch.int64
    assert int(draws.min()) >= 1 and int(draws.max()) <= 16
    counts = torch.bincount(draws, minlength=17)[1:].double()
    expected = torch.tensor([n / k**2 / HARMONIC2_16 for k in range(1, 17)], dtype=torch.float64)
    chi2 = ((counts - expected).square() / expected).sum().item()
    assert chi2 < 37.7  # 15 degrees of freedom, p = 0.001
    # The tail is reached too (P(16) * n ~ 490 draws), i.e. no off-by-one at the top of the CDF.
    assert counts[15].item() > 300
    assert draws.double().mean().item() == pytest.approx(
        sum(k / k**2 for k in range(1, 17)) / HARMONIC2_16, rel=0.02
    )  # E[k] ~ 2.13


def test_k_max_one_always_repeats_once() -> None:
    repeater = NoiseRepeater(num_envs=2, action_dim=1, mu=2.0, k_max=1, seed=0)
    assert torch.equal(repeater.sample_repeat(100), torch.ones(100, dtype=torch.int64))
    first, second = repeater().clone(), repeater().clone()
    assert not torch.equal(first, second)  # fresh noise every call


def _segments(noises: list[torch.Tensor]) -> list[tuple[int, int]]:
    """``(start, length)`` of the runs of identical consecutive noise tensors."""
    runs, start = [], 0
    for i in range(1, len(noises) + 1):
        if i == len(noises) or not torch.equal(noises[i], noises[start]):
            runs.append((start, i - start))
            start = i
    return runs


def test_shared_mode_holds_noise_for_exactly_k_calls_then_refreshes_all_envs() -> None:
    repeater = NoiseRepeater(num_envs=4, action_dim=3, mu=1.0, k_max=6, per_env=False, seed=7)
    noises, repeats = [], []
    for _ in range(300):
        noises.append(repeater().clone())
        repeats.append(int(repeater.repeat.item()))
    runs = _segments(noises)
    assert len(runs) > 20
    for start, length in runs[:-1]:  # the last run may be cut by the end of the loop
        assert length == repeats[start], (start, length, repeats[start])
        for env in range(4):  # every env refreshes at the same call
            assert not torch.equal(noises[start + length][env], noises[start][env])
    assert {length for _, length in runs[:-1]} >= {1, 2, 3}
    # Per env and per dimension noise is independent (not one value broadcast).
    assert len(torch.unique(noises[0])) == 12


def test_per_env_mode_refreshes_each_env_on_its_own_schedule() -> None:
    num_envs = 3
    repeater = NoiseRepeater(num_envs=num_envs, action_dim=2, mu=1.0, k_max=6, per_env=True, seed=7)
    assert repeater.repeat.shape == (num_envs,)
    noises, repeats = [], []
    for _ in range(300):
        noises.append(repeater().clone())
        repeats.append(repeater.repeat.clone())
    boundaries = []
    for env in range(num_envs):
        runs = _segments([n[env] for n in noises])
        for start, length in runs[:-1]:
            assert length == int(repeats[start][env]), (env, start, length)
        boundaries.append({start for start, _ in runs})
    assert boundaries[0] != boundaries[1] and boundaries[1] != boundaries[2]


def test_same_seed_same_noise_and_repeats_different_seed_differs() -> None:
    def trajectory(seed: int) -> list[torch.Tensor]:
        repeater = NoiseRepeater(num_envs=2, action_dim=2, mu=2.0, k_max=16, seed=seed)
        return [torch.cat((repeater().clone().flatten(), repeater.repeat.float())) for _ in range(50)]

    a, b, c = trajectory(3), trajectory(3), trajectory(4)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, z) for x, z in zip(a, c, strict=True))


def test_generator_state_round_trip_resumes_the_same_sequence() -> None:
    repeater = NoiseRepeater(num_envs=2, action_dim=2, mu=2.0, k_max=16, seed=5)
    for _ in range(7):
        repeater()
    state, buffers = repeater.generator_state(), {k: v.clone() for k, v in repeater.state_dict().items()}
    expected = [repeater().clone() for _ in range(20)]
    resumed = NoiseRepeater(num_envs=2, action_dim=2, mu=2.0, k_max=16, seed=999)
    resumed.load_state_dict(buffers)
    resumed.set_generator_state(state)
    assert all(torch.equal(resumed(), e) for e in expected)


def _agent() -> FlashSACAgent:
    spec = EnvSpec(
        task="unit",
        num_envs=3,
        obs_dim=4,
        action_dim=2,
        action_low=-torch.ones(2),
        action_high=torch.ones(2),
        max_episode_steps=None,
    )
    cfg = AgentConfig(actor_hidden_dim=16, actor_num_blocks=1, critic_hidden_dim=16, critic_num_blocks=1)
    torch.manual_seed(0)
    return FlashSACAgent(spec, cfg, torch.device("cpu"), total_updates=10, seed=0)


def test_deterministic_acting_does_not_advance_the_noise_state() -> None:
    agent = _agent()
    obs = torch.randn(3, 4)
    agent.act(obs)  # start a hold period
    buffers = {k: v.clone() for k, v in agent.noise.state_dict().items()}
    generator = agent.noise.generator_state().clone()
    for _ in range(5):
        agent.act(obs, deterministic=True)
    for name, value in agent.noise.state_dict().items():
        assert torch.equal(value, buffers[name]), name
    assert torch.equal(agent.noise.generator_state(), generator)
    agent.act(obs)  # a training action does advance it
    assert not torch.equal(agent.noise.generator_state(), generator)


def test_training_actions_use_the_held_noise() -> None:
    agent = _agent()
    obs = torch.randn(3, 4)
    action = agent.act(obs)
    agent.actor.eval()
    with torch.no_grad():
        mean, log_std = agent.actor(obs)
    # Action bounds are [-1, 1]: the env action is tanh(mean + std * eps) with eps the repeater's held noise.
    torch.testing.assert_close(action, torch.tanh(mean + log_std.exp() * agent.noise.noise))
    deterministic = agent.act(obs, deterministic=True)
    torch.testing.assert_close(deterministic, torch.tanh(mean))

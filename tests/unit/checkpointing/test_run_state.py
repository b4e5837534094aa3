"""A run's state through a checkpoint: capture, then restore into freshly built parts, continues exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from flashsac.checkpointing.checkpoint_file import CheckpointError
from flashsac.checkpointing.run_files import prune_checkpoints
from flashsac.checkpointing.run_state import CHECKPOINT_FORMAT, LoopState, capture_run_state, restore_run_state
from flashsac.cli.compose import compose_config
from flashsac.config.validate import validate
from flashsac.envs.protocol import StatefulEnv
from flashsac.logging.episodes import EpisodeStats
from flashsac.trainer.parts import RunParts, build_run
from tiny_run import tiny_overrides


def _cfg():
    cfg = compose_config(tiny_overrides())
    validate(cfg)
    return cfg


def _fresh_state(parts: RunParts, seed: int) -> LoopState:
    obs, critic_obs = parts.env.reset(seed)
    return LoopState(obs, critic_obs, EpisodeStats(parts.env.spec.num_envs, parts.env.spec.device))


def _advance(parts: RunParts, state: LoopState, vector_steps: int) -> None:
    """A few warm-up vector steps, as the loop takes them (no buffer, no learning)."""
    for _ in range(vector_steps):
        step = parts.env.step(parts.random_policy.act())
        state.metrics.add(state.episodes.record(step.reward, step.done))
        state.obs, state.critic_obs = step.obs, step.critic_obs
        state.iteration += 1
        state.env_steps += parts.env.spec.num_envs


class _Stateless:
    """Hides the simulator state of the env it wraps (as simulators that cannot restore one)."""

    def __init__(self, env: Any) -> None:
        self.inner = env

    @property
    def spec(self):
        return self.inner.spec

    def reset(self, seed: int | None = None):
        return self.inner.reset(seed)

    def step(self, action: torch.Tensor):
        return self.inner.step(action)

    def close(self) -> None:
        self.inner.close()


def test_restore_into_fresh_parts_continues_exactly(tmp_path: Path) -> None:
    cfg = _cfg()
    source = build_run(cfg)
    target = build_run(cfg)
    try:
        assert isinstance(source.env, StatefulEnv)
        state = _fresh_state(source, cfg.seed)
        _advance(source, state, 7)
        state.update_budget = 0.5
        state.eval_env_steps, state.eval_returns, state.final_eval = [0], [-3.5], {"eval/avg_return": -3.5}
        payload = capture_run_state(cfg, source, state, wall_time_s=12.5, buffer_digest=None)
        assert payload["format_version"] == CHECKPOINT_FORMAT
        assert payload["counters"] == {"env_steps": 28, "iteration": 6}

        restored = _fresh_state(target, cfg.seed + 1)
        restore_run_state(payload, cfg, target, restored, tmp_path)
        assert (restored.env_steps, restored.iteration, restored.update_budget) == (28, 6, 0.5)
        assert (restored.eval_env_steps, restored.eval_returns) == ([0], [-3.5])
        assert restored.final_eval == {"eval/avg_return": -3.5} and restored.wall_time_s == 12.5
        assert torch.equal(restored.obs, state.obs)
        for name, tensor in state.episodes.state_dict().items():
            assert torch.equal(restored.episodes.state_dict()[name], tensor), name
        assert restored.metrics.flush() == state.metrics.flush()
        # The simulator and the warm-up policy continue where the source stopped.
        _advance(source, state, 3)
        _advance(target, restored, 3)
        assert torch.equal(restored.obs, state.obs)
        assert torch.equal(target.random_policy.act(), source.random_policy.act())
    finally:
        source.close()
        target.close()


def test_env_without_state_starts_fresh_episodes_with_a_warning(tmp_path: Path) -> None:
    cfg = _cfg()
    source, target = build_run(cfg), build_run(cfg)
    source.env, target.env = _Stateless(source.env), _Stateless(target.env)
    try:
        state = _fresh_state(source, cfg.seed)
        _advance(source, state, 5)
        payload = capture_run_state(cfg, source, state, wall_time_s=0.0, buffer_digest=None)
        assert payload["loop"]["env"] is None
        restored = _fresh_state(target, cfg.seed)
        with pytest.warns(UserWarning, match="cannot restore its simulator state"):
            restore_run_state(payload, cfg, target, restored, tmp_path)
        assert restored.env_steps == 20
        expected, _ = target.env.reset(cfg.seed + state.iteration + 1)  # the seed the resume resets with
        assert torch.equal(restored.obs, expected)
        assert not restored.episodes.episode_length.any()  # fresh episodes
    finally:
        source.close()
        target.close()


def test_another_checkpoint_format_is_refused(tmp_path: Path) -> None:
    cfg = _cfg()
    parts = build_run(cfg)
    try:
        state = _fresh_state(parts, cfg.seed)
        payload = capture_run_state(cfg, parts, state, wall_time_s=0.0, buffer_digest=None)
        payload["format_version"] = CHECKPOINT_FORMAT + 1
        with pytest.raises(CheckpointError, match=f"checkpoint format {CHECKPOINT_FORMAT + 1} is not"):
            restore_run_state(payload, cfg, parts, state, tmp_path)
    finally:
        parts.close()


def test_a_checkpoint_of_another_world_size_is_refused_in_one_line(tmp_path: Path) -> None:
    cfg = _cfg()
    parts = build_run(cfg)
    try:
        state = _fresh_state(parts, cfg.seed)
        payload = capture_run_state(cfg, parts, state, wall_time_s=0.0, buffer_digest=None)
        assert payload["ranks"] == {"world_size": 1, "rank": 0}
        payload["ranks"] = {"world_size": 2, "rank": 0}
        with pytest.raises(CheckpointError) as info:
            restore_run_state(payload, cfg, parts, state, tmp_path)
        message = str(info.value)
        assert "trained by 2 rank(s) and is resumed with 1" in message and "--nproc_per_node=2" in message
        assert "\n" not in message
        del payload["ranks"]  # checkpoints written before data parallelism: one rank
        restore_run_state(payload, cfg, parts, state, tmp_path)
    finally:
        parts.close()


def test_pruning_removes_rank_files_with_their_checkpoint_and_orphans_before_the_newest(tmp_path: Path) -> None:
    directory = tmp_path / "checkpoints"
    directory.mkdir()
    for steps in (100, 200, 300):
        for name in (f"step_{steps}.pt", f"step_{steps}.rank1.pt", f"step_{steps}.rank1.buffer"):
            (directory / name).write_bytes(b"x")
    (directory / "step_250.rank1.pt").write_bytes(b"x")  # its rank-0 file was never written (killed mid-save)
    (directory / "step_400.rank1.pt").write_bytes(b"x")  # a save in progress: newer than every checkpoint
    prune_checkpoints(tmp_path, keep=2)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [f"step_{s}{suffix}" for s in (200, 300) for suffix in (".pt", ".rank1.pt", ".rank1.buffer")]
        + ["step_400.rank1.pt"]
    )

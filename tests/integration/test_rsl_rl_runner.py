"""FlashSACRunner: rsl_rl's runner API over flashsac's loop, on a built-in torch task exposed as an rsl_rl VecEnv.

The equivalence test is the contract that nothing of FlashSAC is written twice: the runner and ``flashsac train``
with the same configuration and seed end with bit-identical networks.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch

pytest.importorskip("rsl_rl")
from rsl_rl.utils import resolve_callable  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from flashsac.checkpointing.checkpoint_file import CheckpointError, load_checkpoint  # noqa: E402
from flashsac.cli.compose import compose_config  # noqa: E402
from flashsac.config.validate import ConfigError, validate  # noqa: E402
from flashsac.integrations.rsl_rl import FlashSACRunnerCfg  # noqa: E402
from flashsac.integrations.rsl_rl.runner import FlashSACRunner  # noqa: E402
from flashsac.integrations.rsl_rl.torch_task_env import TorchTaskVecEnv  # noqa: E402
from flashsac.trainer import Trainer  # noqa: E402
from tiny_run import tiny_overrides  # noqa: E402

NUM_ENVS, STEPS_PER_ENV, ITERATIONS = 4, 5, 8  # 20 env steps per iteration, 160 in all
# The tiny run of tests/tiny_run.py, shortened to the runner's 160 env steps (a warm-up of 32).
SHORT = {
    "deterministic": "true",
    "train.num_env_steps": NUM_ENVS * STEPS_PER_ENV * ITERATIONS,
    "buffer.min_size": 32,
    "train.eval_every_env_steps": 80,
    "train.log_every_env_steps": NUM_ENVS * STEPS_PER_ENV,
}
NETWORKS = ("actor", "critic", "target_critic", "temperature")


def _tiny(**changes: Any) -> Any:
    """The tiny run of tests/tiny_run.py as a RunConfig (the reference for the runner's config)."""
    cfg = compose_config(tiny_overrides({**SHORT, **changes}))
    validate(cfg)
    return cfg


def _runner_cfg(**changes: Any) -> dict[str, Any]:
    """The tiny run as an rsl_rl train_cfg: the same agent keys, buffer, batch and update rate."""
    run = _tiny()
    algorithm = {
        **dataclasses.asdict(run.agent),
        "class_name": "FlashSAC",
        "batch_size": run.train.batch_size,
        "updates_per_vector_step": run.train.updates_per_vector_step,
        "buffer_capacity": run.buffer.capacity,
        "buffer_min_size": run.buffer.min_size,
    }
    cfg = FlashSACRunnerCfg(
        seed=run.seed,
        device="cpu",
        num_steps_per_env=STEPS_PER_ENV,
        max_iterations=ITERATIONS,
        save_interval=4,
        experiment_name="pendulum",
        obs_groups={"actor": ["policy"]},
        action_bounds=run.env.action_bounds,
    ).to_dict()
    cfg["algorithm"] = algorithm
    cfg.update(changes)
    return cfg


def _env(seed: int = 0) -> TorchTaskVecEnv:
    return TorchTaskVecEnv("pendulum-swingup", NUM_ENVS, seed=seed, max_episode_steps=40)


def _assert_same_networks(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["update_steps"] == b["update_steps"] > 0
    for network in NETWORKS:
        for name, tensor in a[network].items():
            assert torch.equal(tensor, b[network][name]), f"{network}.{name} differs"


def test_the_runner_and_flashsac_train_give_bit_identical_networks(tmp_path: Path) -> None:
    reference = _tiny(**{"logging.run_dir": str(tmp_path / "train")})
    Trainer(reference, tmp_path / "train").run()
    runner = FlashSACRunner(_env(reference.seed), _runner_cfg(), log_dir=str(tmp_path / "rsl"), device="cpu")
    runner.learn(ITERATIONS)
    ours = load_checkpoint(tmp_path / "train" / "checkpoints" / "final.pt")
    theirs = load_checkpoint(tmp_path / "rsl" / f"model_{ITERATIONS - 1}.pt")
    assert ours["counters"]["env_steps"] == theirs["counters"]["env_steps"] == ITERATIONS * STEPS_PER_ENV * NUM_ENVS
    _assert_same_networks(ours["agent"], theirs["agent"])


def test_rsl_rl_layout_names_and_safe_checkpoints(tmp_path: Path) -> None:
    log_dir = tmp_path / "run"
    runner = resolve_callable("flashsac.integrations.rsl_rl.runner:FlashSACRunner")(
        _env(), _runner_cfg(), str(log_dir), "cpu"
    )
    runner.add_git_repo_to_log(__file__)
    runner.learn(num_learning_iterations=ITERATIONS, init_at_random_ep_len=True)
    assert sorted(p.name for p in log_dir.glob("model_*.pt")) == ["model_0.pt", "model_4.pt", "model_7.pt"]
    assert runner.current_learning_iteration == ITERATIONS - 1
    assert (log_dir / "scalars.csv").is_file() and (log_dir / "git").is_dir()
    events = EventAccumulator(str(log_dir)).Reload()
    tags = set(events.Tags()["scalars"])
    expected = {"Train/mean_reward", "Train/mean_episode_length", "Loss/critic", "Loss/actor", "Loss/learning_rate"}
    assert expected | {"Perf/total_fps", "Episode_Reward/step_mean", "critic/loss"} <= tags
    assert [event.step for event in events.Scalars("Loss/critic")][-1] == ITERATIONS - 1  # rsl_rl's x-axis
    # Checkpoints load with weights_only: a pickled object is refused, never executed.
    (log_dir / "model_99.pt").write_bytes((log_dir / "model_0.pt").read_bytes()[:100])
    with pytest.raises(CheckpointError):
        runner.load(str(log_dir / "model_99.pt"))


def test_resume_through_load_continues_the_run_exactly(tmp_path: Path) -> None:
    cfg = _runner_cfg(checkpoint_buffer=True, save_interval=3)
    straight = FlashSACRunner(_env(), cfg, log_dir=str(tmp_path / "straight"), device="cpu")
    straight.learn(ITERATIONS)
    first = FlashSACRunner(_env(), cfg, log_dir=str(tmp_path / "first"), device="cpu")
    first.learn(4)
    assert (tmp_path / "first" / "model_3.buffer").is_file()
    # As the scripts resume: a new process, a new log dir, load(path), then learn(the remaining iterations).
    second = FlashSACRunner(_env(seed=123), cfg, log_dir=str(tmp_path / "second"), device="cpu")
    assert second.load(str(tmp_path / "first" / "model_3.pt")) is None
    assert second.current_learning_iteration == 3
    second.learn(ITERATIONS - 4)
    a = load_checkpoint(tmp_path / "straight" / f"model_{ITERATIONS - 1}.pt")
    b = load_checkpoint(tmp_path / "second" / f"model_{ITERATIONS - 1}.pt")
    _assert_same_networks(a["agent"], b["agent"])


def test_play_builds_the_policy_only_and_exports_in_environment_units(tmp_path: Path) -> None:
    trained = FlashSACRunner(_env(), _runner_cfg(), log_dir=str(tmp_path / "run"), device="cpu")
    trained.learn(3)  # the last iteration is saved: model_2.pt
    env = _env(seed=5)
    player = FlashSACRunner(env, _runner_cfg(), log_dir=None, device="cpu")
    assert player.trainer is None  # no replay buffer is allocated to play
    player.load(str(tmp_path / "run" / "model_2.pt"), load_cfg={"actor": True}, strict=True, map_location="cpu")
    policy = player.get_inference_policy(device="cpu")
    obs = env.get_observations()
    expected = trained.agent.act(obs["policy"], deterministic=True)
    assert torch.equal(policy(obs), expected) and torch.equal(policy(obs["policy"]), expected)
    player.export_policy_to_jit(str(tmp_path / "exported"))
    player.export_policy_to_onnx(str(tmp_path / "exported"))
    scripted = torch.jit.load(str(tmp_path / "exported" / "policy.pt"))
    assert torch.allclose(scripted(obs["policy"]), expected, atol=1e-5)
    assert (tmp_path / "exported" / "policy.onnx").is_file()


def test_bad_train_cfg_is_one_line_before_anything_is_built(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^train_cfg.algorithm.num_learning_epochs is not a key"):
        cfg = _runner_cfg()
        cfg["algorithm"]["num_learning_epochs"] = 5
        FlashSACRunner(_env(), cfg, log_dir=str(tmp_path / "run"), device="cpu")
    assert not (tmp_path / "run").exists()


def test_a_multi_gpu_launch_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match=r"^WORLD_SIZE=2: the FlashSAC runner trains on one device"):
        FlashSACRunner(_env(), _runner_cfg(), log_dir=None, device="cpu")

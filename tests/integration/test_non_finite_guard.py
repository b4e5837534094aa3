"""Non-finite guard: NaN/inf in env data, losses, gradients or parameters stops training with a precise error.

The error names the first non-finite quantity, the env step and (for env data) the env index; the newest
checkpoint on disk predates the problem and is finite; the command line exits with code 3 and one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import flashsac.trainer.parts as run_parts_module
from flashsac.agents.flashsac import FlashSACAgent
from flashsac.checkpointing.checkpoint_file import load_checkpoint
from flashsac.checkpointing.run_files import list_checkpoints
from flashsac.checkpointing.tensor_file import read_tensor_file
from flashsac.cli.compose import compose_config
from flashsac.cli.main import main
from flashsac.config.validate import validate
from flashsac.envs.protocol import Step
from flashsac.runtime.finite_guard import NonFiniteError
from flashsac.trainer import Trainer
from tiny_run import tiny_overrides

NUM_ENVS = 4
CHECKPOINT_EVERY = 40
TINY = tiny_overrides(
    {
        "deterministic": "true",
        "env.num_envs": NUM_ENVS,
        "train.num_env_steps": 600,
        "train.eval_every_env_steps": 600,
        "train.log_every_env_steps": 100,
        "train.checkpoint_every_env_steps": CHECKPOINT_EVERY,
        "train.checkpoint_buffer": "true",
        "logging.tensorboard": "false",
    }
)


class Injector:
    """Wraps the training env; ``on_step(iteration, step)`` may edit a step's tensors in place."""

    def __init__(self, env: Any, on_step: Callable[[int, Step], None]) -> None:
        self._env, self._on_step, self.iteration = env, on_step, 0

    @property
    def spec(self):
        return self._env.spec

    def step(self, action: torch.Tensor) -> Step:
        step = self._env.step(action)
        self._on_step(self.iteration, step)
        self.iteration += 1
        return step

    def __getattr__(self, name: str) -> Any:  # reset, close, state_dict, load_state_dict, render
        return getattr(self._env, name)


def _wrap_training_env(monkeypatch: pytest.MonkeyPatch, on_step: Callable[[int, Step], None]) -> None:
    real_make_env = run_parts_module.make_env_from_config

    def make_env_from_config(env_cfg, seed, device, *, num_envs=None, render=False):
        env = real_make_env(env_cfg, seed, device, num_envs=num_envs, render=render)
        training = (num_envs or env_cfg.num_envs) == NUM_ENVS
        return Injector(env, on_step) if training else env  # the eval envs stay clean

    monkeypatch.setattr(run_parts_module, "make_env_from_config", make_env_from_config)


def _nan_at(iteration: int, field: str, env_index: int, value: float = math.nan) -> Callable[[int, Step], None]:
    def on_step(i: int, step: Step) -> None:
        if i == iteration:
            if field == "observation":
                step.obs[env_index, 0] = value
                step.final_obs[env_index, 0] = value
            else:
                step.reward[env_index] = value

    return on_step


def _trainer(run_dir: Path, *extra: str) -> Trainer:
    cfg = compose_config([*TINY, *extra, f"logging.run_dir={run_dir}"])
    validate(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    return Trainer(cfg, run_dir)


def _assert_last_checkpoint_is_good(run_dir: Path, before_env_steps: int) -> int:
    """The newest checkpoint predates ``before_env_steps``; its parameters and buffer snapshot are finite."""
    found = list_checkpoints(run_dir)
    assert found, "no checkpoint was kept"
    newest, path = found[-1]
    assert newest <= before_env_steps, (newest, before_env_steps)
    payload = load_checkpoint(path)
    for network in ("actor", "critic", "target_critic", "temperature"):
        for name, tensor in payload["agent"][network].items():
            if tensor.is_floating_point():
                assert torch.isfinite(tensor).all(), f"{path.name}: {network}.{name} is not finite"
    tensors, meta = read_tensor_file(path.with_suffix(".buffer"))
    for name, tensor in tensors.items():
        if tensor.is_floating_point():
            assert torch.isfinite(tensor).all(), f"{path.name} buffer: {name} is not finite"
    assert not (run_dir / "checkpoints" / "final.pt").exists()
    assert not (run_dir / "summary.json").exists()
    return newest


def _env_step_in(message: str) -> int:
    found = re.search(r"at env step (\d+)", message)
    assert found, message
    return int(found.group(1))


# ---------------------------------------------------------------------------------------------- env data
# Env data is injected during the warm-up (iterations 0-15: random actions, no updates) so that the guard's
# reporting is tested on its own; the NaN reaching an update first is tested below.

WARMUP_INJECTION = 5  # the transition from env step 20 to 24
WARMUP_EXTRA = ("train.checkpoint_every_env_steps=8",)  # checkpoints at 8, 16; the one at 24 must not happen


@pytest.mark.parametrize(
    ("field", "env_index", "value"),
    [("observation", 2, math.nan), ("reward", 1, math.nan), ("observation", 3, math.inf), ("reward", 0, -math.inf)],
    ids=["nan-observation", "nan-reward", "inf-observation", "inf-reward"],
)
def test_non_finite_env_data_stops_training_naming_quantity_step_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, env_index: int, value: float
) -> None:
    _wrap_training_env(monkeypatch, _nan_at(WARMUP_INJECTION, field, env_index, value))
    run_dir = tmp_path / "run"
    trainer = _trainer(run_dir, *WARMUP_EXTRA)
    with pytest.raises(NonFiniteError) as info:
        trainer.run()
    message = str(info.value)
    # The transition collected at iteration k spans env steps 4k -> 4k+4; the guard reports its start.
    assert f"non-finite {field} at env step {WARMUP_INJECTION * NUM_ENVS}, env index {env_index};" in message
    assert "\n" not in message
    assert _assert_last_checkpoint_is_good(run_dir, WARMUP_INJECTION * NUM_ENVS) == 16
    assert [s for s, _ in list_checkpoints(run_dir)] == [8, 16]  # the one after the problem was not written


def test_guard_off_lets_the_same_run_write_the_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: with train.check_finite=false the same injection is not caught (so the guard is what catches it)."""
    _wrap_training_env(monkeypatch, _nan_at(WARMUP_INJECTION, "reward", 1))
    run_dir = tmp_path / "run"
    _trainer(run_dir, *WARMUP_EXTRA, "train.check_finite=false").run(stop_after_env_steps=24)
    assert [s for s, _ in list_checkpoints(run_dir)] == [8, 16, 24]


def test_cli_exits_3_with_one_line_naming_the_observation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _wrap_training_env(monkeypatch, _nan_at(WARMUP_INJECTION, "observation", 2))
    run_dir = tmp_path / "run"
    assert main(["train", *TINY, *WARMUP_EXTRA, f"logging.run_dir={run_dir}"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("flashsac: error:")]
    assert len(lines) == 1, err
    assert "non-finite observation at env step 20, env index 2" in lines[0], lines[0]
    assert "last checkpoint on disk" in lines[0]
    _assert_last_checkpoint_is_good(run_dir, 20)


@pytest.mark.parametrize(("field", "env_index"), [("observation", 2), ("reward", 1)])
def test_non_finite_env_data_after_warmup_stops_with_non_finite_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, env_index: int
) -> None:
    iteration = 52  # env steps 208 -> 212: learning is on; checkpoints every 40, logs every 100 env steps
    _wrap_training_env(monkeypatch, _nan_at(iteration, field, env_index))
    run_dir = tmp_path / "run"
    trainer = _trainer(run_dir)
    with pytest.raises(NonFiniteError) as info:
        trainer.run()
    assert f"non-finite {field} at env step 208, env index {env_index}" in str(info.value)
    assert _assert_last_checkpoint_is_good(run_dir, 208) == 200


def test_non_finite_reset_observation_is_named_with_its_env_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10-step episodes: every env autoresets at iteration 9 (env steps 36 -> 40), still inside the warm-up.
    def on_step(i: int, step: Step) -> None:
        if i == 9:
            assert bool(step.done.all())
            step.obs[2, 0] = math.nan  # the first observation of env 2's next episode; final_obs stays finite

    _wrap_training_env(monkeypatch, on_step)
    run_dir = tmp_path / "run"
    trainer = _trainer(run_dir, "env.max_episode_steps=10", *WARMUP_EXTRA)
    with pytest.raises(NonFiniteError) as info:
        trainer.run(stop_after_env_steps=48)  # still warm-up: no update could trip over it
    message = str(info.value)
    assert "non-finite observation at env step 36, env index 2" in message, message
    _assert_last_checkpoint_is_good(run_dir, 36)


# ---------------------------------------------------------------------------------------------- learner
# The guard is read at every log interval; logging every vector step (4 env steps) makes it stop the run right
# after the first bad update; a long-interval case is tested separately.

EVERY_STEP = ("train.log_every_env_steps=4",)


def _sabotage_update(monkeypatch: pytest.MonkeyPatch, at_update: int, sabotage: Callable[[FlashSACAgent], None]):
    """Run ``sabotage(agent)`` right after update number ``at_update``; return the trainer env steps per update."""
    real_update = FlashSACAgent.update
    env_steps_per_update: list[int] = []
    holder: dict[str, Trainer] = {}

    def update(self: FlashSACAgent, batch):
        env_steps_per_update.append(holder["trainer"].env_steps)
        metrics = real_update(self, batch)
        if len(env_steps_per_update) == at_update:
            sabotage(self)
        return metrics

    monkeypatch.setattr(FlashSACAgent, "update", update)
    return env_steps_per_update, holder


def _poison_critic(agent: FlashSACAgent) -> None:
    with torch.no_grad():
        next(agent.critic.parameters()).view(-1)[0] = math.nan


def test_nan_parameter_shows_up_as_a_non_finite_critic_loss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps, holder = _sabotage_update(monkeypatch, 5, _poison_critic)
    run_dir = tmp_path / "run"
    holder["trainer"] = trainer = _trainer(run_dir, *EVERY_STEP)
    with pytest.raises(NonFiniteError) as info:
        trainer.run()
    message = str(info.value)
    # Update 6 is the first to use the poisoned critic (a critic-only update: update_steps is odd).
    assert len(steps) == 6
    assert f"non-finite critic/loss at env step {steps[5]};" in message, message
    assert "env index" not in message
    _assert_last_checkpoint_is_good(run_dir, steps[5])


def test_nan_parameter_with_a_long_log_interval_still_stops_with_non_finite_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps, holder = _sabotage_update(monkeypatch, 5, _poison_critic)
    holder["trainer"] = trainer = _trainer(tmp_path / "run")
    with pytest.raises(NonFiniteError, match="non-finite critic/loss"):
        trainer.run()


def test_infinite_gradient_is_named_as_the_gradient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode_gradients(agent: FlashSACAgent) -> None:
        next(agent.critic.parameters()).register_hook(lambda grad: torch.full_like(grad, math.inf))

    steps, holder = _sabotage_update(monkeypatch, 5, explode_gradients)
    run_dir = tmp_path / "run"
    holder["trainer"] = trainer = _trainer(run_dir, *EVERY_STEP)
    with pytest.raises(NonFiniteError) as info:
        trainer.run()
    # Update 6: the loss is still finite, its gradient is not.
    assert f"non-finite critic/grad_norm at env step {steps[5]};" in str(info.value), str(info.value)
    _assert_last_checkpoint_is_good(run_dir, steps[5])


def test_non_finite_parameter_is_caught_before_the_checkpoint_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No update runs during warm-up, so only the pre-checkpoint parameter check can see this."""
    holder: dict[str, Trainer] = {}

    def corrupt_actor(i: int, step: Step) -> None:
        if i == 12:  # env steps 48 -> 52, warm-up lasts until 64
            with torch.no_grad():
                next(holder["trainer"].agent.actor.parameters()).view(-1)[0] = math.inf

    _wrap_training_env(monkeypatch, corrupt_actor)
    run_dir = tmp_path / "run"
    holder["trainer"] = trainer = _trainer(run_dir, "train.checkpoint_every_env_steps=8")
    with pytest.raises(NonFiniteError, match=r"non-finite parameter at env step 56;"):
        trainer.run()
    assert [s for s, _ in list_checkpoints(run_dir)][-1] == 48
    _assert_last_checkpoint_is_good(run_dir, 48)

"""Safe loading: a checkpoint never executes code, and a mismatched one says exactly what differs.

The malicious payloads are live: each test ends by loading the same file the unsafe way
(``torch.load(weights_only=False)`` / ``pickle.load``) and checking that the marker file then *does* appear,
so a refusal is really a refusal and not a payload that would not have run anyway.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import sys
from pathlib import Path

import pytest
import torch

from flashsac.checkpointing.checkpoint_file import CheckpointError, load_checkpoint, save_checkpoint
from flashsac.checkpointing.compatibility import check_compatible
from flashsac.cli.compose import compose_config
from flashsac.cli.main import main
from flashsac.config.validate import validate
from flashsac.envs.registry import make_env
from flashsac.evaluation.policy import load_policy
from flashsac.trainer import Trainer
from tiny_run import tiny_overrides

TINY = tiny_overrides(
    {
        "deterministic": "true",
        "logging.tensorboard": "false",
    }
)


# ---------------------------------------------------------------------------------------------- payloads


def plant_marker(path: str) -> str:
    """What the attacker's code does when it runs: leave a file behind."""
    Path(path).write_text("code from a checkpoint ran")
    return "pwned"


class CallsPython:
    """Unpickles by calling a Python function of an importable module (this test module)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (plant_marker, (self.marker,))


class CallsShell:
    """Unpickles by running a shell command through ``os.system``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class CallsEval:
    """Unpickles through ``builtins.eval`` of an expression that writes the marker."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('x')",))


PAYLOADS = [CallsPython, CallsShell, CallsEval]


def _malicious_checkpoint(kind: type, marker: Path) -> dict:
    """Looks like a flashsac checkpoint; the payload hides inside the agent state."""
    return {
        "format_version": 1,
        "agent": {"actor": {"w": torch.zeros(2)}, "update_steps": 0, "extra": kind(marker)},
        "config": {"seed": 0},
        "counters": {"env_steps": 100, "iteration": 24},
    }


def _plant(directory: Path, kind: type, marker: Path, **save_kwargs) -> Path:
    path = directory / "checkpoints" / "step_100.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(_malicious_checkpoint(kind, marker), path, **save_kwargs)
    return path


def _assert_payload_is_live(path: Path, marker: Path) -> None:
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the unsafe load this project must never do
    assert marker.exists(), "the planted payload is inert: the refusal above proves nothing"


def _assert_refusal(err: BaseException, path: Path) -> None:
    message = str(err)
    assert str(path) in message
    assert "refused" in message
    assert "never executes code" in message


# ---------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("kind", PAYLOADS, ids=lambda k: k.__name__)
def test_load_checkpoint_refuses_a_malicious_pickle_and_never_runs_it(tmp_path: Path, kind: type) -> None:
    marker = tmp_path / "marker"
    path = _plant(tmp_path, kind, marker)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    _assert_refusal(info.value, path)
    assert not marker.exists()
    _assert_payload_is_live(path, marker)


@pytest.mark.parametrize(
    ("kind", "refused"),
    [
        (CallsPython, f"{plant_marker.__module__}.plant_marker"),
        (CallsEval, "eval"),
        pytest.param(
            CallsShell,
            "posix.system",
        ),
    ],
    ids=["python-function", "eval", "os.system"],
)
def test_refusal_names_what_was_refused_and_never_advises_unsafe_loading(
    tmp_path: Path, kind: type, refused: str
) -> None:
    path = _plant(tmp_path, kind, tmp_path / "marker")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert f"GLOBAL {refused}" in message, message
    assert "weights_only` set to `False" not in message and "weights_only=False" not in message, message


def test_legacy_torch_format_with_a_malicious_pickle_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = _plant(tmp_path, CallsPython, marker, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    _assert_refusal(info.value, path)
    assert not marker.exists()
    _assert_payload_is_live(path, marker)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_a_plain_pickle_file_with_a_malicious_payload_is_refused(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "checkpoints" / "step_100.pt"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps(_malicious_checkpoint(CallsPython, marker), protocol=protocol))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    _assert_refusal(info.value, path)
    assert not marker.exists()
    with path.open("rb") as handle:
        pickle.load(handle)  # noqa: S301 - proves the payload is live
    assert marker.exists()


def test_load_policy_refuses_a_malicious_checkpoint(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = _plant(tmp_path, CallsShell, marker)
    with pytest.raises(CheckpointError) as info:
        load_policy(path, "cpu")
    _assert_refusal(info.value, path)
    assert not marker.exists()


def test_cli_resume_refuses_a_malicious_checkpoint(tmp_path: Path, capsys) -> None:
    marker = tmp_path / "marker"
    run_dir = tmp_path / "run"
    _plant(run_dir, CallsPython, marker)
    with pytest.warns(UserWarning, match="refused to load"):
        assert main(["train", f"resume={run_dir}", "logging.progress=false"]) == 2
    err = capsys.readouterr().err
    assert "flashsac: error:" in err and "none of its 1 checkpoints could be read" in err
    assert "Traceback" not in err
    assert not marker.exists()


@pytest.mark.parametrize("command", ["eval", "play"])
def test_cli_eval_and_play_refuse_a_malicious_checkpoint(tmp_path: Path, capsys, command: str) -> None:
    marker = tmp_path / "marker"
    path = _plant(tmp_path / "run", CallsPython, marker)
    assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("flashsac: error:")]
    assert len(lines) == 1 and "refused to load" in lines[0] and "never executes code" in lines[0], err
    assert "Traceback" not in err
    assert not marker.exists()


def test_refusal_happens_in_a_fresh_interpreter_too(tmp_path: Path) -> None:
    """A separate process, where the payload's module is importable too: nothing runs, exit code 2."""
    import subprocess

    marker = tmp_path / "marker"
    path = _plant(tmp_path / "run", CallsShell, marker)
    code = "import sys; from flashsac.cli.main import main; sys.exit(main(['eval', sys.argv[1]]))"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "refused to load" in done.stderr
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------- mismatches


@pytest.fixture(scope="module")
def real_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of a tiny pendulum run (obs 3, action 1, 16-wide networks, 11 bins)."""
    run_dir = tmp_path_factory.mktemp("real") / "run"
    run_dir.mkdir()
    cfg = compose_config([*TINY, f"logging.run_dir={run_dir}"])
    validate(cfg)
    Trainer(cfg, run_dir).run(stop_after_env_steps=80)
    return run_dir / "checkpoints" / "step_80.pt"


def _pendulum_cfg():
    cfg = compose_config(TINY)
    validate(cfg)
    return cfg


def _spec(task: str):
    env = make_env("torch", task, 4, 0, torch.device("cpu"))
    try:
        return env.spec
    finally:
        env.close()


def test_a_matching_env_and_config_pass(real_checkpoint: Path) -> None:
    payload = load_checkpoint(real_checkpoint)
    check_compatible(payload, _spec("pendulum-swingup"), _pendulum_cfg().agent, str(real_checkpoint))
    policy = load_policy(real_checkpoint, "cpu", env_spec=_spec("pendulum-swingup"))
    assert policy.act(torch.zeros(2, 3)).shape == (2, 1)


def test_check_compatible_names_every_difference_with_both_values(real_checkpoint: Path) -> None:
    payload = load_checkpoint(real_checkpoint)
    cartpole = _spec("cartpole-balance")  # obs_dim 4 instead of 3
    agent = dataclasses.replace(_pendulum_cfg().agent, critic_hidden_dim=32)
    with pytest.raises(CheckpointError) as info:
        check_compatible(payload, cartpole, agent, str(real_checkpoint))
    message = str(info.value)
    assert str(real_checkpoint) in message
    assert "env obs_dim: checkpoint 3 vs env 4" in message
    assert "agent.critic_hidden_dim: checkpoint 16 vs config 32" in message
    # Only what differs is listed.
    assert "action_dim" not in message and "actor_hidden_dim" not in message and "critic_num_bins" not in message


def test_check_compatible_names_action_dim_and_bins(real_checkpoint: Path) -> None:
    payload = load_checkpoint(real_checkpoint)
    spec = _spec("pendulum-swingup")
    two_actions = dataclasses.replace(
        spec, action_dim=2, action_low=torch.full((2,), -1.0), action_high=torch.full((2,), 1.0)
    )
    agent = dataclasses.replace(_pendulum_cfg().agent, critic_num_bins=21, actor_num_blocks=3)
    with pytest.raises(CheckpointError) as info:
        check_compatible(payload, two_actions, agent, "ckpt")
    message = str(info.value)
    assert "env action_dim: checkpoint 1 vs env 2" in message
    assert "agent.critic_num_bins: checkpoint 11 vs config 21" in message
    assert "agent.actor_num_blocks: checkpoint 1 vs config 3" in message  # the torch default (preset=quick) has 1 block
    assert "obs_dim" not in message


def test_load_policy_with_a_mismatching_env_spec_says_what_differs(real_checkpoint: Path) -> None:
    with pytest.raises(CheckpointError, match=r"env obs_dim: checkpoint 3 vs env 4"):
        load_policy(real_checkpoint, "cpu", env_spec=_spec("cartpole-balance"))


def test_resuming_into_a_different_network_or_env_says_what_differs(real_checkpoint: Path, tmp_path: Path) -> None:
    payload = load_checkpoint(real_checkpoint)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cfg = compose_config([*TINY, "agent.critic_hidden_dim=32", "env.task=cartpole-balance"])
    validate(cfg)
    with pytest.raises(CheckpointError) as info:
        Trainer(cfg, run_dir, resume_from=payload)
    message = str(info.value)
    assert "env obs_dim: checkpoint 3 vs env 4" in message
    assert "agent.critic_hidden_dim: checkpoint 16 vs config 32" in message


def test_agent_state_that_does_not_fit_its_own_stored_config_is_a_checkpoint_error(
    real_checkpoint: Path, tmp_path: Path
) -> None:
    payload = load_checkpoint(real_checkpoint)
    payload["config"]["agent"]["actor_hidden_dim"] = 32  # the stored tensors are 16 wide
    edited = tmp_path / "edited.pt"
    save_checkpoint(edited, payload)
    with pytest.raises(CheckpointError, match="does not match its own config"):
        load_policy(edited, "cpu")

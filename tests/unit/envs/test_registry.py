"""The family registry: clear errors for unknown names, install checks, and factories returning a VecEnv."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest
import torch

from flashsac.envs import MissingSimulatorError, UnknownTaskError, VecEnv, check_env, make_env
from flashsac.envs.adapters.families import FAMILY_MODULES
from flashsac.envs.registry import FAMILIES, EnvFamily, family

MUJOCO_V5 = {
    "Ant-v5",
    "HalfCheetah-v5",
    "Hopper-v5",
    "Humanoid-v5",
    "HumanoidStandup-v5",
    "InvertedDoublePendulum-v5",
    "InvertedPendulum-v5",
    "Pusher-v5",
    "Reacher-v5",
    "Swimmer-v5",
    "Walker2d-v5",
}


def _require(name: str) -> None:
    try:
        family(name).require()
    except MissingSimulatorError as exc:
        pytest.skip(str(exc))


def test_unknown_family_names_env_name_and_choices() -> None:
    with pytest.raises(UnknownTaskError, match=r"env\.name='nope'") as err:
        make_env("nope", "x", 1, seed=0, device=torch.device("cpu"))
    for choice in ("torch", "mujoco", "dmc"):
        assert choice in str(err.value)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("torch", "pendulum-swingup"),
        pytest.param("mujoco", "Hopper-v5", marks=pytest.mark.sim),
        pytest.param("dmc", "cartpole-swingup", marks=pytest.mark.sim),
    ],
)
def test_unknown_task_names_env_task_and_choices(name: str, valid: str) -> None:
    _require(name)
    with pytest.raises(UnknownTaskError, match=r"env\.task='no-such-task'") as err:
        check_env(name, "no-such-task")
    assert valid in str(err.value)


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("torch", "pendulum-swingup"),
        pytest.param("mujoco", "InvertedPendulum-v5", marks=pytest.mark.sim),
        pytest.param("dmc", "cartpole-balance", marks=pytest.mark.sim),
    ],
)
def test_make_env_returns_a_vec_env(name: str, task: str) -> None:
    _require(name)
    env = make_env(name, task, 2, seed=0, device=torch.device("cpu"))
    try:
        assert isinstance(env, VecEnv)
        assert env.spec.task == task and env.spec.num_envs == 2
    finally:
        env.close()


def test_mujoco_task_list_without_importing_mujoco() -> None:
    code = (
        "import sys\n"
        "from flashsac.envs.adapters import mujoco as family\n"
        "tasks = family.list_tasks()\n"
        "assert 'mujoco' not in sys.modules, 'list_tasks imported mujoco'\n"
        "print(' '.join(tasks))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == MUJOCO_V5


def test_mujoco_require_missing_gives_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mujoco", None)
    with pytest.raises(MissingSimulatorError, match=r"pip install 'flashsac\[mujoco\]'") as err:
        family("mujoco").require()
    assert "\n" not in str(err.value)


def test_mujoco_require_rejects_unsupported_major(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("mujoco")
    fake.__version__ = "4.0.0"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mujoco", fake)
    with pytest.raises(MissingSimulatorError, match=r"4\.0\.0.*pip install 'flashsac\[mujoco\]'"):
        family("mujoco").require()


def test_dmc_require_missing_gives_reason_and_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dm_control.suite", None)
    with pytest.raises(MissingSimulatorError, match=r"dm_control.*pip install 'flashsac\[dmc\]'") as err:
        family("dmc").require()
    assert "\n" not in str(err.value)


def test_the_pyright_checked_family_list_is_the_registrys() -> None:
    assert list(FAMILY_MODULES) == list(FAMILIES)
    for name, module in FAMILY_MODULES.items():
        assert isinstance(module, types.ModuleType) and module.__name__ == FAMILIES[name].module
        assert isinstance(module, EnvFamily)
        assert all(isinstance(value, float) for value in module.SOLVED_RETURNS.values())

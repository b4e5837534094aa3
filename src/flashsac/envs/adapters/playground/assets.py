"""Where the joystick tasks' robots come from, and one clear error when they are absent.

Playground's locomotion tasks build their robots from MuJoCo Menagerie: ``g1/base.py`` and ``t1/base.py`` read
every mesh of ``mjx_env.MENAGERIE_PATH / "unitree_g1"`` (``"booster_t1"``), and ``locomotion.load`` first calls
``mjx_env.ensure_menagerie_exists()``, which runs ``git clone`` of github.com/deepmind/mujoco_menagerie into
``mujoco_playground/external_deps/mujoco_menagerie`` (inside site-packages) and checks out
``mjx_env.MENAGERIE_COMMIT_SHA``. Playground reads no environment variable for that path. Where GitHub cannot be
reached the clone fails with a bare ``CalledProcessError`` (or hangs on a proxy), so :func:`use_menagerie` checks
for the robot's directory before Playground tries, and explains how to provide it:

* put a checkout at Playground's own path, or
* set ``FLASHSAC_MENAGERIE_PATH`` to a checkout elsewhere: it replaces ``mjx_env.MENAGERIE_PATH``, which both the
  robot loaders and ``ensure_menagerie_exists`` look up at call time.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from flashsac.envs.registry import MissingSimulatorError

__all__ = ["MENAGERIE_ENV", "ROBOT_DIRS", "missing_assets_error", "use_menagerie"]

MENAGERIE_ENV = "FLASHSAC_MENAGERIE_PATH"
ROBOT_DIRS: dict[str, str] = {
    "G1JoystickFlatTerrain": "unitree_g1",
    "G1JoystickRoughTerrain": "unitree_g1",
    "T1JoystickFlatTerrain": "booster_t1",
    "T1JoystickRoughTerrain": "booster_t1",
}
"""Task -> Menagerie directory its robot is built from (``locomotion/g1/base.py``, ``locomotion/t1/base.py``)."""


def missing_assets_error(task: str, robot_dir: Path, mjx_env: ModuleType, cause: str = "") -> MissingSimulatorError:
    """The one-line error for an absent robot model: what is missing, where it was looked for, how to add it."""
    root = robot_dir.parent
    sha = getattr(mjx_env, "MENAGERIE_COMMIT_SHA", "<see mujoco_playground/_src/mjx_env.py>")
    because = f" ({cause})" if cause else ""
    return MissingSimulatorError(
        f"env.task={task} needs the robot model {robot_dir.name}/ (with its assets/ meshes) of MuJoCo Menagerie, "
        f"which MuJoCo Playground clones from https://github.com/deepmind/mujoco_menagerie at first use; it is "
        f"not at {robot_dir}{because}. Fix: on a machine that reaches GitHub, `git clone "
        f"https://github.com/deepmind/mujoco_menagerie.git {root} && git -C {root} checkout {sha}`, or copy such "
        f"a checkout here and set {MENAGERIE_ENV}=/path/to/mujoco_menagerie."
    )


def use_menagerie(task: str, mjx_env: Any) -> None:
    """Point Playground at the Menagerie checkout for ``task`` and check that its robot is there.

    Args:
        task: A Playground task name; tasks outside :data:`ROBOT_DIRS` need nothing and return at once.
        mjx_env: Playground's ``mujoco_playground._src.mjx_env`` module; its ``MENAGERIE_PATH`` is set to
            ``FLASHSAC_MENAGERIE_PATH`` where that is set, else to Playground's own default.

    Raises:
        MissingSimulatorError: when the robot's directory or its ``assets/`` is absent, with the fix.
    """
    robot = ROBOT_DIRS.get(task)
    if robot is None:
        return
    override = os.environ.get(MENAGERIE_ENV)
    # Playground's own default (mjx_env.py: MENAGERIE_PATH = EXTERNAL_DEPS_PATH / "mujoco_menagerie"), so that
    # unsetting the variable goes back to it. The loaders read the module attribute at call time.
    path = Path(override) if override else Path(str(mjx_env.EXTERNAL_DEPS_PATH)) / "mujoco_menagerie"
    mjx_env.MENAGERIE_PATH = type(mjx_env.MENAGERIE_PATH)(str(path))
    robot_dir = path / robot
    if not (robot_dir / "assets").is_dir():
        raise missing_assets_error(task, robot_dir, mjx_env)

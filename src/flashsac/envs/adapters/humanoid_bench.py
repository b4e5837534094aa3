"""The ``humanoid_bench`` family: HumanoidBench's 14 H1 locomotion tasks, under the package's own gymnasium ids.

HumanoidBench (https://github.com/carlosferrazza/humanoid-bench) is not on PyPI. ``import humanoid_bench``
registers ``<robot>-<task>-v0`` gymnasium ids; this family offers the paper's 14 tasks for the position-controlled
H1 robot (``h1-walk-v0`` ... ``h1-pole-v0``) and lifts them into the contract through
:class:`~flashsac.envs.gymnasium_vec.GymnasiumVecEnv`, keeping the package's defaults: its 1000-step ``TimeLimit``
and its action space, which the package itself already rescales onto ``[-1, 1]`` (what ``RescaleAction`` would
do). Everything here is imported lazily, inside :func:`require` and :func:`make`.

Versions. The package's ``setup.py`` pins ``mujoco==3.1.6`` and ``dm_control==1.0.20``, which :func:`require`
enforces: its vendored copy of dm_control's named indexing reads ``MjModel`` fields that later mujoco releases
dropped (with mujoco 3.17 every task fails to build: no ``flex_evpair``). It also pins ``gymnasium==0.29.1`` and
``torch==2.3.1``, which would break flashsac (gymnasium >= 1.1, its own torch); the H1 tasks run unchanged on
gymnasium 1.x, so the package goes in with ``--no-deps`` and ``flashsac[humanoid-bench]`` supplies what they import
(mujoco, dm_control, jax). The install must be editable: the package's ``setup.py`` packages neither its
``envs`` modules (no ``__init__.py``) nor its XML assets.

Success. HumanoidBench reports no per-step ``success`` for these tasks; it counts a task as solved when an
episode's return reaches the task's ``success_bar`` (an attribute of each task class). :class:`ReturnSuccess`
turns that into the contract's ``info["success"]``: true from the step at which the episode's return so far
reaches the bar, so the flag at the last step says whether the episode succeeded. The same bars are
:data:`SOLVED_RETURNS`.

Seeding. The package draws reach goals and sit_hard start poses from NumPy's global generator, which
``reset(seed=...)`` does not touch; :class:`ReturnSuccess` calls the package's own ``HumanoidEnv.seed`` hook on
seeded resets so that the same seed gives the same episode.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from typing import Any, SupportsFloat

import gymnasium as gym

from flashsac.envs.adapters.mujoco import RENDER_SIZE, gym_joint_names, select_gl_backend
from flashsac.envs.adapters.package_info import installed_version
from flashsac.envs.gymnasium_vec import GymnasiumVecEnv
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = [
    "H1_TASKS",
    "INSTALL_COMMAND",
    "PINNED_VERSIONS",
    "SOLVED_RETURNS",
    "TASKS_HINT",
    "ReturnSuccess",
    "list_tasks",
    "make",
    "require",
]

TASKS_HINT = "HumanoidBench H1 tasks as h1-<task>-v0, e.g. h1-walk-v0, h1-run-v0, h1-reach-v0, h1-balance_hard-v0"
REPOSITORY_COMMIT = "791405f5eacf879adbc99105adb3fee73f5a49fc"
"""The HumanoidBench commit these pins and task facts were checked against."""
INSTALL_COMMAND = (
    "pip install 'flashsac[humanoid-bench]' && git clone https://github.com/carlosferrazza/humanoid-bench && "
    f"git -C humanoid-bench checkout {REPOSITORY_COMMIT} && pip install --no-deps -e ./humanoid-bench"
)
"""The fix for every install problem (editable: a built wheel of the package lacks its task modules and assets)."""
PINNED_VERSIONS: dict[str, str] = {"mujoco": "3.1.6", "dm-control": "1.0.20"}
"""Distribution -> exact version HumanoidBench's ``setup.py`` pins (and :func:`require` enforces)."""

# The paper's 14 H1 tasks, each with the package's ``success_bar`` (humanoid_bench/envs/*.py at REPOSITORY_COMMIT).
_SUCCESS_BARS: dict[str, float] = {
    "walk": 700.0,
    "stand": 800.0,
    "run": 700.0,
    "reach": 12000.0,
    "hurdle": 700.0,
    "crawl": 700.0,
    "maze": 1200.0,
    "sit_simple": 750.0,
    "sit_hard": 750.0,
    "balance_simple": 800.0,
    "balance_hard": 800.0,
    "stair": 700.0,
    "slide": 700.0,
    "pole": 700.0,
}
H1_TASKS: tuple[str, ...] = tuple(f"h1-{task}-v0" for task in _SUCCESS_BARS)
SOLVED_RETURNS: dict[str, float] = {f"h1-{task}-v0": bar for task, bar in _SUCCESS_BARS.items()}


def _package_installed() -> bool:
    """Whether ``humanoid_bench`` can be found on the import path (without importing it)."""
    return importlib.util.find_spec("humanoid_bench") is not None


def _fail(problem: str) -> MissingSimulatorError:
    return MissingSimulatorError(f"env=humanoid_bench {problem}; fix: {INSTALL_COMMAND}")


def require() -> None:
    """Check that ``humanoid_bench`` imports next to the mujoco and dm_control versions it pins.

    ``MUJOCO_GL`` is pointed at a headless backend first (the package imports ``mujoco``, which reads it then).

    Raises:
        MissingSimulatorError: one line naming the problem (package absent, a pinned dependency absent or at
            another version, or the import failing) and the install command.
    """
    if not _package_installed():
        raise _fail("needs the humanoid_bench package (not on PyPI), which is not installed")
    for distribution, pinned in PINNED_VERSIONS.items():
        found = installed_version(distribution)
        if found is None:
            raise _fail(f"needs {distribution}=={pinned} (HumanoidBench's pin), which is not installed")
        if found != pinned:
            raise _fail(
                f"needs {distribution}=={pinned} (HumanoidBench's pin), found {distribution} {found} "
                "(the mujoco and dmc extras pin newer versions: give HumanoidBench its own venv)"
            )
    select_gl_backend()
    try:
        importlib.import_module("humanoid_bench")
    except Exception as exc:  # ImportError (e.g. no jax) or whatever a broken install raises
        reason = " ".join(str(exc).split())
        raise _fail(f"cannot import humanoid_bench ({type(exc).__name__}: {reason})") from exc


def list_tasks() -> list[str]:
    """The paper's 14 H1 task ids (``h1-walk-v0``, ...); the package registers more, for other robots."""
    return list(H1_TASKS)


class ReturnSuccess(gym.Wrapper):
    """Adds ``info["success"]``: the episode's return so far has reached the task's ``success_bar``.

    Also reseeds the package's global NumPy draws on seeded resets, through the env's own ``seed`` hook.

    Args:
        env: A HumanoidBench env (``gym.make("h1-walk-v0")``).
        success_bar: Episode return at which HumanoidBench counts the task as solved.
    """

    def __init__(self, env: gym.Env, success_bar: float) -> None:
        super().__init__(env)
        self.success_bar = float(success_bar)
        self._episode_return = 0.0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Start an episode; a seed also seeds the package's global NumPy draws (goals, start poses)."""
        seed_hook = getattr(self.env.unwrapped, "seed", None)
        if seed is not None and callable(seed_hook):
            seed_hook(seed)
        self._episode_return = 0.0
        return self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env and report whether the episode's return has reached the bar."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._episode_return += float(reward)
        return obs, reward, terminated, truncated, {**info, "success": self._episode_return >= self.success_bar}

    def render(self) -> Any:
        """An RGB frame from the task's camera.

        The package's own ``render`` passes gymnasium 0.29's three arguments to the renderer, which gymnasium 1.x
        no longer takes, so the MuJoCo renderer is called directly where the env has one.
        """
        renderer = getattr(self.env.unwrapped, "mujoco_renderer", None)
        return self.env.render() if renderer is None else renderer.render(self.env.unwrapped.render_mode)


def make(request: EnvRequest) -> GymnasiumVecEnv:
    """Build ``num_envs`` copies of the H1 task ``task``; env ``i`` gets ``seed + i``.

    Args:
        request: ``task`` is an H1 task id, e.g. ``"h1-walk-v0"``; ``max_episode_steps=None`` keeps the package's
            1000 steps; ``render`` builds the envs with ``render_mode="rgb_array"`` (``RENDER_SIZE`` square
            frames). Otherwise the render mode is set to ``None`` explicitly: the package defaults to
            ``"rgb_array"``, which would open an OpenGL context per env.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    require()
    if task not in SOLVED_RETURNS:
        raise UnknownTaskError(
            f"env.task={task!r} is not a task of env=humanoid_bench. Valid choices: {', '.join(H1_TASKS)}."
        )
    render_kwargs: dict[str, Any] = (
        {"render_mode": "rgb_array", "width": RENDER_SIZE, "height": RENDER_SIZE} if render else {"render_mode": None}
    )

    def factory() -> gym.Env:
        env = gym.make(task, max_episode_steps=max_episode_steps, **render_kwargs)
        return ReturnSuccess(env, SOLVED_RETURNS[task])

    env = GymnasiumVecEnv(
        task, [factory] * num_envs, device, max_episode_steps=max_episode_steps, joint_names=gym_joint_names
    )
    env.reset(seed)
    return env

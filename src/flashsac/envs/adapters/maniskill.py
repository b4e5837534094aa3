"""The ``maniskill`` family: ManiSkill3's GPU-parallel manipulation tasks, through its own vector env.

ManiSkill3 (``pip install mani-skill==3.0.1``) simulates every env of a batch in one PhysX GPU scene and returns
batched torch tensors on that GPU. ``gymnasium.make(task, num_envs=N, obs_mode="state", ...)`` builds the batch
and ``ManiSkillVectorEnv`` (``mani_skill/vector/wrappers/gymnasium.py``) adds same-step autoreset; this family
wraps that pair directly, so observations, rewards and flags never leave the simulator's device (no NumPy).

* **Autoreset and the true final observation.** Where an episode ends, ManiSkillVectorEnv resets those envs
  within ``step`` and returns the new observations; the pre-reset ones (for every env) are in
  ``info["final_observation"]`` and the step's own info (``success`` ...) in ``info["final_info"]``, while
  ``info`` itself becomes the reset's. ``Step.final_obs`` takes the final observation where an episode ended
  and ``success`` is read from ``final_info`` whenever it is present.
* **Terminations.** ManiSkill terminates an episode where the task reports ``success`` (or ``fail``). The
  paper treats these tasks as infinite-horizon: ``ignore_terminations=True`` (the default here) has the vector
  env clear every termination, so episodes end only at the time limit (``truncated``) and bootstrap there.
  With ``ignore_terminations=False`` success ends the episode as ``terminated``. A step that is both
  terminal and the last of the time limit counts as ``terminated`` only: the two flags are never both set.
* **Rewards.** ``reward_mode="normalized_dense"`` (the paper's, default here; the task's dense reward divided
  by its maximum), ``dense``, ``sparse`` (``success`` as 0/1, minus ``fail``) or ``none``.
* **Actions.** The robot's default controller, ``pd_joint_delta_pos`` for every paper task (Panda: 7 joint
  deltas + gripper, G1 upper body: 25 joint deltas), normalised by ManiSkill to ``[-1, 1]``; another
  ``control_mode`` may be chosen. Delta controllers have no default pose, so :meth:`ManiSkillVecEnv.joint_limits`
  is ``None``.
* **Time limits** are ManiSkill's registered ones (PokeCube, PullCube, LiftPegUpright, PickSingleYCB 50 steps;
  RollBall 80; PegInsertionSide and the two G1 tasks 100), or ``max_episode_steps`` when given.
* **Seeds.** ``reset(seed)`` seeds ManiSkill's main and episode RNGs (env ``i`` gets a seed drawn from
  ``seed``); the autoresets that follow draw from them and from torch's global generator, as ManiSkill does.
* **Device.** ``device`` cuda selects ``sim_backend="physx_cuda[:i]"``. On cpu ManiSkill's own ``auto`` rule
  applies: one env runs on PhysX CPU, more need the GPU backend (their tensors are then copied to the cpu).
  Even state observations need a Vulkan rendering device: ManiSkill builds render materials for every scene.

Host syncs. Adapter code adds none, but ManiSkillVectorEnv tests ``dones.any()`` on the host at every step to
decide whether to reset; that one sync per step is ManiSkill's and cannot be avoided from outside.

Options (``make(..., **options)``): ``reward_mode``, ``ignore_terminations``, ``control_mode``; see
:data:`OPTION_DEFAULTS`.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from flashsac.config.validate import ConfigError
from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.adapters.package_info import installed_version
from flashsac.envs.protocol import EnvRequest, EnvSpec, Step
from flashsac.envs.registry import MissingSimulatorError, RenderError, UnknownTaskError

__all__ = [
    "INSTALL_COMMAND",
    "OPTION_DEFAULTS",
    "PINNED_VERSION",
    "REWARD_MODES",
    "TASKS",
    "SOLVED_RETURNS",
    "TASKS_HINT",
    "ManiSkillVecEnv",
    "list_tasks",
    "make",
    "require",
    "sim_backend",
]

TASKS: tuple[str, ...] = (
    "PickSingleYCB-v1",
    "PegInsertionSide-v1",
    "UnitreeG1TransportBox-v1",
    "UnitreeG1PlaceAppleInBowl-v1",
    "LiftPegUpright-v1",
    "PokeCube-v1",
    "PullCube-v1",
    "RollBall-v1",
)
"""The paper's eight ManiSkill3 tasks (docs/algorithm.md section 8), under ManiSkill's own gymnasium ids."""
TASKS_HINT = "ManiSkill3 task ids, e.g. PokeCube-v1, PullCube-v1, RollBall-v1, UnitreeG1TransportBox-v1"
SOLVED_RETURNS: dict[str, float] = {}  # no task of this family has a "solved" return
PINNED_VERSION = "3.0.1"
INSTALL_COMMAND = "pip install 'flashsac[maniskill]'"
_NEEDS = (
    "ManiSkill needs an NVIDIA GPU with its driver and a Vulkan driver (e.g. libvulkan1 and the driver's Vulkan "
    "ICD; `vulkaninfo` must list the GPU), even for state observations; see "
    "https://maniskill.readthedocs.io/en/latest/user_guide/getting_started/installation.html"
)
REWARD_MODES = ("normalized_dense", "dense", "sparse", "none")
"""ManiSkill's reward modes (``BaseEnv.SUPPORTED_REWARD_MODES`` in ``mani_skill/envs/sapien_env.py``)."""
OPTION_DEFAULTS: dict[str, Any] = {
    "reward_mode": "normalized_dense",
    "ignore_terminations": True,
    "control_mode": None,
}
"""Family options and their defaults, the paper's settings: normalised dense rewards, terminations ignored
(episodes end only at the time limit), and the robot's default controller (``None``)."""
# Words of an error from gym.make that point at the GPU, CUDA or Vulkan rather than at the task's arguments.
_DEVICE_WORDS = ("vulkan", "vk::", "cuda", "gpu", "device", "render", "driver")


def require() -> None:
    """Check that mani-skill 3.0.1 is installed and imports.

    Raises:
        MissingSimulatorError: one line naming the problem (absent, another version, or the import failing),
            the install command, and that a Vulkan-capable NVIDIA GPU is needed.
    """
    found = installed_version("mani-skill")
    if found is None:
        raise MissingSimulatorError(
            f"env=maniskill needs mani-skill=={PINNED_VERSION}, which is not installed; fix: {INSTALL_COMMAND} "
            f"({_NEEDS})"
        )
    if found != PINNED_VERSION:
        raise MissingSimulatorError(
            f"env=maniskill needs mani-skill=={PINNED_VERSION}, found mani-skill {found}; fix: {INSTALL_COMMAND}"
        )
    try:
        importlib.import_module("mani_skill.envs")  # registers the tasks with gymnasium
    except Exception as exc:  # ImportError, or whatever a broken sapien install raises
        reason = " ".join(str(exc).split())
        raise MissingSimulatorError(
            f"env=maniskill cannot import mani_skill ({type(exc).__name__}: {reason}); fix: {INSTALL_COMMAND} "
            f"({_NEEDS})"
        ) from exc


def list_tasks() -> list[str]:
    """The paper's eight task ids (ManiSkill registers many more; these are the ones checked here)."""
    return list(TASKS)


def sim_backend(device: torch.device, num_envs: int) -> str:
    """ManiSkill's ``sim_backend`` for tensors wanted on ``device``.

    ``cuda[:i]`` -> ``physx_cuda[:i]``; on cpu, ManiSkill's ``auto`` rule: ``physx_cpu`` for one env (the CPU
    backend runs no more), ``physx_cuda`` for more.
    """
    if device.type == "cuda":
        return "physx_cuda" if device.index is None else f"physx_cuda:{device.index}"
    return "physx_cpu" if num_envs == 1 else "physx_cuda"


def _options(task: str, options: dict[str, Any]) -> dict[str, Any]:
    """The family options with defaults filled in; unknown keys and bad values raise one line."""
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise ConfigError(
            f"env=maniskill has no option {', '.join(map(repr, unknown))} (task {task}). "
            f"Valid options: {', '.join(OPTION_DEFAULTS)}."
        )
    merged = {**OPTION_DEFAULTS, **options}
    if merged["reward_mode"] not in REWARD_MODES:
        raise ConfigError(
            f"env=maniskill reward_mode={merged['reward_mode']!r} is not a ManiSkill reward mode. "
            f"Valid choices: {', '.join(REWARD_MODES)} (the paper uses normalized_dense)."
        )
    if not isinstance(merged["ignore_terminations"], bool):
        raise ConfigError(
            f"env=maniskill ignore_terminations={merged['ignore_terminations']!r} must be true or false "
            "(the paper: true, episodes end only at the time limit)."
        )
    if merged["control_mode"] is not None and not isinstance(merged["control_mode"], str):
        raise ConfigError(
            f"env=maniskill control_mode={merged['control_mode']!r} must be a ManiSkill control mode name "
            "(e.g. pd_joint_delta_pos) or null for the robot's default."
        )
    return merged


def _start_failure(task: str, backend: str, exc: Exception) -> MissingSimulatorError:
    """One line saying why ManiSkill could not build ``task``, with the GPU/Vulkan hint where it fits."""
    reason = " ".join(str(exc).split())
    what = f"env=maniskill could not build {task} (sim_backend={backend}): {type(exc).__name__}: {reason}"
    if any(word in reason.lower() for word in _DEVICE_WORDS):
        return MissingSimulatorError(f"{what}. {_NEEDS}.")
    return MissingSimulatorError(f"{what}. Check the env options (control_mode, reward_mode) against the task.")


class ManiSkillVecEnv:
    """A ManiSkill3 ``ManiSkillVectorEnv`` behind the env contract (see the module docstring).

    Args:
        task: The task id.
        vec: ``ManiSkillVectorEnv`` in same-step autoreset mode around ``gymnasium.make(task, num_envs=...)``.
        device: Device every returned tensor is put on (a no-op copy when it is the simulator's).
        max_episode_steps: The time limit the env truncates at.
        can_render: Whether the env was built with ``render_mode="rgb_array"``.
    """

    def __init__(
        self, task: str, vec: Any, device: torch.device, max_episode_steps: int | None, can_render: bool
    ) -> None:
        self._vec = vec
        self._device = device
        self._closed = False
        obs_space, act_space = vec.single_observation_space, vec.single_action_space
        if len(obs_space.shape) != 1 or len(getattr(act_space, "shape", None) or ()) != 1:
            raise ValueError(
                f"env=maniskill task {task}: flashsac needs flat state observations and a 1-D Box action space, got "
                f"{obs_space} and {act_space}. Use obs_mode='state' and a single-controller control_mode."
            )
        low = torch.as_tensor(np.asarray(act_space.low, dtype=np.float32), device=device)
        high = torch.as_tensor(np.asarray(act_space.high, dtype=np.float32), device=device)
        self._spec = EnvSpec(
            task=task,
            num_envs=int(vec.num_envs),
            obs_dim=int(obs_space.shape[0]),
            action_dim=int(act_space.shape[0]),
            action_low=low,
            action_high=high,
            max_episode_steps=max_episode_steps,
            device=device,
            control_dt=float(vec.base_env.control_timestep),
            exact_final_obs=True,
            shares_instance=False,  # ManiSkill runs several GPU scenes in one process (train + eval envs)
            can_render=can_render,
        )

    @property
    def spec(self) -> EnvSpec:
        """The static description of this env batch."""
        return self._spec

    def _obs(self, obs: torch.Tensor) -> torch.Tensor:
        return obs.to(device=self._device, dtype=torch.float32)

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, None]:
        """Reset every env (``seed`` seeds ManiSkill's RNGs); ManiSkill offers no privileged critic obs."""
        obs, _ = self._vec.reset(seed=seed)
        return self._obs(obs), None

    def step(self, action: torch.Tensor) -> Step:
        """Step all envs; where an episode ended ``obs`` is already reset and ``final_obs`` is the true last one."""
        obs, reward, terminated, truncated, infos = self._vec.step(action)
        obs = self._obs(obs)
        terminated = terminated.to(device=self._device, dtype=torch.bool)
        truncated = truncated.to(device=self._device, dtype=torch.bool) & ~terminated
        # A Python dict lookup, not a device sync: the key exists only when some env was reset in this step.
        if "final_observation" in infos:
            step_info = infos["final_info"]
            done = (terminated | truncated)[:, None]
            final_obs = torch.where(done, self._obs(infos["final_observation"]), obs)
        else:
            step_info, final_obs = infos, obs
        info: dict[str, torch.Tensor] = {}
        for key in ("success", "fail"):
            if key in step_info:
                info[key] = step_info[key].to(device=self._device, dtype=torch.bool)
        return Step(
            obs=obs,
            # sparse rewards are ManiSkill's bool success flags; every mode is float32 here
            reward=reward.to(device=self._device, dtype=torch.float32),
            terminated=terminated,
            truncated=truncated,
            final_obs=final_obs,
            info=info,
        )

    def joint_limits(self) -> JointLimits | None:
        """``None``: the paper's controllers apply joint *deltas* (per-step increments), not ``q0 + s * a``."""
        return None

    def render(self, env_index: int = 0) -> np.ndarray:
        """The current frame of env ``env_index`` from the task's render camera, ``(H, W, 3)`` uint8.

        Raises:
            RenderError: if the env was not built with ``render=True``.
        """
        if not self._spec.can_render:
            raise RenderError(
                f"env=maniskill {self._spec.task} was built without rendering; build it with "
                "make_env(..., render=True) (ManiSkill render_mode='rgb_array')."
            )
        frames = self._vec.render()  # (num_envs, H, W, 3) uint8, every env rendered in parallel
        return frames[env_index].cpu().numpy().astype(np.uint8)

    def close(self) -> None:
        """Release the simulator; a second call does nothing."""
        if not self._closed:
            self._closed = True
            self._vec.close()


def make(request: EnvRequest, **options: Any) -> ManiSkillVecEnv:
    """Build ``num_envs`` envs of ``task`` in one ManiSkill scene batch and reset them with ``seed``.

    Args:
        request: ``task`` is one of :data:`TASKS`; ``device`` picks the sim backend (:func:`sim_backend`);
            ``max_episode_steps=None`` keeps ManiSkill's registered limit; ``render`` builds with
            ``render_mode="rgb_array"`` so that :meth:`ManiSkillVecEnv.render` works.
        **options: ``reward_mode``, ``ignore_terminations``, ``control_mode`` (:data:`OPTION_DEFAULTS`).

    Raises:
        UnknownTaskError: ``task`` is not a paper task.
        ConfigError: an unknown option or a bad option value.
        MissingSimulatorError: mani-skill is missing, or it cannot build the task here (no GPU, CUDA or Vulkan
            device): one line with the reason.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps, render = request.max_episode_steps, request.render
    if task not in TASKS:
        raise UnknownTaskError(f"env.task={task!r} is not a task of env=maniskill. Valid choices: {', '.join(TASKS)}.")
    chosen = _options(task, options)
    require()
    from mani_skill.utils import gym_utils
    from mani_skill.vector.wrappers.gymnasium import ManiSkillVectorEnv

    # PickSingleYCB downloads its YCB models on first use; ManiSkill would otherwise wait for a y/n on stdin.
    os.environ.setdefault("MS_SKIP_ASSET_DOWNLOAD_PROMPT", "1")
    backend = sim_backend(device, num_envs)
    kwargs: dict[str, Any] = {
        "num_envs": num_envs,
        "obs_mode": "state",
        "reward_mode": chosen["reward_mode"],
        "sim_backend": backend,
        "render_mode": "rgb_array" if render else None,
        "max_episode_steps": max_episode_steps,
    }
    if chosen["control_mode"] is not None:
        kwargs["control_mode"] = chosen["control_mode"]
    base = None
    try:
        base = gym.make(task, **kwargs)
        vec = ManiSkillVectorEnv(
            base,
            num_envs,
            auto_reset=True,
            ignore_terminations=chosen["ignore_terminations"],
            record_metrics=False,  # the trainer keeps its own episode statistics
        )
    except Exception as exc:  # sapien raises RuntimeError without a GPU/Vulkan device, AssertionError on options
        if base is not None:
            base.close()
        raise _start_failure(task, backend, exc) from exc
    env = ManiSkillVecEnv(task, vec, device, gym_utils.find_max_episode_steps_value(vec), can_render=render)
    env.reset(seed)
    return env

"""``BaseEnv`` of the stand-in (real: mani_skill/envs/sapien_env.py, ManiSkill 3.0.1); its dynamics are invented.

Facts imitated from the real ``BaseEnv``:

* constructor keywords ``num_envs``, ``obs_mode``, ``reward_mode``, ``control_mode``, ``render_mode``,
  ``robot_uids``, ``reconfiguration_freq`` (``None`` -> 0), ``sim_backend`` (``"auto"``: ``physx_cuda`` for more
  than one env, else ``physx_cpu``; aliases ``cpu``/``cuda``/``gpu``; ``physx_cuda:n`` picks a GPU; the CPU backend
  refuses ``num_envs > 1`` with a RuntimeError), ``render_backend``, ``enhanced_determinism``; an unknown reward
  mode raises ``NotImplementedError("Unsupported reward mode: ...")``; the constructor resets with seeds
  ``2022 + i`` (and ``reconfigure=True``);
* reward modes ``("normalized_dense", "dense", "sparse", "none")``: sparse is ``info["success"]`` itself (a bool
  tensor) when the task reports no ``fail``, none is float zeros, normalized_dense is dense over the task's
  maximum reward;
* ``step``: actions clipped to the normalised space and scaled (``clip_and_scale_action``, utils/gym_utils.py),
  ``elapsed_steps += 1``, ``info = {"elapsed_steps", **evaluate()}``, ``terminated = success | fail`` (whichever
  exist), ``truncated`` all False (the ``MSTimeLimit`` wrapper sets it);
* ``reset(seed, options)``: ``options["env_idx"]`` resets only those envs; a seed (int or per-env list) resets
  the main and episode RNGs (an int seed expands to ``num_envs`` seeds through ``np.random.RandomState(seed)``)
  and the episode is initialised under ``torch.random.fork_rng`` seeded with ``episode_seed[0]``; without a seed
  the episode draws from torch's global generator; ``elapsed_steps[env_idx] = 0``;
* ``single_observation_space`` ``Box(-inf, inf, (D,), float32)`` from the first observation, batched
  ``observation_space``/``action_space``, ``single_action_space`` of the controller (``pd_joint_delta_pos``:
  normalised ``Box(-1, 1)``), ``control_timestep`` ``1 / control_freq`` (20 Hz, ``SimConfig``), ``device``,
  ``render()`` (``RuntimeError("render_mode is not set.")`` without a render mode; ``rgb_array``: a uint8
  ``(num_envs, H, W, 3)`` tensor).

Invented: everything physical. A robot of ``n_joints`` joints tracks joint targets (``q += 0.5 (target - q)``),
its tool point is ``tcp_home + 0.25 tanh(q[:3])``, and within 5 cm the tool point drags the task's object in the
plane. Success: the object within the task's goal radius of the goal (see tasks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector.utils import batch_space

CONTROL_FREQ = 20  # real: SimConfig.control_freq default (utils/structs/types.py)
_PUSH_RANGE = 0.05
_CPU_BACKENDS = ("cpu", "physx_cpu")
_GPU_BACKENDS = ("cuda", "gpu", "physx_cuda")


@dataclass(frozen=True)
class Robot:
    """A robot's joints and its ``pd_joint_delta_pos`` controller bounds (real: agents/robots/*/*.py).

    Attributes:
        uid: The robot's ManiSkill uid.
        n_joints: Active joints (qpos and qvel sizes).
        delta_low: Per action dimension, the lower joint delta (or the gripper's lower target).
        delta_high: Per action dimension, the upper joint delta (or the gripper's upper target).
        gripper: Whether the last action drives the last two (mimic finger) joints to an absolute target.
    """

    uid: str
    n_joints: int
    delta_low: tuple[float, ...]
    delta_high: tuple[float, ...]
    gripper: bool

    @property
    def action_dim(self) -> int:
        """Size of the ``pd_joint_delta_pos`` action."""
        return len(self.delta_low)


def parse_sim_backend(sim_backend: str, num_envs: int) -> torch.device:
    """The tensor device of a ``sim_backend`` (real: envs/utils/system/backend.py, sapien_env.py constructor).

    Deviation: without a CUDA device the GPU backend computes on the CPU (the real one fails to start).
    """
    if sim_backend == "auto":
        sim_backend = "physx_cuda" if num_envs > 1 else "physx_cpu"
    name, _, index = sim_backend.partition(":")
    if name in _CPU_BACKENDS:
        if num_envs > 1:
            raise RuntimeError(
                "Cannot set the sim backend to 'cpu' and have multiple environments. If you want to do CPU sim "
                "backends and have environment vectorization you must use multi-processing across CPUs."
            )
        return torch.device("cpu")
    if name in _GPU_BACKENDS:
        if not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device(f"cuda:{index}" if index else "cuda")
    raise ValueError(f"Invalid simulation backend: {sim_backend}")


class BaseEnv(gym.Env):
    """A batch of ``num_envs`` tasks stepped together (see the module docstring)."""

    SUPPORTED_ROBOTS: list[str] | None = None
    SUPPORTED_OBS_MODES = ("state", "state_dict", "none", "sensor_data", "any_textures", "pointcloud")
    SUPPORTED_REWARD_MODES = ("normalized_dense", "dense", "sparse", "none")
    SUPPORTED_RENDER_MODES = ("human", "rgb_array", "sensors", "all")
    metadata = {"render_modes": SUPPORTED_RENDER_MODES}

    # Per task (tasks.py): the robot, the observation size, the dense reward's maximum, the goal radius.
    robot: Robot
    obs_dim: int
    max_reward: float
    goal_radius: float

    def __init__(
        self,
        num_envs: int = 1,
        obs_mode: str | None = None,
        reward_mode: str | None = None,
        control_mode: str | None = None,
        render_mode: str | None = None,
        robot_uids: str | None = None,
        reconfiguration_freq: int | None = None,
        sim_backend: str = "auto",
        render_backend: str = "gpu",
        enhanced_determinism: bool = False,
    ) -> None:
        self.num_envs = num_envs
        self.robot_uids = robot_uids
        self.reconfiguration_freq = reconfiguration_freq if reconfiguration_freq is not None else 0
        self.device = parse_sim_backend(sim_backend, num_envs)
        self.backend = SimpleNamespace(sim_backend=sim_backend, device=self.device, render_backend=render_backend)
        self._enhanced_determinism = enhanced_determinism
        obs_mode = obs_mode or self.SUPPORTED_OBS_MODES[0]
        if obs_mode != "state":
            raise NotImplementedError(f"the stand-in offers obs_mode='state' only, got {obs_mode!r}")
        self._obs_mode = obs_mode
        reward_mode = reward_mode or self.SUPPORTED_REWARD_MODES[0]
        if reward_mode not in self.SUPPORTED_REWARD_MODES:
            raise NotImplementedError(f"Unsupported reward mode: {reward_mode}")
        self._reward_mode = reward_mode
        supported = ["pd_joint_delta_pos", "pd_joint_pos"]
        control_mode = control_mode or supported[0]
        assert control_mode in supported, f"{control_mode} not in supported modes: {supported}"
        self._control_mode = control_mode
        self.render_mode = render_mode
        self._main_seed: list[int] | None = None
        self._episode_seed = np.zeros(num_envs, dtype=np.int64)
        self._elapsed_steps = torch.zeros(num_envs, dtype=torch.int32, device=self.device)
        self._allocate()
        obs, _ = self.reset(seed=[2022 + i for i in range(num_envs)], options={"reconfigure": True})
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (obs.shape[1],), np.float32)
        self.observation_space = batch_space(self.single_observation_space, n=num_envs)
        self.single_action_space = self._controller_space()
        self.action_space = batch_space(self.single_action_space, n=num_envs)

    # ---------------------------------------------------------------- controller (invented joint limits)

    def _controller_space(self) -> gym.spaces.Box:
        n = self.robot.action_dim
        if self._control_mode == "pd_joint_delta_pos":  # normalize_action=True: the space is [-1, 1]
            return gym.spaces.Box(-1.0, 1.0, (n,), np.float32)
        # pd_joint_pos: absolute targets within (invented) joint limits; the gripper stays normalised
        low, high = np.full(n, -2.9, np.float32), np.full(n, 2.9, np.float32)
        if self.robot.gripper:
            low[-1], high[-1] = -1.0, 1.0
        return gym.spaces.Box(low, high, (n,), np.float32)

    def _joint_targets(self, action: torch.Tensor) -> torch.Tensor:
        """Joint targets of an action: arm deltas (or absolute targets) and the gripper's absolute target."""
        robot, delta = self.robot, self._control_mode == "pd_joint_delta_pos"
        arm = robot.action_dim - 1 if robot.gripper else robot.action_dim
        low = torch.tensor(robot.delta_low, device=self.device)
        high = torch.tensor(robot.delta_high, device=self.device)
        scaled = 0.5 * (high + low) + 0.5 * (high - low) * action.clamp(-1, 1)  # real: clip_and_scale_action
        if not delta:
            limit = torch.as_tensor(self.single_action_space.high, device=self.device)
            absolute = torch.maximum(torch.minimum(action, limit), -limit)
            scaled = torch.cat((absolute[:, :arm], scaled[:, arm:]), dim=1)
        targets = scaled[:, :arm] + (self.qpos[:, :arm] if delta else 0.0)
        if robot.gripper:  # one action, two mimic finger joints
            targets = torch.cat((targets, scaled[:, -1:], scaled[:, -1:]), dim=1)
        return targets

    # ---------------------------------------------------------------- seeding and reset (real semantics)

    def _set_main_rng(self, seed: Any) -> None:
        if seed is None:
            if self._main_seed is not None:
                return
            seed = np.random.RandomState().randint(2**31, size=(self.num_envs,)).tolist()
        seeds = list(seed) if np.iterable(seed) else [seed]
        if len(seeds) == 1 and self.num_envs > 1:
            seeds += np.random.RandomState(seeds[0]).randint(2**31, size=(self.num_envs - 1,)).tolist()
        self._main_seed = seeds

    def _set_episode_rng(self, seed: Any) -> None:
        if seed is None:
            return  # real: unseeded resets keep the episode RNG (enhanced_determinism aside)
        seeds = np.asarray(list(seed) if np.iterable(seed) else [seed], dtype=np.int64)
        if len(seeds) == 1 and self.num_envs > 1:
            extra = np.random.RandomState(int(seeds[0])).randint(2**31, size=(self.num_envs - 1,))
            seeds = np.concatenate((seeds, extra))
        self._episode_seed = seeds

    def reset(self, seed: Any = None, options: dict | None = None) -> tuple[torch.Tensor, dict]:
        """Reset all envs, or ``options["env_idx"]``; returns the observations of *all* envs and the info."""
        options = options or {}
        env_idx = options.get("env_idx", torch.arange(self.num_envs, device=self.device))
        self._set_main_rng(seed)
        self._set_episode_rng(seed)
        self._elapsed_steps[env_idx] = 0
        if seed is not None or self._enhanced_determinism:
            with torch.random.fork_rng():
                torch.manual_seed(int(self._episode_seed[0]))
                self._initialize_episode(env_idx)
        else:
            self._initialize_episode(env_idx)
        info = self.get_info()
        obs = self.get_obs(info)
        info["reconfigure"] = bool(options.get("reconfigure", False))
        return obs, info

    # ---------------------------------------------------------------- invented world

    def _allocate(self) -> None:
        n, j = self.num_envs, self.robot.n_joints
        self.qpos = torch.zeros(n, j, device=self.device)
        self.qvel = torch.zeros(n, j, device=self.device)
        self.obj_pos = torch.zeros(n, 3, device=self.device)
        self.obj_vel = torch.zeros(n, 3, device=self.device)
        self.goal_pos = torch.zeros(n, 3, device=self.device)

    def _initialize_episode(self, env_idx: torch.Tensor) -> None:
        with torch.device(self.device):
            b = len(env_idx)
            self.qpos[env_idx] = 0.02 * torch.randn(b, self.robot.n_joints)
            self.qvel[env_idx] = 0.0
            obj = torch.rand(b, 3) * 0.2 - 0.1
            obj[:, 2] = 0.02
            self.obj_pos[env_idx] = obj
            self.obj_vel[env_idx] = 0.0
            self.goal_pos[env_idx] = obj + torch.tensor([2 * self.goal_radius, 0.0, 0.0])

    def tcp_pos(self) -> torch.Tensor:
        """The tool point: a bounded function of the first three joints (invented kinematics)."""
        home = torch.tensor([0.0, 0.0, 0.1], device=self.device)
        return home + 0.25 * torch.tanh(self.qpos[:, :3])

    def _step_action(self, action: Any) -> None:
        action = torch.as_tensor(action, dtype=torch.float32, device=self.device).reshape(self.num_envs, -1)
        target = self._joint_targets(action)
        tcp_before = self.tcp_pos()
        new_q = self.qpos + 0.5 * (target - self.qpos)
        self.qvel = (new_q - self.qpos) * CONTROL_FREQ
        self.qpos = new_q
        tcp_after = self.tcp_pos()
        touching = (torch.linalg.norm(tcp_before - self.obj_pos, dim=1) < _PUSH_RANGE)[:, None]
        move = torch.where(touching, tcp_after - tcp_before, torch.zeros_like(tcp_after))
        move[:, 2] = 0.0
        self.obj_pos = self.obj_pos + move
        self.obj_vel = move * CONTROL_FREQ

    def evaluate(self) -> dict[str, torch.Tensor]:
        """``success``: the object within the goal radius of the goal, in the plane."""
        dist = torch.linalg.norm(self.obj_pos[:, :2] - self.goal_pos[:, :2], dim=1)
        return {"success": dist < self.goal_radius, "obj_to_goal_dist": dist}

    def get_info(self) -> dict[str, Any]:
        """``elapsed_steps`` and the task's evaluation."""
        return {"elapsed_steps": self._elapsed_steps.clone(), **self.evaluate()}

    def get_obs(self, info: dict | None = None) -> torch.Tensor:
        """``[qpos, qvel, extra]`` (real sizes; invented extra features, zero-padded to the real length)."""
        tcp = self.tcp_pos()
        ident = torch.tensor([1.0, 0.0, 0.0, 0.0], device=self.device).expand(self.num_envs, 4)
        grasped = (torch.linalg.norm(tcp - self.obj_pos, dim=1, keepdim=True) < 0.02).float()
        extra = torch.cat(
            (
                tcp,
                ident,
                self.obj_pos,
                ident,
                self.goal_pos,
                self.obj_pos - tcp,
                self.goal_pos - self.obj_pos,
                self.obj_vel,
                grasped,
            ),
            dim=1,
        )
        size = self.obs_dim - 2 * self.robot.n_joints
        extra = torch.nn.functional.pad(extra, (0, max(0, size - extra.shape[1])))[:, :size]
        return torch.cat((self.qpos, self.qvel, extra), dim=1).to(torch.float32)

    def compute_dense_reward(self, obs: Any, action: Any, info: dict) -> torch.Tensor:
        """Reach then push (invented shaping), the task's maximum at success (real: each task sets it there)."""
        reach = 1 - torch.tanh(5 * torch.linalg.norm(self.tcp_pos() - self.obj_pos, dim=1))
        place = 1 - torch.tanh(5 * info["obj_to_goal_dist"])
        reward = self.max_reward * (0.4 * reach + 0.4 * place)
        return torch.where(info["success"], torch.full_like(reward, self.max_reward), reward)

    def compute_normalized_dense_reward(self, obs: Any, action: Any, info: dict) -> torch.Tensor:
        """Dense reward over the task's maximum (real: ``compute_dense_reward(...) / max_reward`` per task)."""
        return self.compute_dense_reward(obs, action, info) / self.max_reward

    def get_reward(self, obs: Any, action: Any, info: dict) -> torch.Tensor:
        """The reward of the env's reward mode (real: ``BaseEnv.get_reward`` / ``compute_sparse_reward``)."""
        if self._reward_mode == "sparse":
            if "fail" in info:
                return info["success"].to(torch.float) - info["fail"].to(torch.float)
            return info["success"]
        if self._reward_mode == "dense":
            return self.compute_dense_reward(obs, action, info)
        if self._reward_mode == "normalized_dense":
            return self.compute_normalized_dense_reward(obs, action, info)
        return torch.zeros(self.num_envs, dtype=torch.float, device=self.device)

    def step(self, action: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        """Advance every env one control step (real order: act, count, info, obs, reward, terminated)."""
        self._step_action(action)
        self._elapsed_steps += 1
        info = self.get_info()
        obs = self.get_obs(info)
        reward = self.get_reward(obs, action, info)
        if "success" in info and "fail" in info:
            terminated = torch.logical_or(info["success"], info["fail"])
        elif "success" in info:
            terminated = info["success"].clone()
        else:
            terminated = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        truncated = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        return obs, reward, terminated, truncated, info

    # ---------------------------------------------------------------- properties, rendering

    @property
    def elapsed_steps(self) -> torch.Tensor:
        """Steps since each env's last reset (int32)."""
        return self._elapsed_steps

    @property
    def control_timestep(self) -> float:
        """Seconds per ``step`` (``1 / control_freq``)."""
        return 1.0 / CONTROL_FREQ

    @property
    def reward_mode(self) -> str:
        """The reward mode the env was built with."""
        return self._reward_mode

    @property
    def obs_mode(self) -> str:
        """The observation mode the env was built with."""
        return self._obs_mode

    @property
    def control_mode(self) -> str:
        """The controller the env was built with."""
        return self._control_mode

    def render(self) -> torch.Tensor:
        """``rgb_array``: a ``(num_envs, 64, 64, 3)`` uint8 top view, the object as a red square (invented)."""
        if self.render_mode is None:
            raise RuntimeError("render_mode is not set.")
        frames = torch.full((self.num_envs, 64, 64, 3), 200, dtype=torch.uint8, device=self.device)
        pixels = ((self.obj_pos[:, :2] + 0.5) * 64).long().clamp(2, 61)
        for i in range(self.num_envs):
            x, y = int(pixels[i, 0]), int(pixels[i, 1])
            frames[i, y - 2 : y + 3, x - 2 : x + 3] = torch.tensor([220, 30, 30], dtype=torch.uint8)
        return frames

    def close(self) -> None:
        """Nothing to release."""

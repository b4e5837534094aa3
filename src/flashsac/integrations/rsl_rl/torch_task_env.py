"""A built-in batched torch task as an rsl_rl ``VecEnv``: the runner's test bed and a template for one's own env.

It behaves like IsaacLab's and mjlab's ``RslRlVecEnvWrapper``: one observation group (``"policy"``), ``dones``
merged from both flags with ``extras["time_outs"]``, the mean step reward in ``extras["log"]``, a settable
``episode_length_buf`` (rsl_rl's ``init_at_random_ep_len``) and ``reset()``/``seed()``. Like an IsaacLab 3.x env
with ``cfg.compute_final_obs``, it reports the observation before each reset in ``extras["final_obs"]``; built
with ``final_obs=False`` it does not, as the other wrappers. Needs ``rsl-rl-lib`` (``pip install
'flashsac[rsl_rl]'``).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from flashsac.envs import torch_tasks
from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.protocol import EnvRequest
from flashsac.envs.torch_tasks.base import BatchedTorchTask

__all__ = ["TorchTaskVecEnv"]


class TorchTaskVecEnv(VecEnv):
    """``num_envs`` copies of a built-in torch task (``pendulum-swingup``, ...) behind rsl_rl's ``VecEnv``.

    Args:
        task: A built-in task name (:data:`flashsac.envs.torch_tasks.TASKS`).
        num_envs: Parallel envs.
        seed: Seed of the first reset.
        device: Device of every tensor.
        max_episode_steps: Time limit override, or ``None`` for the task's own.
        final_obs: Report the pre-reset observation in ``extras["final_obs"]`` (and ``cfg.compute_final_obs``).
    """

    def __init__(
        self,
        task: str,
        num_envs: int,
        seed: int = 0,
        device: str | torch.device = "cpu",
        max_episode_steps: int | None = None,
        final_obs: bool = True,
    ) -> None:
        self.task: BatchedTorchTask = torch_tasks.make(
            EnvRequest(task, num_envs, seed, torch.device(device), max_episode_steps)
        )
        spec = self.task.spec
        self.num_envs, self.num_actions = spec.num_envs, spec.action_dim
        self.max_episode_length = int(spec.max_episode_steps or 0)
        self.device = spec.device
        self.step_dt = spec.control_dt
        self.cfg: dict[str, Any] = {"task": task, "compute_final_obs": final_obs}
        self.single_action_space = gym.spaces.Box(
            low=spec.action_low.cpu().numpy(), high=spec.action_high.cpu().numpy(), dtype=np.float32
        )
        self._obs, _ = self.task.reset(seed)
        self.closed = False

    @property
    def episode_length_buf(self) -> torch.Tensor:
        """Steps taken in each env's current episode."""
        return self.task._elapsed

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        self.task._elapsed = value.to(self.task._elapsed.dtype)

    def seed(self, seed: int = -1) -> int:
        """Seed the next :meth:`reset`."""
        self.task._generator.manual_seed(seed)
        return seed

    def reset(self) -> tuple[TensorDict, dict[str, Any]]:
        """Reset every env (seeded by the last :meth:`seed`)."""
        self._obs, _ = self.task.reset(None)
        return self.get_observations(), {}

    def get_observations(self) -> TensorDict:
        """The current observation as the group ``"policy"``."""
        return TensorDict({"policy": self._obs}, batch_size=[self.num_envs])

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict[str, Any]]:
        """Step every env (same-step autoreset), returning rsl_rl's ``(obs, rewards, dones, extras)``."""
        step = self.task.step(actions)
        self._obs = step.obs
        done = step.terminated | step.truncated
        extras: dict[str, Any] = {"time_outs": step.truncated, "log": {"Episode_Reward/step_mean": step.reward.mean()}}
        if self.cfg["compute_final_obs"]:
            extras["final_obs"] = {"policy": step.final_obs}
        return self.get_observations(), step.reward, done.long(), extras

    def joint_limits(self) -> JointLimits | None:
        """The task's joint limits where it is a joint-position robot (``arm-reach``), else ``None``."""
        method = getattr(self.task, "joint_limits", None)
        limits = method() if callable(method) else None
        return limits if isinstance(limits, JointLimits) else None

    def state_dict(self) -> dict[str, Any]:
        """The task's full state plus the current observation (exact resume)."""
        return {"task": self.task.state_dict(), "obs": self._obs.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output."""
        self.task.load_state_dict(state["task"])
        self._obs = state["obs"].clone()

    def close(self) -> None:
        """Close the task."""
        self.closed = True
        self.task.close()

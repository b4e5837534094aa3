"""Built-in batched torch tasks: N envs as tensors on any device, no simulator package needed.

They are the embedded default task and the stand-in for GPU simulators in tests (1024 envs on one device).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from flashsac.envs.protocol import EnvRequest
from flashsac.envs.torch_tasks.arm_reach import ArmReach
from flashsac.envs.torch_tasks.base import BatchedTorchTask
from flashsac.envs.torch_tasks.cartpole import CartpoleBalance
from flashsac.envs.torch_tasks.identity import Identity, IdentitySparse
from flashsac.envs.torch_tasks.pendulum import PendulumSwingup
from flashsac.envs.torch_tasks.point_reach import PointReachSparse

# Each class is built as ``cls(task, num_envs, device, max_episode_steps)``.
TASKS: dict[str, Callable[[str, int, torch.device, int | None], BatchedTorchTask]] = {
    "pendulum-swingup": PendulumSwingup,
    "cartpole-balance": CartpoleBalance,
    "arm-reach": ArmReach,
    "identity": Identity,
    "identity_sparse": IdentitySparse,
    "point-reach_sparse": PointReachSparse,
}
TASKS_HINT = (
    "pendulum-swingup, cartpole-balance, arm-reach (joint-position arm, declared +-100 bounds), "
    "identity, identity_sparse, point-reach_sparse (tiny tasks of the learning battery)"
)
# Mean deterministic evaluation return at which a task counts as solved. Random policies score about -1200
# (pendulum-swingup), 20 (cartpole-balance), -133 (identity), 5.5 (identity_sparse) and 4.7 (point-reach_sparse);
# the task docstrings give the best returns.
SOLVED_RETURNS = {
    "pendulum-swingup": -250.0,
    "cartpole-balance": 475.0,
    "identity": -15.0,
    "identity_sparse": 70.0,
    "point-reach_sparse": 35.0,
}


def list_tasks() -> list[str]:
    """Names of the built-in tasks."""
    return list(TASKS)


def require() -> None:
    """Built-in tasks need nothing beyond torch."""


def make(request: EnvRequest) -> BatchedTorchTask:
    """Build ``num_envs`` copies of ``task`` on ``device``, seeded with ``seed``.

    ``render`` is ignored: the tasks draw themselves with numpy, so every env can render whether or not it was
    asked for.
    """
    task, num_envs, seed, device = request.task, request.num_envs, request.seed, request.device
    max_episode_steps = request.max_episode_steps
    env = TASKS[task](task, num_envs, device, max_episode_steps)
    env.reset(seed)
    return env


__all__ = [
    "TASKS",
    "ArmReach",
    "BatchedTorchTask",
    "CartpoleBalance",
    "Identity",
    "IdentitySparse",
    "PendulumSwingup",
    "PointReachSparse",
    "list_tasks",
    "make",
    "require",
]

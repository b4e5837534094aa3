"""The runner's log under rsl_rl's scalar names, through the writer rsl_rl itself would build.

rsl_rl's ``Logger`` builds the writer from ``train_cfg["logger"]`` (TensorBoard events in the log dir, W&B or
Neptune, or a ``LogWriter`` class), stores the git state of the registered repositories in ``<log_dir>/git/`` and
uploads configs, models and videos. :class:`RslRlLog` reuses exactly that machinery and writes, once per rsl_rl
iteration (the x-axis of rsl_rl dashboards):

=================================  =============================================================================
rsl_rl name                        value
=================================  =============================================================================
``Train/mean_reward``              mean return of the training episodes that ended during the iteration
``Train/mean_episode_length``      their mean length (env steps)
``Train/mean_reward/time``,        the same against wall-clock seconds (not for W&B, as rsl_rl)
``Train/mean_episode_length/time``
``Loss/critic``, ``Loss/actor``,   FlashSAC's losses (``critic/loss``, ``actor/loss``, ``temperature/loss``)
``Loss/temperature``
``Loss/learning_rate``             the learning rate (``train/lr``)
``Perf/total_fps``                 env steps per second over the iteration
``Perf/collection_time``           seconds of the iteration (collection and updates interleave in off-policy
                                   training, so ``Perf/learning_time`` is 0)
``Episode/<key>``, ``<a>/<b>``     the env's ``extras["log"]`` terms (keys with a ``/`` as they are), as rsl_rl
=================================  =============================================================================

Every flashsac scalar (``train/...``, ``critic/...``, ``actor/...``, ``buffer/...``) is written beside them under
its own name, so one dashboard holds both.
"""

from __future__ import annotations

import copy
import pathlib
from collections.abc import Mapping
from typing import Any

__all__ = ["RSL_RL_NAMES", "RslRlLog", "rsl_rl_scalars"]

RSL_RL_NAMES = {
    "train/episode_return": "Train/mean_reward",
    "train/episode_length": "Train/mean_episode_length",
    "critic/loss": "Loss/critic",
    "actor/loss": "Loss/actor",
    "temperature/loss": "Loss/temperature",
    "train/lr": "Loss/learning_rate",
}
"""flashsac scalar -> the rsl_rl name it is also written under."""


def rsl_rl_scalars(
    scalars: Mapping[str, float], env_log: Mapping[str, float], env_steps: int, seconds: float
) -> dict[str, float]:
    """rsl_rl's names for one iteration's scalars (without the ``/time`` variants, which use another x-axis).

    Args:
        scalars: flashsac's scalars of the iteration.
        env_log: Means of the env's ``extras["log"]`` terms over the iteration.
        env_steps: Env steps (over all envs) the iteration took.
        seconds: Wall-clock seconds the iteration took.
    """
    out = {ours_name: scalars[key] for key, ours_name in RSL_RL_NAMES.items() if key in scalars}
    out["Perf/total_fps"] = float(int(env_steps / max(seconds, 1e-9)))
    out["Perf/collection_time"] = seconds
    out["Perf/learning_time"] = 0.0
    for key, value in env_log.items():
        out[key if "/" in key else f"Episode/{key}"] = value
    return out


class RslRlLog:
    """rsl_rl's writer, code-state and upload machinery, fed FlashSAC's scalars under rsl_rl's names.

    Args:
        log_dir: The run's log directory (``None``: nothing is written, as rsl_rl's runner in play scripts).
        train_cfg: The runner's ``train_cfg`` (its ``logger`` and project keys choose the writer).
        env_cfg: The env's config, uploaded by W&B/Neptune writers.
        num_envs: Parallel envs.
        device: The learner device.
    """

    def __init__(self, log_dir: str | None, train_cfg: Mapping[str, Any], env_cfg: Any, num_envs: int, device: str):
        from rsl_rl.utils.logger import Logger

        cfg = copy.deepcopy(dict(train_cfg))
        # Why: rsl_rl's Logger reads PPO's optional RND extension from the algorithm section.
        cfg["algorithm"] = {**cfg.get("algorithm", {}), "rnd_cfg": None}
        self._logger = Logger(
            log_dir=log_dir,
            cfg=cfg,
            env_cfg=env_cfg,
            num_envs=num_envs,
            is_distributed=False,
            gpu_world_size=1,
            gpu_global_rank=0,
            device=device,
        )
        self.log_dir = log_dir
        self._started = False
        self._wall_time = 0.0

    @property
    def writer(self) -> Any:
        """The rsl_rl writer (``None`` before :meth:`start` or without a log dir)."""
        return self._logger.writer

    def add_git_repo(self, repo_file_path: str) -> None:
        """Register a repository whose git state is stored at :meth:`start` (rsl_rl's ``add_git_repo_to_log``)."""
        self._logger.git_status_repos.append(repo_file_path)

    def start(self) -> None:
        """Build the writer and store the code state, once (rsl_rl's ``init_logging_writer``)."""
        if not self._started:
            self._started = True
            self._logger.init_logging_writer()

    def write(
        self,
        iteration: int,
        scalars: Mapping[str, float],
        env_log: Mapping[str, float],
        env_steps: int,
        seconds: float,
    ) -> dict[str, float]:
        """Write one iteration's scalars under rsl_rl's names and flashsac's; return the rsl_rl-named ones."""
        named = rsl_rl_scalars(scalars, env_log, env_steps, seconds)
        writer = self._logger.writer
        self._wall_time += seconds
        if writer is None:
            return named
        for tag, value in {**scalars, **named}.items():
            writer.add_scalar(tag, value, iteration)
        if "Train/mean_reward" in named and self._logger.logger_type != "WandbLogWriter":
            writer.add_scalar("Train/mean_reward/time", named["Train/mean_reward"], int(self._wall_time))
            writer.add_scalar(
                "Train/mean_episode_length/time", named["Train/mean_episode_length"], int(self._wall_time)
            )
        save_video = getattr(writer, "save_video", None)
        if callable(save_video) and self.log_dir is not None:
            for video in pathlib.Path(self.log_dir).rglob("*.mp4"):
                save_video(video, iteration)
        return named

    def save_model(self, path: str, iteration: int) -> None:
        """Upload a checkpoint where the writer does (W&B, Neptune)."""
        self._logger.save_model(path, iteration)

    def stop(self) -> None:
        """Finish the writer's run (W&B, Neptune) and flush TensorBoard."""
        writer = self._logger.writer
        if writer is not None:
            self._logger.stop_logging_writer()
            flush = getattr(writer, "flush", None)
            if callable(flush):
                flush()

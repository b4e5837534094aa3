"""The FlashSAC runner's configuration, shaped like rsl_rl's runner configs (IsaacLab's and mjlab's).

A PPO task config swaps in one line: its ``RslRlOnPolicyRunnerCfg(...)`` becomes ``FlashSACRunnerCfg(...)`` (or,
under mjlab, :class:`flashsac.integrations.rsl_rl.mjlab.MjlabFlashSACRunnerCfg`). The runner-level keys are
rsl_rl's, with rsl_rl's meaning; ``algorithm`` holds FlashSAC's hyper-parameters (every
:class:`~flashsac.config.schema.AgentConfig` key) plus the replay buffer and the update rate. Scripts hand the
runner ``dataclasses.asdict(cfg)``; :func:`flashsac.integrations.rsl_rl.train_cfg.parse_train_cfg` reads it back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from flashsac.config.schema import AgentConfig

__all__ = ["FlashSACAlgorithmCfg", "FlashSACRunnerCfg", "FlashSACRunnerKeys"]


@dataclass
class FlashSACAlgorithmCfg(AgentConfig):
    """The ``algorithm`` section: FlashSAC's agent keys plus its loop's batch, update rate and replay buffer.

    Defaults are the paper's GPU-simulator regime (docs/algorithm.md section 8), as in ``preset/gpu.yaml``.
    """

    class_name: str = "FlashSAC"
    """What rsl_rl scripts read to tell algorithms apart; must be ``FlashSAC``."""
    n_step: int = 3
    """n-step returns of the GPU-simulator tasks (docs/algorithm.md section 8)."""
    use_amp: bool = True
    """fp16 autocast on CUDA (turned off on a CPU learner, where it only slows the run)."""
    use_compile: bool = True
    """``torch.compile`` of the update on CUDA (turned off on a CPU learner)."""
    batch_size: int = 2048
    """Transitions per gradient update (``train.batch_size``)."""
    updates_per_vector_step: float = 2.0
    """Gradient updates per vector-env step (``train.updates_per_vector_step``)."""
    buffer_capacity: int = 10_000_000
    """Replay capacity in transitions over all envs (``buffer.capacity``)."""
    buffer_min_size: int = 100_000
    """Transitions of uniform random actions before the first update (``buffer.min_size``)."""
    buffer_device: str = "auto"
    """Where the replay buffer lives: ``auto`` (the learner device), ``cpu``, ``cuda[:N]`` (``buffer.device``)."""
    buffer_obs_dtype: str = "float32"
    """Storage dtype of observations: ``float32``, ``bfloat16`` or ``float16`` (``buffer.obs_dtype``)."""


@dataclass
class FlashSACRunnerKeys:
    """The FlashSAC-only runner keys, shared by every flavour of the runner config."""

    action_bounds: str = "auto"
    """The action box the policy's tanh is mapped onto: ``auto`` (``joint_limits`` where every action is a
    joint-position target, else ``scalar``), or ``env.action_bounds``' modes ``joint_limits``, ``scalar``,
    ``symmetric``, ``env``. With ``clip_actions`` set, ``auto`` is ``scalar`` at ``+-clip_actions``."""
    action_bound: float = 1.0
    """Half-width of the box for ``scalar`` (the paper trains mjlab and IsaacLab tasks in ``[-1, 1]``)."""
    joint_limit_fraction: float = 1.0
    """Share of the soft-limit range reached by ``joint_limits`` bounds (in (0, 1])."""
    checkpoint_buffer: bool = False
    """Also store the replay buffer beside each ``model_<it>.pt`` (an exact resume of the data; costs disk)."""


@dataclass
class FlashSACRunnerCfg(FlashSACRunnerKeys):
    """A FlashSAC runner config with the fields of rsl_rl's ``RslRlBaseRunnerCfg`` (IsaacLab 2.x/3.x)."""

    class_name: str = "FlashSACRunner"
    """The runner class (IsaacLab's ``class_name``); ``FlashSACRunner``."""
    seed: int = 42
    """Seed of the run (learner, buffer, warm-up actions and the env's first reset)."""
    device: str = "cuda:0"
    """Learner device (IsaacLab's runner cfg carries it)."""
    num_steps_per_env: int = 24
    """Vector-env steps per iteration: the unit of logging (one log line per iteration) and of ``save_interval``."""
    max_iterations: int = 1500
    """Iterations of the run: ``max_iterations * num_steps_per_env * num_envs`` env steps set the schedules."""
    obs_groups: dict[str, list[str]] = field(default_factory=lambda: {"actor": ["policy"]})
    """Observation groups of the actor and the (privileged) critic, concatenated in order (IsaacLab's group names);
    a set left out follows rsl_rl's rule: the env's group of that name (``critic``) where it has one, else
    ``policy``."""
    clip_actions: float | None = None
    """rsl_rl's action clip, applied by the env wrapper; with ``action_bounds=auto`` it sets the trained box."""
    save_interval: int = 50
    """Iterations between ``model_<it>.pt`` checkpoints."""
    experiment_name: str = "flashsac"
    """Directory under ``logs/rsl_rl`` that groups runs."""
    run_name: str = ""
    """Suffix of the time-stamped run directory."""
    logger: str = "tensorboard"
    """``tensorboard``, ``wandb`` or ``neptune`` (rsl_rl's writers, rsl_rl's scalar names)."""
    neptune_project: str = "isaaclab"
    """Neptune project for ``logger=neptune``."""
    wandb_project: str = "isaaclab"
    """W&B project for ``logger=wandb``."""
    resume: bool = False
    """Resume from ``load_run``/``load_checkpoint`` (read by the training script)."""
    load_run: str = ".*"
    """Run directory to resume from (regex; the latest match)."""
    load_checkpoint: str = "model_.*.pt"
    """Checkpoint file to resume from (regex; the latest match)."""
    algorithm: FlashSACAlgorithmCfg = field(default_factory=FlashSACAlgorithmCfg)
    """FlashSAC's hyper-parameters, replay buffer and update rate."""

    def to_dict(self) -> dict[str, Any]:
        """The config as the plain dict rsl_rl runners take (IsaacLab's configclasses offer the same method)."""
        return dataclasses.asdict(self)

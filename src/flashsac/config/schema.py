"""Typed configuration: the schema every YAML preset and CLI override is checked against.

Defaults are the FlashSAC paper values of docs/algorithm.md (Appendix A) for the CPU-simulator regime; the YAML
presets in ``flashsac/config/yaml`` override them per regime and per simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOUNDS_MODES = ("env", "joint_limits", "symmetric", "scalar")
"""Valid ``env.action_bounds`` values (see :func:`flashsac.envs.action_bounds.select_bounds`)."""
FINAL_OBS_MODES = ("exact", "post_reset")
"""Valid ``env.final_obs`` values (``post_reset`` is an ablation, see :mod:`flashsac.envs.bounded`)."""


@dataclass
class EnvConfig:
    """Which simulator and task to train on, and how many environments to run."""

    name: str = "torch"
    """Simulator family: ``torch`` (built-in batched tasks), ``mujoco`` (gymnasium MuJoCo), ``dmc``, ``myosuite``,
    ``metaworld``, ``humanoid_bench``, ``isaaclab``, ``mjlab``, ``maniskill``, ``genesis`` or
    ``playground`` (``flashsac.envs.registry.FAMILIES``)."""
    task: str = "pendulum-swingup"
    """Task name within the family; ``flashsac train env=<name> env.task=?`` lists the valid ones."""
    num_envs: int = 1
    """Training environments stepped together (1 for CPU simulators, 1024 for GPU simulators)."""
    num_eval_envs: int = 1
    """Evaluation environments; ``train.num_eval_episodes`` must be a multiple of it."""
    max_episode_steps: int | None = None
    """Override of the task's time limit in env steps (``None`` keeps the task's own)."""
    device: str = "cpu"
    """Device the simulator runs on (``cpu``, ``cuda``, ``cuda:1``, or ``auto`` for cuda when present)."""
    action_bounds: str = "env"
    """The action box the policy's tanh is mapped onto: ``env`` (the simulator's declared bounds),
    ``joint_limits`` (per joint, from the soft joint limits, default pose and action scale of a joint-position
    robot: ``a_min = -|q_min - q0| / s``, ``a_max = |q_max - q0| / s``), ``symmetric`` (``+-max(|low|, |high|)``)
    or ``scalar`` (``+-env.action_bound``). Infinite boxes are refused."""
    action_bound: float = 1.0
    """Half-width of the box for ``env.action_bounds=scalar``."""
    joint_limit_fraction: float = 1.0
    """Share of the soft-limit range reached by ``env.action_bounds=joint_limits`` (in (0, 1])."""
    allow_suspicious_bounds: bool = False
    """Silence the warning on boxes wider than +-10 (the IsaacLab +-100 trap), when such a box is meant."""
    final_obs: str = "exact"
    """``exact`` (the true last observation at episode ends) or ``post_reset`` (ablation only: bootstrap
    time-outs from the next episode's first observation, as simulators without a final observation force)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Family-specific keywords passed to the family's ``make`` (e.g. ManiSkill's ``reward_mode`` and
    ``ignore_terminations``); each family's ``config/yaml/env/<family>.yaml`` lists the ones it takes."""


@dataclass
class AgentConfig:
    """FlashSAC hyper-parameters (docs/algorithm.md sections 2-5)."""

    actor_hidden_dim: int = 128
    actor_num_blocks: int = 2
    critic_hidden_dim: int = 256
    critic_num_blocks: int = 2
    critic_num_bins: int = 101
    normalized_g_max: float = 5.0
    """Half-width of the categorical support [-G_max, G_max]; rewards are scaled so returns fit it."""
    normalize_reward: bool = True
    gamma: float = 0.99
    n_step: int = 1
    tau: float = 0.01
    """Target-critic EMA rate, applied every critic update."""
    actor_update_period: int = 2
    temp_initial_value: float = 0.01
    temp_target_sigma: float = 0.15
    """Target per-dimension action std in tanh units; sets the entropy target 0.5*|A|*ln(2*pi*e*sigma^2)."""
    temp_target_entropy: float | None = None
    """Explicit entropy target overriding ``temp_target_sigma``."""
    log_std_min: float = -5.0
    log_std_max: float = 0.0
    init_std: float = 0.0820849986
    """sigma_0: the initial policy std (zero-weight log-std head; default e^-2.5 as in the FlashSAC fork)."""
    noise_zeta_mu: float = 2.0
    noise_zeta_max: int = 16
    noise_per_env: bool = False
    """Draw a repeat length per env instead of one shared by all envs (reference: shared)."""
    actor_bc_alpha: float = 0.0
    lr_init: float = 3e-4
    lr_peak: float = 3e-4
    lr_end: float = 1.5e-4
    lr_warmup_rate: float = 1e-6
    """Warm-up length as a fraction of the total number of updates."""
    lr_decay_rate: float = 1.0
    """Cosine decay length (warm-up included) as a fraction of the total number of updates."""
    use_amp: bool = False
    amp_dtype: str = "float16"
    """``float16`` (with a gradient scaler) or ``bfloat16`` (no scaler needed)."""
    use_compile: bool = False
    compile_mode: str = "auto"
    """``auto`` picks a mode from the torch version and device; or any ``torch.compile`` mode."""
    asymmetric_observation: bool = True
    """Use the env's privileged critic observation when it offers one."""


@dataclass
class BufferConfig:
    """Replay buffer (docs/algorithm.md section 6)."""

    capacity: int = 1_000_000
    """Transitions over all envs."""
    min_size: int = 10_000
    """Transitions collected with uniform random actions before the first update."""
    device: str = "cpu"
    """Where the buffer lives (``cpu``, ``cuda``, ``auto`` = the learner device)."""
    obs_dtype: str = "float32"
    """Storage dtype of observations: ``float32``, ``bfloat16`` or ``float16``."""


@dataclass
class TrainConfig:
    """The off-policy loop, its budget and its intervals (all intervals in env steps over all envs)."""

    num_env_steps: int = 1_000_000
    batch_size: int = 512
    updates_per_vector_step: float = 1.0
    """U: gradient updates per vector-env step; fractional values use an accumulator. 0 collects without
    learning (the actor still acts after warm-up): what ``flashsac bench loop`` uses to time the loop alone."""
    eval_every_env_steps: int = 100_000
    num_eval_episodes: int | None = None
    """Episodes per evaluation, a multiple of ``env.num_eval_envs``; ``None``: the fewest whole rounds giving
    at least 10 episodes."""
    log_every_env_steps: int = 10_000
    checkpoint_every_env_steps: int = 0
    """0 writes only the final checkpoint."""
    keep_checkpoints: int = 3
    """Periodic checkpoints kept on disk (the newest K; ``final.pt`` is always kept)."""
    checkpoint_buffer: bool = False
    """Also store the replay buffer with each checkpoint (exact resume of the data; costs disk and time)."""
    video_every_env_steps: int = 0
    """Record one evaluation episode as mp4 (and to TensorBoard) at this interval; 0 disables it."""
    check_finite: bool = True
    """Stop with a clear error at the first non-finite loss, gradient, parameter, observation or reward."""
    solved_return: float | None = None
    """If set, the run reports whether the final evaluation reached this mean return."""


@dataclass
class LoggingConfig:
    """Where and how a run records itself."""

    root_dir: str = "runs"
    group: str = "default"
    run_dir: str | None = None
    """Explicit run directory; by default ``<root_dir>/<group>/<env>-<task>/<timestamp>_s<seed>``."""
    tensorboard: bool = True
    csv: bool = True
    jsonl: bool = True
    """Also write ``scalars.jsonl`` (one JSON object per log call)."""
    wandb: bool = False
    """Log to Weights & Biases too (``pip install 'flashsac[wandb]'``)."""
    wandb_project: str = "flashsac"
    wandb_entity: str | None = None
    wandb_mode: str = "online"
    """``online``, ``offline`` (sync later with ``wandb sync``) or ``disabled``."""
    progress: bool = True
    """Live progress bar on the terminal (off automatically when stdout is not a terminal)."""


@dataclass
class RunConfig:
    """Everything one ``flashsac train`` run needs."""

    seed: int = 0
    device: str = "auto"
    """Learner device: ``auto`` (cuda when present, else cpu), ``cpu``, ``cuda``, ``cuda:N``."""
    deterministic: bool = False
    """Ask torch for deterministic kernels (slower on GPU)."""
    num_threads: int = 0
    """torch intra-op threads on CPU (0 leaves torch's default)."""
    resume: str | None = None
    """A run directory to continue: its newest checkpoint is restored and training goes on in that directory."""
    env: EnvConfig = field(default_factory=EnvConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    buffer: BufferConfig = field(default_factory=BufferConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

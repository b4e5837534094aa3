"""Typed configuration: the schema every YAML preset and CLI override is checked against.

Defaults are the FlashSAC paper values of docs/algorithm.md (Appendix A) for the CPU-simulator regime; the YAML
files in ``flashsac/config/yaml`` override them per simulator (``env/``) and per regime (``preset/``). Each field
carries its docstring and its validity rule (:func:`~flashsac.config.rules.checked`); rules that relate several
fields are the ``consistency()`` methods. :func:`flashsac.config.validate.validate` applies both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flashsac.config.rules import (
    DEVICE,
    Rule,
    at_least,
    checked,
    finite,
    finite_at_least,
    in_unit_interval,
    one_of,
    optional,
    positive,
)

BOUNDS_MODES = ("env", "joint_limits", "symmetric", "scalar")
"""Valid ``env.action_bounds`` values (see :func:`flashsac.envs.action_bounds.select_bounds`)."""
FINAL_OBS_MODES = ("exact", "post_reset")
"""Valid ``env.final_obs`` values (``post_reset`` is an ablation, see :mod:`flashsac.envs.bounded`)."""
AMP_DTYPES = ("float16", "bfloat16")
"""Valid ``agent.amp_dtype`` values."""
OBS_DTYPES = ("float32", "bfloat16", "float16")
"""Valid ``buffer.obs_dtype`` values."""
WANDB_MODES = ("online", "offline", "disabled")
"""Valid ``logging.wandb_mode`` values."""

Consistency = tuple[bool, str, str]
"""``(ok, key, what the value must satisfy)``: one cross-field rule, its key relative to the section."""


@dataclass
class EnvConfig:
    """Which simulator and task to train on, and how many environments to run."""

    name: str = "torch"
    """Simulator family: ``torch`` (built-in batched tasks), ``mujoco`` (gymnasium MuJoCo), ``dmc``, ``myosuite``,
    ``metaworld``, ``humanoid_bench``, ``isaaclab``, ``mjlab``, ``maniskill``, ``genesis`` or
    ``playground`` (``flashsac.envs.registry.FAMILIES``)."""
    task: str = "pendulum-swingup"
    """Task name within the family; ``flashsac train env=<name> env.task=?`` lists the valid ones."""
    num_envs: int = checked(1, at_least(1))
    """Training environments stepped together (1 for CPU simulators, 1024 for GPU simulators)."""
    num_eval_envs: int = checked(1, at_least(1))
    """Evaluation environments; ``train.num_eval_episodes`` must be a multiple of it."""
    max_episode_steps: int | None = checked(None, optional(at_least(1)))
    """Override of the task's time limit in env steps (``None`` keeps the task's own)."""
    device: str = checked("cpu", DEVICE)
    """Device the simulator runs on (``cpu``, ``cuda``, ``cuda:1``, or ``auto`` for cuda when present)."""
    action_bounds: str = checked("env", one_of(BOUNDS_MODES))
    """The action box the policy's tanh is mapped onto: ``env`` (the simulator's declared bounds),
    ``joint_limits`` (per joint, from the soft joint limits, default pose and action scale of a joint-position
    robot: ``a_min = -|q_min - q0| / s``, ``a_max = |q_max - q0| / s``), ``symmetric`` (``+-max(|low|, |high|)``)
    or ``scalar`` (``+-env.action_bound``). Infinite boxes are refused."""
    action_bound: float = checked(1.0, positive())
    """Half-width of the box for ``env.action_bounds=scalar``."""
    joint_limit_fraction: float = checked(1.0, in_unit_interval())
    """Share of the soft-limit range reached by ``env.action_bounds=joint_limits`` (in (0, 1])."""
    allow_suspicious_bounds: bool = False
    """Silence the warning on boxes wider than +-10 (the IsaacLab +-100 trap), when such a box is meant."""
    final_obs: str = checked("exact", one_of(FINAL_OBS_MODES))
    """``exact`` (the true last observation at episode ends) or ``post_reset`` (ablation only: bootstrap
    time-outs from the next episode's first observation, as simulators without a final observation force)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Family-specific keywords passed to the family's ``make`` (e.g. ManiSkill's ``reward_mode`` and
    ``ignore_terminations``); each family's ``config/yaml/env/<family>.yaml`` lists the ones it takes."""


@dataclass
class AgentConfig:
    """FlashSAC hyper-parameters (docs/algorithm.md sections 2-5)."""

    actor_hidden_dim: int = checked(128, at_least(1))
    actor_num_blocks: int = checked(2, at_least(0))
    critic_hidden_dim: int = checked(256, at_least(1))
    critic_num_blocks: int = checked(2, at_least(0))
    critic_num_bins: int = checked(101, at_least(2))
    normalized_g_max: float = checked(5.0, positive())
    """Half-width of the categorical support [-G_max, G_max]; rewards are scaled so returns fit it."""
    normalize_reward: bool = True
    gamma: float = checked(0.99, in_unit_interval())
    n_step: int = checked(1, at_least(1))
    tau: float = checked(0.01, in_unit_interval())
    """Target-critic EMA rate, applied every critic update."""
    actor_update_period: int = checked(2, at_least(1))
    temp_initial_value: float = checked(0.01, positive())
    temp_target_sigma: float = checked(0.15, positive())
    """Target per-dimension action std in tanh units; sets the entropy target 0.5*|A|*ln(2*pi*e*sigma^2)."""
    temp_target_entropy: float | None = checked(None, optional(finite()))
    """Explicit entropy target overriding ``temp_target_sigma``."""
    log_std_min: float = checked(-5.0, finite())
    log_std_max: float = checked(0.0, finite())
    init_std: float = checked(0.0820849986, positive())
    """sigma_0: the initial policy std (zero-weight log-std head; default e^-2.5 as in the FlashSAC fork)."""
    noise_zeta_mu: float = checked(2.0, positive())
    noise_zeta_max: int = checked(16, at_least(1))
    noise_per_env: bool = False
    """Draw a repeat length per env instead of one shared by all envs (reference: shared)."""
    actor_bc_alpha: float = checked(0.0, finite_at_least(0))
    lr_init: float = checked(3e-4, finite_at_least(0))
    lr_peak: float = checked(3e-4, positive())
    lr_end: float = checked(1.5e-4, finite_at_least(0))
    lr_warmup_rate: float = checked(1e-6, in_unit_interval(closed_low=True))
    """Warm-up length as a fraction of the total number of updates."""
    lr_decay_rate: float = checked(1.0, positive())
    """Cosine decay length (warm-up included) as a fraction of the total number of updates."""
    use_amp: bool = False
    amp_dtype: str = checked("float16", one_of(AMP_DTYPES))
    """``float16`` (with a gradient scaler) or ``bfloat16`` (no scaler needed)."""
    use_compile: bool = False
    compile_mode: str = "auto"
    """``auto`` picks a mode from the torch version and device; or any ``torch.compile`` mode."""
    asymmetric_observation: bool = True
    """Use the env's privileged critic observation when it offers one."""

    def consistency(self) -> list[Consistency]:
        """Cross-field rules of the agent (the single-field ones sit on the fields)."""
        low, high = self.log_std_min, self.log_std_max
        return [
            (low < high, "log_std_min", "must be below agent.log_std_max"),
            (
                low < math.log(self.init_std) < high,
                "init_std",
                f"must lie in (exp(log_std_min), exp(log_std_max)) = ({math.exp(low):.4g}, {math.exp(high):.4g})",
            ),
        ]


@dataclass
class BufferConfig:
    """Replay buffer (ARCHITECTURE.md section 4)."""

    capacity: int = checked(1_000_000, at_least(1))
    """Transitions over all envs."""
    min_size: int = checked(10_000, at_least(1))
    """Transitions collected with uniform random actions before the first update."""
    device: str = checked("cpu", DEVICE)
    """Where the buffer lives (``cpu``, ``cuda``, ``auto`` = the learner device)."""
    obs_dtype: str = checked("float32", one_of(OBS_DTYPES))
    """Storage dtype of observations: ``float32``, ``bfloat16`` or ``float16``."""


@dataclass
class TrainConfig:
    """The off-policy loop, its budget and its intervals (all intervals in env steps over all envs)."""

    num_env_steps: int = checked(1_000_000, at_least(1))
    batch_size: int = checked(512, at_least(2, "batch norm needs two samples"))
    updates_per_vector_step: float = checked(
        1.0, finite_at_least(0, "0: collect only, no gradient updates; for benchmarking the loop")
    )
    """U: gradient updates per vector-env step; fractional values use an accumulator. 0 collects without
    learning (the actor still acts after warm-up): what ``flashsac bench loop`` uses to time the loop alone."""
    eval_every_env_steps: int = checked(100_000, at_least(0, "0: only the final evaluation"))
    num_eval_episodes: int | None = checked(None, optional(at_least(1), "automatic"))
    """Episodes per evaluation, a multiple of ``env.num_eval_envs``; ``None``: the fewest whole rounds giving
    at least 10 episodes."""
    log_every_env_steps: int = checked(10_000, at_least(1))
    checkpoint_every_env_steps: int = checked(0, at_least(0, "0: only the final checkpoint"))
    """0 writes only the final checkpoint."""
    keep_checkpoints: int = checked(3, at_least(1))
    """Periodic checkpoints kept on disk (the newest K; ``final.pt`` is always kept)."""
    checkpoint_buffer: bool = False
    """Also store the replay buffer with each checkpoint (exact resume of the data; costs disk and time)."""
    video_every_env_steps: int = checked(0, at_least(0, "0: no videos"))
    """Record one evaluation episode as mp4 (and to TensorBoard) at this interval; 0 disables it."""
    check_finite: bool = True
    """Stop with a clear error at the first non-finite loss, gradient, parameter, observation or reward."""
    solved_return: float | None = checked(None, optional(finite()))
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
    wandb_mode: str = checked("online", one_of(WANDB_MODES, "online, offline or disabled"))
    """``online``, ``offline`` (sync later with ``wandb sync``) or ``disabled``."""
    progress: bool = True
    """Live progress bar on the terminal (off automatically when stdout is not a terminal)."""


@dataclass
class RunConfig:
    """Everything one ``flashsac train`` run needs."""

    seed: int = checked(0, at_least(0))
    device: str = checked("auto", DEVICE)
    """Learner device: ``auto`` (cuda when present, else cpu), ``cpu``, ``cuda``, ``cuda:N``."""
    deterministic: bool = False
    """Ask torch for deterministic kernels (slower on GPU)."""
    num_threads: int = checked(0, Rule(lambda v: v >= 0, "0 (torch default) or a positive thread count"))
    """torch intra-op threads on CPU (0 leaves torch's default)."""
    resume: str | None = None
    """A run directory to continue: its newest checkpoint is restored and training goes on in that directory."""
    env: EnvConfig = field(default_factory=EnvConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    buffer: BufferConfig = field(default_factory=BufferConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    def consistency(self) -> list[Consistency]:
        """Rules across sections: buffer size against envs and batch, evaluation rounds, budget against warm-up."""
        a, b, t, e = self.agent, self.buffer, self.train, self.env
        return [
            (
                t.num_eval_episodes is None or t.num_eval_episodes % e.num_eval_envs == 0,
                "train.num_eval_episodes",
                f"must be a multiple of env.num_eval_envs={e.num_eval_envs} (each eval env runs whole rounds)",
            ),
            (
                b.capacity >= e.num_envs * (a.n_step + 1),
                "buffer.capacity",
                f"must hold at least env.num_envs * (agent.n_step + 1) = {e.num_envs * (a.n_step + 1)} transitions",
            ),
            (t.batch_size <= b.capacity, "train.batch_size", f"must not exceed buffer.capacity={b.capacity}"),
            (b.min_size <= b.capacity, "buffer.min_size", f"must not exceed buffer.capacity={b.capacity}"),
            (
                t.num_env_steps > b.min_size,
                "train.num_env_steps",
                f"must exceed buffer.min_size={b.min_size} (the random warm-up), or no update ever happens",
            ),
            (t.num_env_steps >= e.num_envs, "train.num_env_steps", f"must be at least env.num_envs={e.num_envs}"),
        ]

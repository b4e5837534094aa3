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
CRITIC_LOSSES = ("cross_entropy", "value_mse")
"""Valid ``agent.critic_loss`` values."""
OBS_DTYPES = ("float32", "bfloat16", "float16")
"""Valid ``buffer.obs_dtype`` values."""
WANDB_MODES = ("online", "offline", "disabled")
"""Valid ``logging.wandb_mode`` values."""

Consistency = tuple[bool, str, str]
"""``(ok, key, what the value must satisfy)``: one cross-field rule, its key relative to the section."""


@dataclass
class EnvConfig:
    """Which simulator and task to train on, and how many environments to run.

    Consumed by :func:`flashsac.envs.registry.make_env_from_config` unless a field says otherwise.
    """

    name: str = "torch"
    """Simulator family: ``torch`` (built-in batched tasks), ``mujoco`` (gymnasium MuJoCo), ``dmc``, ``myosuite``,
    ``metaworld``, ``humanoid_bench``, ``isaaclab``, ``mjlab``, ``maniskill``, ``genesis`` or ``playground``; the
    registry (envs/registry.py ``FAMILIES``) imports that family's adapter. Set by the ``env=<family>`` group."""
    task: str = "pendulum-swingup"
    """Task name within the family, checked by ``check_env`` (envs/registry.py) before anything starts;
    ``flashsac train env=<name> env.task=?`` lists the valid ones."""
    num_envs: int = checked(1, at_least(1))
    """Training environments stepped together (1 for CPU simulators, 1024 for GPU simulators); also the
    replay buffer's env axis (buffers/replay.py) and the divisor of the env-step budget (config/derive.py).
    Per rank under torchrun (docs/distributed.md): each of N ranks steps its own ``num_envs``, N x in all, as in
    rsl_rl and IsaacLab, so a preset sized for one GPU fills every GPU unchanged."""
    num_eval_envs: int = checked(1, at_least(1))
    """Environments of the separate evaluation env the trainer builds (trainer/loop.py; simulators that share one
    instance evaluate on the training envs instead); ``train.num_eval_episodes`` must be a multiple of it."""
    max_episode_steps: int | None = checked(None, optional(at_least(1)))
    """Time limit in env steps passed to the family's ``make`` (``None`` keeps the task's own); episodes cut
    there end as truncations, which the replay buffer bootstraps."""
    device: str = checked("cpu", DEVICE)
    """Device the simulator and its tensors run on: ``cpu``, ``cuda``, ``cuda:N``, or ``auto`` (cuda when
    present); resolved by runtime/device.py before the run directory is written."""
    action_bounds: str = checked("env", one_of(BOUNDS_MODES))
    """The action box the policy's tanh is mapped onto, applied by ``apply_bounds`` (envs/bounded.py): ``env``
    (the simulator's declared bounds), ``joint_limits`` (per joint, from the soft joint limits, default pose and
    action scale of a joint-position robot: ``a_min = -|q_min - q0| / s``, ``a_max = |q_max - q0| / s``),
    ``symmetric`` (``+-max(|low|, |high|)``) or ``scalar`` (``+-env.action_bound``). Infinite boxes are refused."""
    action_bound: float = checked(1.0, positive())
    """Half-width of the box, in the env's action units, for ``env.action_bounds=scalar`` (envs/action_bounds.py
    ``select_bounds``); ignored by the other modes."""
    joint_limit_fraction: float = checked(1.0, in_unit_interval())
    """Share (in (0, 1]) of the distance from the default pose to each soft joint limit that the box reaches with
    ``env.action_bounds=joint_limits`` (envs/action_bounds.py ``joint_limit_bounds``); 1.0 reaches the limits."""
    allow_suspicious_bounds: bool = False
    """Silence ``apply_bounds``' warning (envs/bounded.py) on boxes wider than +-10 (the IsaacLab +-100 trap),
    when such a box is meant."""
    final_obs: str = checked("exact", one_of(FINAL_OBS_MODES))
    """``exact`` (the true last observation at episode ends) or ``post_reset`` (ablation only: bootstrap
    time-outs from the next episode's first observation, as simulators without a final observation force);
    ``post_reset`` wraps the env in ``PostResetFinalObs`` (envs/bounded.py)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Family-specific keywords passed to the family's ``make`` (e.g. ManiSkill's ``reward_mode`` and
    ``ignore_terminations``), checked against its signature by the registry (envs/registry.py); each family's
    ``config/yaml/env/<family>.yaml`` lists the ones it takes."""


@dataclass
class AgentConfig:
    """FlashSAC hyper-parameters (docs/algorithm.md sections 2-5).

    Consumed by ``FlashSACAgent`` (agents/flashsac/agent.py) unless a field says otherwise.
    """

    actor_hidden_dim: int = checked(128, at_least(1))
    """Width h of the actor's residual trunk (inner blocks are 4h wide; docs/algorithm.md section 2.2)."""
    actor_num_blocks: int = checked(2, at_least(0))
    """Inverted residual blocks in the actor's trunk (docs/algorithm.md section 2.2)."""
    critic_hidden_dim: int = checked(256, at_least(1))
    """Width h of each critic member's trunk (inner blocks are 4h wide; docs/algorithm.md section 2.3)."""
    critic_num_blocks: int = checked(2, at_least(0))
    """Inverted residual blocks in each critic member's trunk (docs/algorithm.md section 2.3)."""
    critic_num_bins: int = checked(101, at_least(2))
    """Bins K of the categorical critic's support on [-G_max, G_max] (docs/algorithm.md section 2.3)."""
    critic_loss: str = checked("cross_entropy", one_of(CRITIC_LOSSES))
    """What the critic regresses toward the projected soft Bellman target: ``cross_entropy`` (the paper) matches the
    whole distribution; ``value_mse`` is the squared error between the expected values of prediction and target
    (an ablation factor; docs/algorithm.md section 3.5)."""
    critic_init_value_std: float | None = checked(None, optional(positive(), "a zero head bias"))
    """Width, in scaled-return units, of the critic's initial value distribution: the head bias starts as the
    Gaussian log-profile ``-z^2 / (2 s^2)`` over the support, so every state-action starts with its mass near 0.
    null (the paper) starts the bias at zero, which spreads the initial mass over the whole support."""
    normalized_g_max: float = checked(5.0, positive())
    """Half-width G_max of the categorical support [-G_max, G_max], in scaled-return units; the reward scaler
    (agents/flashsac/reward_scaling.py) scales rewards so returns fit it (docs/algorithm.md section 5.1)."""
    normalize_reward: bool = True
    """Divide rewards by the running return scale in the critic target (agents/flashsac/reward_scaling.py);
    false trains on raw rewards."""
    gamma: float = checked(0.99, in_unit_interval())
    """Discount per env step, in (0, 1]; used by the n-step returns of the replay buffer (buffers/replay.py),
    the critic target and the reward scaler."""
    n_step: int = checked(1, at_least(1))
    """Env steps summed into one TD target (n-step return), built at insert time by the replay buffer
    (buffers/replay.py; docs/algorithm.md section 6.2)."""
    tau: float = checked(0.01, in_unit_interval())
    """Target-critic EMA rate in (0, 1], applied after every critic update (agents/flashsac/schedules.py
    ``ema_update_``)."""
    actor_update_period: int = checked(2, at_least(1))
    """Critic updates per actor and temperature update (the actor learns on every k-th update)."""
    temp_initial_value: float = checked(0.01, positive())
    """Initial entropy temperature alpha (a learned scalar, docs/algorithm.md section 2.4)."""
    temp_target_sigma: float = checked(0.15, positive())
    """Target per-dimension action std in tanh units; sets the entropy target 0.5*|A|*ln(2*pi*e*sigma^2)
    (agents/flashsac/losses.py ``target_entropy``; docs/algorithm.md section 3.4)."""
    temp_target_entropy: float | None = checked(None, optional(finite()))
    """Explicit entropy target in nats overriding ``temp_target_sigma`` (``None`` derives it from sigma)."""
    log_std_min: float = checked(-5.0, finite())
    """Lower end of the actor's bounded log-std (agents/flashsac/networks.py; docs/algorithm.md section 2.2)."""
    log_std_max: float = checked(0.0, finite())
    """Upper end of the actor's bounded log-std (agents/flashsac/networks.py; docs/algorithm.md section 2.2)."""
    init_std: float = checked(0.0820849986, positive())
    """sigma_0: the initial policy std in tanh units (zero-weight log-std head; default e^-2.5 as in the
    FlashSAC fork), set up by the actor (agents/flashsac/networks.py, nn/distributions.py)."""
    noise_zeta_mu: float = checked(2.0, positive())
    """Exponent mu of the truncated zeta law from which exploration noise repeat lengths are drawn
    (agents/flashsac/exploration.py; docs/algorithm.md section 4.1)."""
    noise_zeta_max: int = checked(16, at_least(1))
    """Longest repeat, in env steps, of one exploration noise draw (agents/flashsac/exploration.py)."""
    noise_per_env: bool = False
    """Draw a repeat length per env instead of one shared by all envs (reference: shared;
    agents/flashsac/exploration.py)."""
    actor_bc_alpha: float = checked(0.0, finite_at_least(0))
    """Weight of a behaviour-cloning term ``mean|Q| * mean (a - a_data)^2`` in the actor loss
    (agents/flashsac/losses.py); 0 disables it (the FlashSAC default)."""
    lr_init: float = checked(3e-4, finite_at_least(0))
    """Learning rate at update 0, from which the warm-up rises to ``lr_peak`` (agents/flashsac/schedules.py
    ``learning_rate``, shared by the actor, critic and temperature optimizers)."""
    lr_peak: float = checked(3e-4, positive())
    """Learning rate after the warm-up, where the cosine decay starts (agents/flashsac/schedules.py)."""
    lr_end: float = checked(1.5e-4, finite_at_least(0))
    """Learning rate at the end of the cosine decay and afterwards (agents/flashsac/schedules.py)."""
    lr_warmup_rate: float = checked(1e-6, in_unit_interval(closed_low=True))
    """Warm-up length as a fraction of the total number of updates (config/derive.py ``total_updates``)."""
    lr_decay_rate: float = checked(1.0, positive())
    """Cosine decay length (warm-up included) as a fraction of the total number of updates."""
    use_amp: bool = False
    """Run the actor and critic forward passes and losses under autocast (runtime/precision.py); pays off on a
    GPU learner only (docs/algorithm.md section 3.7)."""
    amp_dtype: str = checked("float16", one_of(AMP_DTYPES))
    """Autocast dtype with ``use_amp``: ``float16`` (with a gradient scaler) or ``bfloat16`` (no scaler needed);
    consumed by runtime/precision.py."""
    use_compile: bool = False
    """``torch.compile`` the actor and critic loss functions (runtime/compile.py ``maybe_compile``)."""
    compile_mode: str = "auto"
    """``auto`` picks a mode from the torch version and device; or any ``torch.compile`` mode (used with
    ``use_compile``)."""
    asymmetric_observation: bool = True
    """Feed the critic the env's privileged critic observation when it offers one (``spec.critic_obs_dim``);
    the replay buffer then stores it too."""

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
    """Replay buffer (docs/algorithm.md section 6): a ``ReplayBuffer`` (buffers/replay.py) built by trainer/parts.py."""

    capacity: int = checked(1_000_000, at_least(1))
    """Transitions kept over all envs (the oldest are overwritten); ``capacity / env.num_envs`` steps per env.
    Per rank under torchrun: each rank keeps its own shard of this size (docs/distributed.md)."""
    min_size: int = checked(10_000, at_least(1))
    """Transitions (over all envs) collected with uniform random actions before the first update; sets the
    warm-up iterations (config/derive.py). Per rank under torchrun: warm-up ends when each shard holds this many."""
    device: str = checked("cpu", DEVICE)
    """Where the buffer's tensors live (``cpu``, ``cuda``, ``cuda:N``, or ``auto`` = the learner device),
    resolved by runtime/device.py before the run directory is written."""
    obs_dtype: str = checked("float32", one_of(OBS_DTYPES))
    """Storage dtype of observations: ``float32``, ``bfloat16`` or ``float16`` (half the memory; batches are
    returned as float32 by buffers/replay.py)."""


@dataclass
class TrainConfig:
    """The off-policy loop (trainer/loop.py), its budget and its intervals (all in env steps over all envs)."""

    num_env_steps: int = checked(1_000_000, at_least(1))
    """Budget of the run in env steps over all envs (``num_env_steps / env.num_envs`` vector steps, rounded up;
    config/derive.py); a resumed run may raise it. Global under torchrun: it counts the envs of every rank, like
    the logged ``env_steps`` and every ``*_every_env_steps`` interval, so N ranks take N x fewer vector steps."""
    batch_size: int = checked(512, at_least(2, "batch norm needs two samples"))
    """Transitions per gradient update, sampled uniformly from the replay buffer (buffers/replay.py). Per rank
    under torchrun: each rank samples this many from its own shard and the N gradients are averaged, so an update
    learns from N x ``batch_size`` transitions while batch norm keeps the batch size it was tuned with
    (docs/distributed.md)."""
    updates_per_vector_step: float = checked(
        1.0, finite_at_least(0, "0: collect only, no gradient updates; for benchmarking the loop")
    )
    """U: gradient updates per vector-env step; fractional values use an accumulator (trainer/loop.py) and the total
    sets the LR schedule (config/derive.py). 0 collects without learning (the actor still acts after warm-up):
    what ``flashsac bench loop`` uses to time the loop alone."""
    eval_every_env_steps: int = checked(100_000, at_least(0, "0: only the final evaluation"))
    """Interval between deterministic evaluations (evaluation/evaluate.py, called by trainer/loop.py); 0 evaluates
    only at the end."""
    num_eval_episodes: int | None = checked(None, optional(at_least(1), "automatic"))
    """Episodes per evaluation, a multiple of ``env.num_eval_envs``; ``None``: the fewest whole rounds giving
    at least 10 episodes (config/derive.py)."""
    log_every_env_steps: int = checked(10_000, at_least(1))
    """Interval between scalar log records (logging/scalars.py) and progress-bar updates (trainer/loop.py)."""
    checkpoint_every_env_steps: int = checked(0, at_least(0, "0: only the final checkpoint"))
    """Interval between periodic checkpoints (checkpointing/, written by ``Trainer.save``); 0 writes only the
    final checkpoint."""
    keep_checkpoints: int = checked(3, at_least(1))
    """Periodic checkpoints kept on disk (the newest K, pruned by checkpointing/; ``final.pt`` is always
    kept)."""
    checkpoint_buffer: bool = False
    """Also store the replay buffer with each checkpoint (exact resume of the data; costs disk and time;
    ``Trainer.save``)."""
    video_every_env_steps: int = checked(0, at_least(0, "0: no videos"))
    """Record one evaluation episode as mp4 (and to TensorBoard) at this interval (evaluation/video.py
    ``record_training_video``); 0 disables it."""
    check_finite: bool = True
    """Stop with a clear error at the first non-finite loss, gradient, parameter, observation or reward
    (runtime/finite_guard.py)."""
    solved_return: float | None = checked(None, optional(finite()))
    """If set, the run reports whether the final evaluation's mean return reached it (trainer/loop.py, printed by
    ``flashsac train``); ``None`` takes the family's own threshold when it defines one."""


@dataclass
class LoggingConfig:
    """Where and how a run records itself (logging/scalars.py unless said otherwise)."""

    root_dir: str = "runs"
    """Folder under which run directories are made (cli/train.py): ``<root_dir>/<group>/<env>-<task>/...``."""
    group: str = "default"
    """Subfolder of ``root_dir`` grouping related runs (cli/train.py), e.g. one per experiment."""
    run_dir: str | None = None
    """Explicit run directory; by default ``<root_dir>/<group>/<env>-<task>/<timestamp>_s<seed>`` (cli/train.py)."""
    tensorboard: bool = True
    """Write TensorBoard event files into the run directory (also where training videos go)."""
    csv: bool = True
    """Write ``scalars.csv`` (one ``env_steps,key,value,wall_time`` row per scalar)."""
    jsonl: bool = True
    """Also write ``scalars.jsonl`` (one JSON object per log call)."""
    wandb: bool = False
    """Log to Weights & Biases too (``pip install 'flashsac[wandb]'``; logging/backends/wandb_backend.py)."""
    wandb_project: str = "flashsac"
    """Weights & Biases project the run is logged to (with ``logging.wandb``)."""
    wandb_entity: str | None = None
    """Weights & Biases entity (user or team); ``None`` uses the logged-in user's default."""
    wandb_mode: str = checked("online", one_of(WANDB_MODES, "online, offline or disabled"))
    """``online``, ``offline`` (sync later with ``wandb sync``) or ``disabled``; the ``WANDB_MODE`` environment
    variable overrides it."""
    progress: bool = True
    """Live progress bar on the terminal (logging/progress.py; off automatically when stdout is not a
    terminal)."""


@dataclass
class RunConfig:
    """Everything one ``flashsac train`` run needs."""

    seed: int = checked(0, at_least(0))
    """Seed of torch, numpy and Python (runtime/seeding.py), of the first env reset and of the agent's
    exploration noise; evaluation envs use ``seed + EVAL_SEED_OFFSET`` (runtime/seeding.py)."""
    device: str = checked("auto", DEVICE)
    """Learner device (networks, updates): ``auto`` (cuda when present, else cpu), ``cpu``, ``cuda``,
    ``cuda:N``; resolved by runtime/device.py before the run directory is written."""
    deterministic: bool = False
    """Ask torch for deterministic kernels (runtime/seeding.py; slower on GPU)."""
    num_threads: int = checked(0, Rule(lambda v: v >= 0, "0 (torch default) or a positive thread count"))
    """torch intra-op threads on CPU, set by the trainer (trainer/loop.py); 0 leaves torch's default."""
    resume: str | None = None
    """A run directory to continue (cli/resume.py): its newest checkpoint is restored and training goes on in
    that directory."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The simulator, task, env counts and action box."""
    agent: AgentConfig = field(default_factory=AgentConfig)
    """The FlashSAC hyper-parameters, read by the agent (agents/flashsac/)."""
    buffer: BufferConfig = field(default_factory=BufferConfig)
    """The replay buffer's size, device and storage dtype."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """The training loop's budget and intervals."""
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    """Where and how the run records itself."""

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

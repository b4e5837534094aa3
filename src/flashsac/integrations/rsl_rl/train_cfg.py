"""rsl_rl's ``train_cfg`` dict (a runner config as plain data) read into flashsac's typed :class:`RunConfig`.

What an rsl_rl runner receives is ``asdict(agent_cfg)`` (mjlab) or ``agent_cfg.to_dict()`` (IsaacLab): the runner
keys of rsl_rl's ``RslRlBaseRunnerCfg`` and an ``algorithm`` dict. :func:`parse_train_cfg` maps it:

=====================================  ==========================================================================
``train_cfg`` key                      flashsac
=====================================  ==========================================================================
``seed``                               ``seed``
``max_iterations``                     ``train.num_env_steps = max_iterations * num_steps_per_env * num_envs``
``num_steps_per_env``                  ``train.log_every_env_steps = num_steps_per_env * num_envs`` (one per it.)
``save_interval``                      ``train.checkpoint_every_env_steps = save_interval * num_steps_per_env *
                                       num_envs`` (``model_<it>.pt`` in the log dir)
``clip_actions``, ``action_bounds``    ``env.action_bounds``/``env.action_bound`` (see :class:`FlashSACRunnerKeys`)
``algorithm.<agent key>``              ``agent.<agent key>``
``algorithm.batch_size``,              ``train.batch_size``, ``train.updates_per_vector_step``
``algorithm.updates_per_vector_step``
``algorithm.buffer_<key>``             ``buffer.<key>``
=====================================  ==========================================================================

rsl_rl's other runner keys (``experiment_name``, ``run_name``, ``logger``, ``obs_groups``, the resume keys the
scripts read, ...) are kept in :class:`RunnerSettings`. A key that is neither rsl_rl's nor FlashSAC's is refused
with one line naming it; so is a PPO key (``actor``, ``critic``, ``policy``): the config is still PPO's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from flashsac.config.schema import AgentConfig, BufferConfig, EnvConfig, LoggingConfig, RunConfig, TrainConfig
from flashsac.config.validate import ConfigError, validate
from flashsac.integrations.rsl_rl.runner_cfg import FlashSACAlgorithmCfg, FlashSACRunnerCfg, FlashSACRunnerKeys

__all__ = ["RunnerSettings", "parse_train_cfg", "resolve_bounds"]

ALGORITHM_NAME = "FlashSAC"
# rsl_rl's runner keys that FlashSAC reads or that the training scripts read (IsaacLab's and mjlab's runner cfgs,
# plus "multi_gpu" and "check_for_nan", which rsl_rl's runner writes or reads in the dict).
_RSL_RL_KEYS = {f.name for f in dataclasses.fields(FlashSACRunnerCfg)} | {
    "wandb_tags",
    "upload_model",
    "multi_gpu",
    "check_for_nan",
}
_LOOP_KEYS = {"batch_size": "batch_size", "updates_per_vector_step": "updates_per_vector_step"}
_BUFFER_KEYS = {
    "buffer_capacity": "capacity",
    "buffer_min_size": "min_size",
    "buffer_device": "device",
    "buffer_obs_dtype": "obs_dtype",
}
# flashsac key -> the train_cfg key a user sets, so validation errors name what the user wrote.
_USER_KEYS = {
    **{f"agent.{f.name}": f"algorithm.{f.name}" for f in dataclasses.fields(AgentConfig)},
    **{f"train.{ours}": f"algorithm.{theirs}" for theirs, ours in _LOOP_KEYS.items()},
    **{f"buffer.{ours}": f"algorithm.{theirs}" for theirs, ours in _BUFFER_KEYS.items()},
    "train.num_env_steps": "max_iterations (times num_steps_per_env * num_envs)",
    "env.action_bound": "action_bound",
    "env.joint_limit_fraction": "joint_limit_fraction",
    "env.action_bounds": "action_bounds",
    "seed": "seed",
}


@dataclass(frozen=True)
class RunnerSettings:
    """A parsed ``train_cfg``: the run configuration plus the rsl_rl runner keys flashsac's schema has no place for.

    Attributes:
        run: The typed run configuration the shared training loop runs.
        num_steps_per_env: Vector-env steps per rsl_rl iteration.
        max_iterations: Iterations of the planned run.
        save_interval: Iterations between ``model_<it>.pt`` checkpoints.
        experiment_name: rsl_rl's experiment directory name.
        run_name: rsl_rl's run-name suffix.
        logger: rsl_rl's ``logger`` entry (a writer name, or a dict with ``class_name`` and its keywords).
        logger_options: The W&B/Neptune project keys and W&B tags, for rsl_rl's writers.
        obs_groups: Actor and critic observation groups.
    """

    run: RunConfig
    num_steps_per_env: int
    max_iterations: int
    save_interval: int
    experiment_name: str
    run_name: str
    logger: str | dict[str, Any]
    logger_options: dict[str, Any]
    obs_groups: dict[str, tuple[str, ...]]

    @property
    def env_steps_per_iteration(self) -> int:
        """Env steps (over all envs) of one rsl_rl iteration."""
        return self.num_steps_per_env * self.run.env.num_envs


def _refuse_unknown(given: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        ppo = {"actor", "critic", "policy", "empirical_normalization"} & set(unknown)
        hint = " (a PPO key: this is still PPO's config; see docs/switching-from-ppo.md)" if ppo else ""
        raise ConfigError(
            f"train_cfg{where}.{unknown[0]} is not a key of the FlashSAC runner{hint}; "
            f"valid keys: {', '.join(sorted(known))}."
        )


def _require_int(value: Any, key: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"train_cfg.{key}={value!r} is invalid: expected an integer >= {minimum}.")
    return value


def resolve_bounds(mode: str, clip_actions: float | None, bound: float, joint_limited: bool) -> tuple[str, float]:
    """The trained box as ``(env.action_bounds, env.action_bound)``; ``auto`` picks one from the env.

    ``auto`` is ``scalar`` at ``+-clip_actions`` when rsl_rl clips actions (the wrapper clips to that box anyway),
    else ``joint_limits`` for joint-position robots, else ``scalar`` at ``+-action_bound``.
    """
    if mode != "auto":
        return mode, bound
    if clip_actions is not None:
        return "scalar", float(clip_actions)
    return ("joint_limits", bound) if joint_limited else ("scalar", bound)


def _user_message(err: ConfigError) -> str:
    """A validation message with flashsac's key replaced by the ``train_cfg`` key the user sets."""
    message = str(err)
    key = message.split("=", 1)[0]
    if key in _USER_KEYS:
        message = f"train_cfg.{_USER_KEYS[key]}" + message[len(key) :]
        message = message.split(" Override it")[0]
    return message


def parse_train_cfg(
    train_cfg: Mapping[str, Any],
    *,
    num_envs: int,
    env_device: torch.device,
    device: str,
    task: str,
    joint_limited: bool,
    log_dir: str | None,
) -> RunnerSettings:
    """Read an rsl_rl ``train_cfg`` into :class:`RunnerSettings` (validated, nothing built or written).

    Args:
        train_cfg: ``asdict``/``to_dict`` of a :class:`FlashSACRunnerCfg`-shaped config.
        num_envs: The env's number of parallel envs.
        env_device: The env's device.
        device: The runner's (learner) device.
        task: Task name for the run config and logs.
        joint_limited: Whether the env offers joint limits for every action dimension (for ``action_bounds=auto``).
        log_dir: The run's log directory, or ``None`` (no files: play and export; the training budget is not
            checked then).

    Raises:
        ConfigError: one line naming the ``train_cfg`` key and what a valid value is.
    """
    _refuse_unknown(train_cfg, _RSL_RL_KEYS, "")
    algorithm = dict(train_cfg.get("algorithm") or {})
    algo_keys = {f.name for f in dataclasses.fields(FlashSACAlgorithmCfg)}
    _refuse_unknown(algorithm, algo_keys, ".algorithm")
    if algorithm.get("class_name", ALGORITHM_NAME) != ALGORITHM_NAME:
        raise ConfigError(
            f"train_cfg.algorithm.class_name={algorithm['class_name']!r} is not {ALGORITHM_NAME!r}: the FlashSAC "
            "runner trains FlashSAC only."
        )
    defaults = FlashSACRunnerCfg()
    keys = FlashSACRunnerKeys()
    get = lambda key: train_cfg.get(key, getattr(defaults, key))  # noqa: E731
    num_steps_per_env = _require_int(get("num_steps_per_env"), "num_steps_per_env", 1)
    max_iterations = _require_int(get("max_iterations"), "max_iterations", 1)
    save_interval = _require_int(get("save_interval"), "save_interval", 1)
    if train_cfg.get("multi_gpu"):
        raise ConfigError("train_cfg.multi_gpu is set (WORLD_SIZE > 1): the FlashSAC runner trains on one device.")
    mode, bound = resolve_bounds(
        str(train_cfg.get("action_bounds", keys.action_bounds)),
        train_cfg.get("clip_actions"),
        float(train_cfg.get("action_bound", keys.action_bound)),
        joint_limited,
    )
    agent = {k: v for k, v in algorithm.items() if k in {f.name for f in dataclasses.fields(AgentConfig)}}
    agent = {**_agent_defaults(), **agent}
    if torch.device(device).type == "cpu":
        # Why: fp16 autocast and compile only slow a CPU learner down (the CPU presets keep both off).
        agent["use_amp"] = agent["use_compile"] = False
    per_iteration = num_steps_per_env * num_envs
    algo_defaults = FlashSACAlgorithmCfg()
    run = RunConfig(
        seed=_require_int(get("seed"), "seed", 0),
        device=device,
        env=EnvConfig(
            name="rsl_rl",
            task=task,
            num_envs=num_envs,
            num_eval_envs=num_envs,
            device=str(env_device),
            action_bounds=mode,
            action_bound=bound,
            joint_limit_fraction=float(train_cfg.get("joint_limit_fraction", keys.joint_limit_fraction)),
        ),
        agent=AgentConfig(**agent),
        buffer=BufferConfig(
            **{ours: algorithm.get(theirs, getattr(algo_defaults, theirs)) for theirs, ours in _BUFFER_KEYS.items()}
        ),
        train=TrainConfig(
            num_env_steps=max_iterations * per_iteration,
            batch_size=algorithm.get("batch_size", algo_defaults.batch_size),
            updates_per_vector_step=algorithm.get("updates_per_vector_step", algo_defaults.updates_per_vector_step),
            eval_every_env_steps=0,
            num_eval_episodes=num_envs,
            log_every_env_steps=per_iteration,
            checkpoint_every_env_steps=save_interval * per_iteration,
            checkpoint_buffer=bool(train_cfg.get("checkpoint_buffer", keys.checkpoint_buffer)),
        ),
        logging=LoggingConfig(run_dir=log_dir, tensorboard=False, wandb=False, progress=False),
    )
    # Why: without a log dir the runner only plays or exports (no buffer, no loop), so the training budget's rules
    # (e.g. more env steps than the warm-up) would refuse a play env of a few envs for nothing.
    checked = run if log_dir is not None else dataclasses.replace(run, train=TrainConfig(), buffer=BufferConfig())
    try:
        validate(checked)
    except ConfigError as err:
        raise ConfigError(_user_message(err)) from None
    logger = train_cfg.get("logger", defaults.logger)
    options = {key: train_cfg[key] for key in ("wandb_project", "neptune_project", "wandb_tags") if key in train_cfg}
    groups = train_cfg.get("obs_groups")
    return RunnerSettings(
        run=run,
        num_steps_per_env=num_steps_per_env,
        max_iterations=max_iterations,
        save_interval=save_interval,
        experiment_name=str(get("experiment_name")),
        run_name=str(get("run_name") or ""),
        logger=dict(logger) if isinstance(logger, Mapping) else str(logger),
        logger_options=options,
        obs_groups={k: tuple(v) for k, v in groups.items()} if groups else {},
    )


def _agent_defaults() -> dict[str, Any]:
    """The agent keys' defaults of the ``algorithm`` section (the GPU regime, not AgentConfig's CPU defaults)."""
    algo = FlashSACAlgorithmCfg()
    return {f.name: getattr(algo, f.name) for f in dataclasses.fields(AgentConfig)}

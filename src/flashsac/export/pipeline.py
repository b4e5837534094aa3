"""``export_checkpoint``: checkpoint -> parity-checked policy files plus manifest, or one error and nothing written.

Steps: find the checkpoint (a file, or a run directory's ``final.pt`` / newest ``step_*.pt``); restore its policy
safely (tensors and plain data only); refuse non-finite parameters; fold the actor into
:class:`flashsac.export.graph.DeployPolicy`; build the task's env from the stored config, read what the adapter
knows about the robot and collect rollout observations; build every requested format in memory and compare it
with the torch policy (:mod:`flashsac.export.parity`); only when all pass, write the files and ``manifest.json``,
each atomically.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from flashsac.checkpointing.atomic import atomic_writer, write_text_atomically
from flashsac.checkpointing.checkpoint_file import CheckpointError
from flashsac.checkpointing.run_files import list_checkpoints
from flashsac.envs.bounded import env_joint_limits
from flashsac.envs.deploy_info import ObsTerm, PDGains
from flashsac.envs.protocol import DeployableEnv, VecEnv
from flashsac.envs.registry import make_env_from_config
from flashsac.evaluation.policy import LoadedPolicy, load_policy
from flashsac.export.errors import ExportError
from flashsac.export.formats import (
    FILE_NAMES,
    onnx_bytes,
    onnx_model,
    onnx_runner,
    require_module,
    torchscript_bytes,
    torchscript_module,
    torchscript_runner,
)
from flashsac.export.graph import build_deploy_policy, non_finite_entries
from flashsac.export.manifest import RobotFacts, build_manifest, file_sha256
from flashsac.export.parity import (
    TOLERANCE,
    ParityResult,
    compare,
    extreme_observations,
    rollout_observations,
    run_batched,
)

__all__ = [
    "PARITY_OBSERVATIONS",
    "ROLLOUT_ENVS",
    "ExportResult",
    "default_export_dir",
    "export_checkpoint",
    "export_policy",
    "robot_facts",
]

PARITY_OBSERVATIONS = 10_000
"""Rollout observations compared by default (extreme values come on top)."""

ROLLOUT_ENVS = 16
"""Envs stepped together while collecting rollout observations."""

_ROLLOUT_SEED = 2_000_003  # apart from training (seed) and evaluation (seed + 1_000_003) starts


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes:
        out_dir: The folder holding the files.
        files: Format -> written policy file.
        manifest_path: The ``manifest.json`` written beside them.
        manifest: Its content.
        parity: One result per format.
    """

    out_dir: Path
    files: dict[str, Path]
    manifest_path: Path
    manifest: dict[str, Any]
    parity: list[ParityResult]


def resolve_checkpoint(source: Path) -> Path:
    """The checkpoint file ``source`` names: itself, or a run directory's ``final.pt`` else newest ``step_*.pt``.

    Raises:
        CheckpointError: ``source`` does not exist, or is a directory without checkpoints.
    """
    if source.is_file():
        return source
    if source.is_dir():
        final = source / "checkpoints" / "final.pt"
        if final.is_file():
            return final
        periodic = list_checkpoints(source)
        if periodic:
            return periodic[-1][1]
        raise CheckpointError(f"{source} holds no checkpoints/final.pt or checkpoints/step_*.pt; pass a checkpoint.")
    raise CheckpointError(f"checkpoint {source} does not exist.")


def default_export_dir(checkpoint: Path) -> Path:
    """``<run dir>/export`` for ``<run dir>/checkpoints/<name>.pt``, else ``export/`` beside the checkpoint."""
    parent = checkpoint.resolve().parent
    return (parent.parent if parent.name == "checkpoints" else parent) / "export"


def _load(checkpoint: Path, device: torch.device) -> LoadedPolicy:
    try:
        loaded = load_policy(checkpoint, device)
    except CheckpointError as err:
        raise CheckpointError(" ".join(str(err).split())) from err  # torch's messages span lines
    except (KeyError, TypeError, ValueError) as err:  # a loadable file that lacks part of what flashsac stores
        raise CheckpointError(
            f"{checkpoint} is not a complete flashsac checkpoint ({type(err).__name__}: {err})."
        ) from err
    bad = non_finite_entries(loaded.agent.actor, loaded.agent.action_scaler)
    if bad:
        shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise ExportError(
            f"{checkpoint}: the policy holds NaN/inf values ({shown}); export a checkpoint from before training "
            "diverged."
        )
    return loaded


def _make_env(loaded: LoadedPolicy, device: torch.device) -> VecEnv:
    cfg, stored = loaded.cfg, loaded.spec
    # The box is the checkpoint's, chosen (and warned about, if huge) when the run started: export only reads it.
    env_cfg = dataclasses.replace(cfg.env, allow_suspicious_bounds=True)
    env = make_env_from_config(env_cfg, cfg.seed + _ROLLOUT_SEED, device, num_envs=ROLLOUT_ENVS)
    if (env.spec.obs_dim, env.spec.action_dim) != (stored.obs_dim, stored.action_dim):
        env.close()
        raise CheckpointError(
            f"the checkpoint's policy acts on obs_dim={stored.obs_dim}, action_dim={stored.action_dim}, but "
            f"{cfg.env.name}/{cfg.env.task} here has obs_dim={env.spec.obs_dim}, action_dim={env.spec.action_dim} "
            "(a different simulator version?)."
        )
    return env


def _deploy_info(env: VecEnv) -> tuple[tuple[ObsTerm, ...], PDGains | None]:
    """The adapter's observation layout and PD gains (:class:`DeployableEnv`), checked; ``((), None)`` without."""
    if not isinstance(env, DeployableEnv):
        return (), None
    task = env.spec.task
    layout, gains = tuple(env.observation_layout()), env.pd_gains()
    if not all(isinstance(term, ObsTerm) for term in layout) or not isinstance(gains, PDGains | None):
        raise ExportError(f"{task}: observation_layout() must give ObsTerm entries and pd_gains() PDGains or None.")
    total = sum(term.size for term in layout)
    if layout and total != env.spec.obs_dim:
        raise ExportError(
            f"{task}: observation_layout() sizes sum to {total}, but obs_dim is {env.spec.obs_dim}; fix the adapter."
        )
    return layout, gains


def robot_facts(env: VecEnv, loaded: LoadedPolicy) -> RobotFacts:
    """What ``env``'s adapter knows about the robot (joint names, limits, observation layout, PD gains)."""
    layout, gains = _deploy_info(env)
    return RobotFacts(
        joint_names=env.spec.joint_names or loaded.spec.joint_names,
        control_dt=env.spec.control_dt or loaded.spec.control_dt,
        joint_limits=env_joint_limits(env),
        observation_layout=layout,
        pd_gains=gains,
    )


def export_checkpoint(
    source: Path,
    out_dir: Path | None = None,
    formats: tuple[str, ...] = ("onnx", "torchscript"),
    device: torch.device | str = "cpu",
    parity_observations: int = PARITY_OBSERVATIONS,
) -> ExportResult:
    """Export the policy of a checkpoint (or a run directory's latest) to ``formats`` plus ``manifest.json``.

    Args:
        source: A checkpoint file or a run directory.
        out_dir: Where to write; default ``<run dir>/export``.
        formats: Any of ``onnx`` and ``torchscript``.
        device: Where the env runs while rollout observations are collected (the exported graph is float32 CPU).
        parity_observations: Rollout observations to compare the exported files on (at least 1).

    Raises:
        CheckpointError: missing, unsafe, corrupt or foreign file.
        ExportError: non-finite parameters, a missing onnx package, an exporter failure, or failed parity.
        MissingSimulatorError: the checkpoint's simulator is not installed here.
    """
    if "onnx" in formats:
        for name in ("onnx", "onnxscript", "onnxruntime"):
            require_module(name)  # before anything slow: say what to install first
    device = torch.device(device)
    checkpoint = resolve_checkpoint(source)
    loaded = _load(checkpoint, device)
    env = _make_env(loaded, device)
    try:
        facts = robot_facts(env, loaded)
        rollouts = rollout_observations(loaded.agent, env, max(parity_observations, 1), loaded.cfg.seed)
    finally:
        env.close()
    return export_policy(loaded, checkpoint, facts, rollouts, out_dir or default_export_dir(checkpoint), formats)


def export_policy(
    loaded: LoadedPolicy,
    checkpoint: Path,
    facts: RobotFacts,
    rollouts: torch.Tensor,
    out_dir: Path,
    formats: tuple[str, ...] = ("onnx", "torchscript"),
    file_names: dict[str, str] | None = None,
    manifest_name: str = "manifest.json",
) -> ExportResult:
    """Build, parity-check and write the policy of ``loaded`` (restored from ``checkpoint``): the steps after the env.

    :func:`export_checkpoint` gets ``facts`` and ``rollouts`` from the task's env built afresh; a caller that
    already runs the env (the rsl_rl runner) passes its own.

    Args:
        loaded: The policy with its config and env spec.
        checkpoint: The checkpoint it was restored from (named and hashed in the manifest).
        facts: What the env's adapter knows about the robot.
        rollouts: ``(N, obs_dim)`` observations to compare the files on (extreme observations are added).
        out_dir: Where to write.
        formats: Any of ``onnx`` and ``torchscript``.
        file_names: Format -> file name, replacing :data:`~flashsac.export.formats.FILE_NAMES` entries.
        manifest_name: File name of the manifest written beside them.

    Raises:
        ExportError: non-finite parameters, a missing onnx package, an exporter failure, or failed parity.
    """
    if "onnx" in formats:
        for name in ("onnx", "onnxscript", "onnxruntime"):
            require_module(name)
    bad = non_finite_entries(loaded.agent.actor, loaded.agent.action_scaler)
    if bad:
        raise ExportError(f"{checkpoint}: the policy holds NaN/inf values ({', '.join(bad[:3])}); nothing was written.")
    device = loaded.agent.device
    policy = build_deploy_policy(loaded.agent.actor, loaded.agent.action_scaler)
    obs = torch.cat((rollouts.float().cpu(), extreme_observations(loaded.spec.obs_dim)))
    reference = run_batched(lambda batch: loaded.act(batch.to(device)).cpu(), obs)
    low, high = loaded.spec.action_low, loaded.spec.action_high

    parity: list[ParityResult] = []
    built: dict[str, Any] = {}
    opset = None
    for name in formats:
        if name == "onnx":
            model = built[name] = onnx_model(policy, loaded.spec.obs_dim)
            opset = next((entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")), None)
            runner = onnx_runner(model.SerializeToString())[0]
        else:
            module = built[name] = torchscript_module(policy)
            runner = torchscript_runner(torchscript_bytes(module, {}), torch.device("cpu"))
        parity.append(compare(name, reference, run_batched(runner, obs), low, high))
    failed = [result for result in parity if not result.passed]
    if failed:
        worst = max(failed, key=lambda result: result.max_diff_over_width)
        raise ExportError(
            f"{worst.format} export differs from the torch policy by {worst.max_diff_over_width:.3g} of the box width "
            f"(max abs diff {worst.max_abs_diff:.3g}; allowed {TOLERANCE:g}); nothing was written."
        )

    manifest = build_manifest(
        loaded, checkpoint, file_sha256(checkpoint), facts, formats, parity, int(rollouts.shape[0]), opset
    )
    names = {**FILE_NAMES, **(file_names or {})}
    manifest["files"] = {name: names[name] for name in formats}
    payloads = {
        name: onnx_bytes(built[name], manifest) if name == "onnx" else torchscript_bytes(built[name], manifest)
        for name in formats
    }
    out = out_dir
    files: dict[str, Path] = {}
    for name, data in payloads.items():
        files[name] = out / names[name]
        with atomic_writer(files[name]) as handle:
            handle.write(data)
    manifest_path = out / manifest_name
    write_text_atomically(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return ExportResult(out, files, manifest_path, manifest, parity)

"""The deployment manifest: the robot contract an exported policy was trained against, as plain JSON.

Written beside the policy files as ``manifest.json`` and embedded in each of them. Deploy code needs, in this
order: which file to run and its tensor names (``files``, ``graph``); how to build the observation
(``observation.layout``); what the action means (``action``: environment units, the box, joint order); for
joint-position robots how to turn it into joint targets (``robot``: ``q_target = q0 + scale * action``, default
pose, scale, soft limits, PD gains); and the control period. ``training`` holds the run's resolved configuration
and env spec, from which ``flashsac eval``/``play`` rebuild the simulator task for an exported file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

import flashsac
from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.deploy_info import ObsTerm, PDGains
from flashsac.envs.protocol import spec_to_dict
from flashsac.evaluation.policy import LoadedPolicy
from flashsac.export.formats import FILE_NAMES, INPUT_NAME, OUTPUT_NAME
from flashsac.export.parity import EXTREME, TOLERANCE, ParityResult

__all__ = ["MANIFEST_FORMAT", "MANIFEST_VERSION", "TARGET_RULE", "RobotFacts", "build_manifest", "file_sha256"]

MANIFEST_FORMAT = "flashsac-policy"
MANIFEST_VERSION = 1
TARGET_RULE = "q_target = q0 + scale * action"


@dataclass(frozen=True)
class RobotFacts:
    """What the task's adapter knows about the robot (from the env contract), all optional.

    Attributes:
        joint_names: Actuated joints in action order.
        control_dt: Seconds per policy step.
        joint_limits: Soft limits, default pose and action scale of a joint-position robot.
        observation_layout: The observation's blocks in order.
        pd_gains: Nominal joint PD gains.
    """

    joint_names: tuple[str, ...] = ()
    control_dt: float = 0.0
    joint_limits: JointLimits | None = None
    observation_layout: tuple[ObsTerm, ...] = ()
    pd_gains: PDGains | None = None


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _git_commit() -> str | None:
    """The commit of the flashsac source tree doing the export, or ``None`` outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(Path(flashsac.__file__).resolve().parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def _floats(tensor: torch.Tensor) -> list[float]:
    """The entries as the shortest decimals that read back to the same float32 (0.3, not 0.30000001192092896)."""
    return [float(str(value)) for value in tensor.detach().to("cpu", torch.float32).numpy()]


def _layout(terms: tuple[ObsTerm, ...]) -> list[dict[str, Any]] | None:
    if not terms:
        return None
    out, start = [], 0
    for term in terms:
        scale = list(term.scale) if isinstance(term.scale, tuple) else term.scale
        out.append({"name": term.name, "start": start, "size": term.size, "scale": scale})
        start += term.size
    return out


def _robot(facts: RobotFacts) -> dict[str, Any] | None:
    limits, gains = facts.joint_limits, facts.pd_gains
    if limits is None and gains is None:
        return None
    robot: dict[str, Any] = {"joint_names": list(facts.joint_names)}
    if limits is not None:
        robot |= {
            "target_rule": TARGET_RULE,
            "default_joint_pos": _floats(limits.q0),
            "action_scale": _floats(limits.scale),
            "soft_joint_pos_limits": {"low": _floats(limits.q_min), "high": _floats(limits.q_max)},
        }
    robot["pd_gains"] = None if gains is None else {"kp": _floats(gains.kp), "kd": _floats(gains.kd)}
    return robot


def _bounds_parameter(mode: str, env_cfg: Any) -> dict[str, float] | None:
    """The setting that shaped the box besides its mode (``env.joint_limit_fraction`` or ``env.action_bound``)."""
    if mode == "joint_limits":
        return {"joint_limit_fraction": float(env_cfg.joint_limit_fraction)}
    if mode == "scalar":
        return {"action_bound": float(env_cfg.action_bound)}
    return None


def build_manifest(
    loaded: LoadedPolicy,
    checkpoint: Path,
    checkpoint_sha256: str,
    facts: RobotFacts,
    formats: tuple[str, ...],
    parity: list[ParityResult],
    rollout_observations: int,
    onnx_opset: int | None,
) -> dict[str, Any]:
    """The manifest of an export of ``loaded`` (restored from ``checkpoint``), as JSON-ready plain data.

    Args:
        loaded: The checkpoint's policy, config and env spec.
        checkpoint: The checkpoint file exported.
        checkpoint_sha256: Its SHA-256.
        facts: What the task's adapter says about the robot.
        formats: The formats written.
        parity: One result per format written.
        rollout_observations: How many of the parity observations came from rollouts (the rest are extremes).
        onnx_opset: The ONNX file's default-domain opset, or ``None`` without an ONNX file.
    """
    cfg, spec = loaded.cfg, loaded.spec
    graph: dict[str, Any] = {
        "input": {"name": INPUT_NAME, "shape": ["batch", spec.obs_dim], "dtype": "float32"},
        "output": {"name": OUTPUT_NAME, "shape": ["batch", spec.action_dim], "dtype": "float32"},
        "computes": "deterministic action tanh(mean) mapped onto [action.low, action.high], in environment units",
        "batch_norm": "eval mode, folded into the adjacent linear maps",
    }
    if "onnx" in formats:
        graph["onnx"] = {"exporter": "torch.onnx.export(dynamo=True)", "opset": onnx_opset}
    if "torchscript" in formats:
        graph["torchscript"] = {"exporter": "torch.jit.script"}
    return {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_VERSION,
        "created_by": {"flashsac": flashsac.__version__, "git_commit": _git_commit(), "torch": torch.__version__},
        "checkpoint": {"file": checkpoint.name, "sha256": checkpoint_sha256, "env_steps": loaded.env_steps},
        "env": {
            "family": cfg.env.name,
            "task": cfg.env.task,
            "options": dict(cfg.env.options),
            "max_episode_steps": spec.max_episode_steps,
        },
        "control_dt": facts.control_dt or spec.control_dt,
        "files": {name: FILE_NAMES[name] for name in formats},
        "graph": graph,
        "observation": {"dim": spec.obs_dim, "layout": _layout(facts.observation_layout)},
        "action": {
            "dim": spec.action_dim,
            "units": "environment",
            "low": _floats(spec.action_low),
            "high": _floats(spec.action_high),
            "bounds_mode": cfg.env.action_bounds,
            "bounds_parameter": _bounds_parameter(cfg.env.action_bounds, cfg.env),
            "joint_names": list(facts.joint_names or spec.joint_names),
        },
        "robot": _robot(facts),
        "parity": {
            "reference": "the checkpoint's torch policy (FlashSACAgent.act, deterministic)",
            "rollout_observations": rollout_observations,
            "extreme_observations": parity[0].observations - rollout_observations if parity else 0,
            "extreme_magnitude": EXTREME,
            "tolerance_of_box_width": TOLERANCE,
            "results": {
                result.format: {
                    "max_abs_diff": result.max_abs_diff,
                    "max_diff_over_width": result.max_diff_over_width,
                }
                for result in parity
            },
        },
        "training": {"seed": cfg.seed, "config": dataclasses.asdict(cfg), "env_spec": spec_to_dict(spec)},
    }

"""Run an exported flashsac policy on a joint-position robot with numpy and onnxruntime only (docs/deploy.md).

    python deploy_onnx.py EXPORT_DIR     # one policy step on a zero observation, printed per joint

On a robot: implement ``Robot`` (build the observation as ``manifest["observation"]["layout"]`` says, send joint
position targets to the joint controllers) and call ``run(EXPORT_DIR, robot, steps)``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort


class Robot(Protocol):
    """What the loop needs from the robot (or a simulator standing in for it)."""

    joint_names: list[str]

    def observe(self) -> np.ndarray:
        """The current ``(obs_dim,)`` observation."""
        ...

    def command(self, q_target: np.ndarray) -> None:
        """Send joint position targets (the manifest's joint order) to the joint controllers."""
        ...


class JointPositionPolicy:
    """The exported policy plus the manifest's joint-position contract: ``q_target = q0 + scale * action``."""

    def __init__(self, export_dir: Path) -> None:
        self.manifest = json.loads((export_dir / "manifest.json").read_text())
        robot = self.manifest["robot"]
        if not robot or "default_joint_pos" not in robot:
            raise ValueError(f"{export_dir}: not a joint-position robot's policy (manifest has no default pose).")
        self.joint_names = list(robot["joint_names"])
        self.q0 = np.asarray(robot["default_joint_pos"], dtype=np.float32)
        self.scale = np.asarray(robot["action_scale"], dtype=np.float32)
        limits = robot["soft_joint_pos_limits"]
        self.q_low = np.asarray(limits["low"], dtype=np.float32)
        self.q_high = np.asarray(limits["high"], dtype=np.float32)
        self.control_dt = float(self.manifest["control_dt"])
        graph = self.manifest["graph"]
        self.input_name, self.output_name = graph["input"]["name"], graph["output"]["name"]
        policy_file = export_dir / self.manifest["files"]["onnx"]
        self.session = ort.InferenceSession(str(policy_file), providers=["CPUExecutionProvider"])

    def action(self, obs: np.ndarray) -> np.ndarray:
        """The policy's action (environment units, inside the manifest's box) for one observation."""
        batch = np.asarray(obs, dtype=np.float32).reshape(1, -1)
        return self.session.run([self.output_name], {self.input_name: batch})[0][0]

    def joint_targets(self, obs: np.ndarray) -> np.ndarray:
        """Joint position targets for one observation, kept inside the soft joint limits."""
        q_target = self.q0 + self.scale * self.action(obs)
        # A policy trained with env.action_bounds=joint_limits never leaves them; the clip guards the hardware.
        return np.clip(q_target, self.q_low, self.q_high)


def run(export_dir: Path, robot: Robot, steps: int, realtime: bool = True) -> None:
    """Control ``robot`` for ``steps`` policy steps, one every ``control_dt`` seconds when ``realtime``."""
    policy = JointPositionPolicy(Path(export_dir))
    if list(robot.joint_names) != policy.joint_names:
        raise ValueError(f"joint order differs: robot {list(robot.joint_names)}, policy {policy.joint_names}")
    tick = time.monotonic()
    for _ in range(steps):
        robot.command(policy.joint_targets(robot.observe()))
        if realtime:
            tick += policy.control_dt
            time.sleep(max(0.0, tick - time.monotonic()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python deploy_onnx.py EXPORT_DIR")
    policy = JointPositionPolicy(Path(sys.argv[1]))
    targets = policy.joint_targets(np.zeros(policy.manifest["observation"]["dim"], dtype=np.float32))
    for name, q0, q in zip(policy.joint_names, policy.q0, targets, strict=True):
        print(f"{name}: q0 {q0:+.4f}  q_target {q:+.4f}")

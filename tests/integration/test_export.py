"""``flashsac export`` end to end on the built-in tasks: files, manifest, parity, eval/play of exported files,
the deploy example against the joint-position arm, and one-line errors that write nothing."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from flashsac.checkpointing.checkpoint_file import load_checkpoint, save_checkpoint
from flashsac.cli.main import main
from flashsac.config.schema import EnvConfig
from flashsac.envs.registry import make_env_from_config
from flashsac.evaluation.policy import load_policy
from flashsac.export.exported import load_exported
from flashsac.export.manifest import file_sha256
from flashsac.export.parity import TOLERANCE, compare, extreme_observations
from tiny_run import tiny_overrides

onnx = pytest.importorskip("onnx", reason="needs the export extra: pip install -e '.[export]'")
pytest.importorskip("onnxruntime", reason="needs the export extra: pip install -e '.[export]'")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "deploy_onnx.py"
CPU = torch.device("cpu")
ARM = EnvConfig(name="torch", task="arm-reach", max_episode_steps=50, action_bounds="joint_limits")
# The shared tiny run, 96 steps: export needs a checkpoint, not a trained policy.
TASKS = {
    "pendulum-swingup": {},
    "arm-reach": {"env.action_bounds": "joint_limits"},
}
FORMAT_OF = {"checkpoints/final.pt": "checkpoint", "export/policy.onnx": "onnx", "export/policy.pt": "torchscript"}


def _train(root: Path, task: str) -> Path:
    run_dir = root / task
    changes = {
        "env.task": task,
        "buffer.capacity": 2000,
        "train.num_env_steps": 96,
        "train.eval_every_env_steps": 96,
        "env.max_episode_steps": 50,
        **TASKS[task],
    }
    assert main(["train", *tiny_overrides(changes), f"logging.run_dir={run_dir}"]) == 0
    return run_dir


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run directory per task, each exported (default 10,000 rollout observations) with warnings as errors."""
    root = tmp_path_factory.mktemp("export")
    runs = {}
    for task in TASKS:
        run_dir = _train(root, task)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert main(["export", str(run_dir)]) == 0
        runs[task] = run_dir
    return runs


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "export" / "manifest.json").read_text())


@pytest.mark.parametrize("task", list(TASKS))
def test_export_writes_both_files_and_a_manifest_embedded_in_each(exported: dict[str, Path], task: str) -> None:
    out = exported[task] / "export"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "policy.onnx", "policy.pt"]
    manifest = _manifest(exported[task])
    checkpoint = exported[task] / "checkpoints" / "final.pt"
    assert manifest["format"] == "flashsac-policy" and manifest["format_version"] == 1
    assert manifest["checkpoint"] == {"file": "final.pt", "sha256": file_sha256(checkpoint), "env_steps": 96}
    assert manifest["env"]["family"] == "torch" and manifest["env"]["task"] == task
    assert manifest["created_by"]["flashsac"] and manifest["created_by"]["torch"] == torch.__version__
    model = onnx.load(str(out / "policy.onnx"))
    embedded = {entry.key: entry.value for entry in model.metadata_props}
    assert json.loads(embedded["flashsac_manifest"]) == manifest
    assert load_exported(out / "policy.pt").manifest == manifest
    # Named input and output, dynamic batch dimension.
    (graph_input,), (graph_output,) = model.graph.input, model.graph.output
    assert (graph_input.name, graph_output.name) == ("obs", "action")
    assert graph_input.type.tensor_type.shape.dim[0].dim_param and graph_output.type.tensor_type.shape.dim[0].dim_param
    # Batch norm folded away: the graph holds no normalisation operator.
    assert not {node.op_type for node in model.graph.node} & {"BatchNormalization", "InstanceNormalization"}
    # The bounds the policy was trained with, and the observation layout that adds up.
    spec = load_policy(checkpoint).spec
    assert manifest["action"]["low"] == pytest.approx(spec.action_low.tolist())
    assert manifest["action"]["high"] == pytest.approx(spec.action_high.tolist())
    layout = manifest["observation"]["layout"]
    assert sum(term["size"] for term in layout) == manifest["observation"]["dim"] == spec.obs_dim
    assert manifest["control_dt"] == pytest.approx(0.05)


def test_arm_manifest_has_the_joint_position_contract(exported: dict[str, Path]) -> None:
    manifest = _manifest(exported["arm-reach"])
    robot = manifest["robot"]
    assert robot["joint_names"] == manifest["action"]["joint_names"] == ["shoulder", "elbow", "wrist"]
    assert robot["target_rule"] == "q_target = q0 + scale * action"
    assert robot["default_joint_pos"] == [0.3, -0.8, 0.2]
    assert robot["action_scale"] == [0.5, 0.5, 0.5]
    assert manifest["action"]["bounds_mode"] == "joint_limits"
    # The box endpoints map exactly onto the soft limits through the target rule.
    q0, scale = np.array(robot["default_joint_pos"]), np.array(robot["action_scale"])
    limits = robot["soft_joint_pos_limits"]
    assert q0 + scale * np.array(manifest["action"]["low"]) == pytest.approx(limits["low"], abs=1e-6)
    assert q0 + scale * np.array(manifest["action"]["high"]) == pytest.approx(limits["high"], abs=1e-6)
    assert robot["pd_gains"] is None  # the built-in arm tracks its targets without a PD loop
    assert _manifest(exported["pendulum-swingup"])["robot"] is None


def _fresh_observations(run_dir: Path, count: int) -> torch.Tensor:
    """Observations the export did not see: the deterministic policy from other starts, plus extremes."""
    loaded = load_policy(run_dir / "checkpoints" / "final.pt")
    cfg = loaded.cfg
    env = make_env_from_config(cfg.env, 12345, CPU, num_envs=50)
    obs, _ = env.reset(12345)
    rows = []
    while sum(r.shape[0] for r in rows) < count:
        rows.append(obs)
        obs = env.step(loaded.act(obs)).obs
    return torch.cat((*rows, extreme_observations(loaded.spec.obs_dim, seed=7)))


@pytest.mark.parametrize("task", list(TASKS))
def test_exported_files_match_the_torch_policy_on_10000_rollout_observations(
    exported: dict[str, Path], task: str
) -> None:
    run_dir = exported[task]
    parity = _manifest(run_dir)["parity"]
    assert parity["rollout_observations"] >= 10_000 and parity["extreme_observations"] > 0
    for result in parity["results"].values():
        assert result["max_diff_over_width"] <= TOLERANCE
    # Independently of the exporter's own check: files loaded from disk, observations it never saw.
    loaded = load_policy(run_dir / "checkpoints" / "final.pt")
    obs = _fresh_observations(run_dir, 10_000)
    reference = loaded.act(obs)
    for name in ("policy.onnx", "policy.pt"):
        result = compare(name, reference, load_exported(run_dir / "export" / name).act(obs), *_bounds(loaded))
        print(f"{task} {name}: max abs diff {result.max_abs_diff:.3g}, {result.max_diff_over_width:.3g} of width")
        assert result.observations >= 10_000 and result.passed, result


def _bounds(loaded) -> tuple[torch.Tensor, torch.Tensor]:
    return loaded.spec.action_low, loaded.spec.action_high


@pytest.mark.parametrize("task", list(TASKS))
def test_eval_of_exported_files_gives_the_checkpoints_returns(exported: dict[str, Path], task: str) -> None:
    run_dir = exported[task]
    returns = {}
    for source in ("checkpoints/final.pt", "export/policy.onnx", "export/policy.pt"):
        out = run_dir / f"eval-{Path(source).name}.json"
        assert main(["eval", str(run_dir / source), "--episodes", "4", "--out", str(out)]) == 0
        report = json.loads(out.read_text())
        returns[source] = report["returns"]
        assert report["policy_format"] == FORMAT_OF[source]
    reference = returns.pop("checkpoints/final.pt")
    for source, values in returns.items():
        assert values == pytest.approx(reference, abs=1e-3), source


def test_play_runs_an_exported_file_with_the_checkpoints_return(
    exported: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = exported["arm-reach"]
    lines = {}
    for source in ("checkpoints/final.pt", "export/policy.onnx"):
        capsys.readouterr()
        video = run_dir / f"play-{Path(source).stem}.mp4"
        assert main(["play", str(run_dir / source), "--out", str(video)]) == 0
        assert video.is_file() and video.stat().st_size > 0
        lines[source] = re.search(r"return (-?[\d.]+), length (\d+)", capsys.readouterr().out)
    reference, exported_line = lines["checkpoints/final.pt"], lines["export/policy.onnx"]
    assert reference is not None and exported_line is not None
    assert float(exported_line.group(1)) == pytest.approx(float(reference.group(1)), abs=1e-3)
    assert exported_line.group(2) == reference.group(2)


class _ArmRobot:
    """The built-in arm behind the deploy example's Robot interface: it receives joint position targets."""

    def __init__(self, seed: int) -> None:
        self.env = make_env_from_config(ARM, seed, CPU, num_envs=1)
        limits = self.env.joint_limits()  # pyright: ignore[reportAttributeAccessIssue]
        self.q0, self.scale = limits.q0, limits.scale  # the simulator's own, not the manifest's
        self.joint_names = list(self.env.spec.joint_names)
        self.obs, _ = self.env.reset(seed)
        self.episode_return, self.steps = 0.0, 0

    def observe(self) -> np.ndarray:
        return self.obs[0].numpy()

    def command(self, q_target: np.ndarray) -> None:
        action = (torch.from_numpy(q_target).float() - self.q0) / self.scale
        step = self.env.step(action[None])
        self.obs, self.steps = step.obs, self.steps + 1
        self.episode_return += float(step.reward[0])


def test_deploy_example_uses_only_numpy_and_onnxruntime() -> None:
    tree = ast.parse(EXAMPLE.read_text())
    nodes = list(ast.walk(tree))
    imported = {alias.name.split(".")[0] for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in nodes if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - set(sys.stdlib_module_names) == {"numpy", "onnxruntime"}


def test_deploy_example_drives_the_joint_position_arm_like_the_checkpoint(exported: dict[str, Path]) -> None:
    run_dir = exported["arm-reach"]
    namespace: dict = {"__name__": "deploy_example"}
    exec(compile(EXAMPLE.read_text(), str(EXAMPLE), "exec"), namespace)  # the script as shipped in docs/
    robot = _ArmRobot(seed=5)
    namespace["run"](run_dir / "export", robot, steps=50, realtime=False)
    # The checkpoint's torch policy on the same arm from the same start.
    loaded = load_policy(run_dir / "checkpoints" / "final.pt")
    env = make_env_from_config(ARM, 5, CPU, num_envs=1)
    obs, _ = env.reset(5)
    expected = 0.0
    for _ in range(50):
        step = env.step(loaded.act(obs))
        obs, expected = step.obs, expected + float(step.reward[0])
    assert robot.steps == 50
    assert robot.episode_return == pytest.approx(expected, abs=1e-3)
    # And as a command: one step on a zero observation, printed per joint.
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(run_dir / "export")], capture_output=True, text=True, check=True
    )
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == ["shoulder", "elbow", "wrist"]


def test_export_is_silent_and_takes_one_format(exported: dict[str, Path], capfd: pytest.CaptureFixture[str]) -> None:
    out = exported["pendulum-swingup"] / "only-onnx"
    capfd.readouterr()
    args = ["--format", "onnx", "--out", str(out), "--parity-obs", "200"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["export", str(exported["pendulum-swingup"]), *args]) == 0
    captured = capfd.readouterr()
    assert captured.err == ""
    assert "parity onnx: max abs diff" in captured.out
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "policy.onnx"]


def test_a_huge_trained_box_is_not_warned_about_again(exported: dict[str, Path], tmp_path: Path) -> None:
    """The arm's declared +-100 box warns when a run starts; the export of such a run only reads it."""
    payload = load_checkpoint(exported["arm-reach"] / "checkpoints" / "final.pt")
    payload["config"]["env"]["action_bounds"] = "env"
    payload["env_spec"]["action_low"], payload["env_spec"]["action_high"] = [-100.0] * 3, [100.0] * 3
    save_checkpoint(tmp_path / "huge.pt", payload)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["export", str(tmp_path / "huge.pt"), "--format", "torchscript", "--parity-obs", "100"]) == 0
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert manifest["action"]["high"] == [100.0] * 3 and manifest["action"]["bounds_mode"] == "env"


class _Payload:
    """Would create a file if unpickling ran it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("kind", ["non_finite", "garbage", "foreign", "unsafe", "format", "missing"])
def test_bad_inputs_are_one_line_errors_and_write_nothing(
    exported: dict[str, Path], kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, marker, out = tmp_path / "model.pt", tmp_path / "executed", tmp_path / "out"
    checkpoint = exported["pendulum-swingup"] / "checkpoints" / "final.pt"
    args = []
    if kind == "non_finite":
        payload = load_checkpoint(checkpoint)
        payload["agent"]["actor"]["trunk.blocks.0.up.weight"][0, 0] = float("nan")
        save_checkpoint(source, payload)
    elif kind == "garbage":
        source.write_bytes(b"definitely not a checkpoint\n\x00\x01")
    elif kind == "foreign":
        torch.save({"weights": torch.zeros(3)}, source)
    elif kind == "unsafe":
        torch.save({"agent": _Payload(marker)}, source)
    elif kind == "format":
        source, args = checkpoint, ["--format", "onnx,tflite"]
    capsys.readouterr()
    assert main(["export", str(source), "--out", str(out), *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flashsac: error:"), lines
    says = {"non_finite": "NaN/inf", "format": "tflite", "foreign": "not a flashsac checkpoint"}
    assert says.get(kind, "model.pt") in lines[0]
    assert not out.exists(), "a failed export wrote files"
    assert not marker.exists(), "loading a checkpoint executed code from it"


@pytest.mark.parametrize("kind", ["foreign_onnx", "corrupt_onnx"])
def test_eval_refuses_foreign_or_corrupt_exported_files(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.onnx"
    if kind == "foreign_onnx":
        node = onnx.helper.make_node("Identity", ["obs"], ["action"])
        value = onnx.helper.make_tensor_value_info
        graph = onnx.helper.make_graph(
            [node],
            "g",
            [value("obs", onnx.TensorProto.FLOAT, [1, 3])],
            [value("action", onnx.TensorProto.FLOAT, [1, 3])],
        )
        onnx.save(onnx.helper.make_model(graph), str(path))
    else:
        path.write_bytes(b"\x08\x07garbage")
    assert main(["eval", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flashsac: error:") and str(path) in lines[0], lines

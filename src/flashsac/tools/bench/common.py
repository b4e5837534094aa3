"""Helpers shared by the benchmarks: device choice, machine description, GEMM roofline, JSON and PNG output.

Every benchmark writes one JSON file (``machine_info`` + its measurements) and a PNG beside it, and prints a
one-line summary per measured case, so results from different machines can be compared side by side.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from flashsac.checkpointing.atomic import write_text_atomically

__all__ = [
    "RESULTS_DIR",
    "GemmRate",
    "Roofline",
    "cpu_flags",
    "cpu_model",
    "machine_info",
    "measure_gemm_roofline",
    "png_path",
    "resolve_device",
    "synchronize",
    "write_json",
]

# Where results go by default, relative to the working directory (the repository root when run from there).
RESULTS_DIR = Path("benchmarks") / "results"

_DTYPE_NAMES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str) -> torch.device:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N`` into a device, failing clearly when CUDA is absent."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {name} asked for CUDA but none is available here; use --device cpu or auto.")
    return device


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so that host timers measure finished work (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _cpuinfo_field(key: str) -> str:
    """First value of ``key`` in /proc/cpuinfo, or ``""`` where there is no such file (macOS, Windows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return ""


def cpu_model() -> str:
    """Human-readable CPU model (from /proc/cpuinfo where available)."""
    return _cpuinfo_field("model name") or platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    """The CPU feature flags of /proc/cpuinfo (empty where unavailable)."""
    return set(_cpuinfo_field("flags").split())


def machine_info(device: torch.device) -> dict[str, Any]:
    """Everything needed to interpret a timing later: hardware, software, threads and load."""
    info: dict[str, Any] = {
        # Local time with its UTC offset: when the numbers were taken, as the README's Results section names it.
        "date": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        # Other jobs on shared cores skew CPU timings; the load at start tells a reader how much to trust them.
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "device": str(device),
        "device_name": cpu_model(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info |= {
            "device_name": props.name,
            "device_memory_gib": round(props.total_memory / 2**30, 1),
            "cuda_version": torch.version.cuda,
            "cudnn_version": torch.backends.cudnn.version(),
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        }
    return info


@dataclass
class GemmRate:
    """Throughput of ``n x n @ n x n`` matmuls: one rate per trial of ``reps`` back-to-back calls."""

    size: int
    reps: int
    trial_gflops: list[float]

    @property
    def best_gflops(self) -> float:
        """Best sustained rate over the trials (the others were disturbed by something else)."""
        return max(self.trial_gflops)


@dataclass
class Roofline:
    """The machine's best measured GEMM rate for one dtype, with the per-size measurements behind it."""

    dtype: str
    gflops: float
    rates: list[GemmRate] = field(default_factory=list)
    native: bool = True
    """Whether the hardware has its own GEMM for this dtype (a bf16 GEMM on a CPU without bf16 units is emulated
    through fp32 and is no yardstick for anything but itself)."""

    def to_json(self) -> dict[str, Any]:
        """Plain-data form for the result file."""
        return {
            "dtype": self.dtype,
            "gflops": self.gflops,
            "native": self.native,
            "per_size": [asdict(rate) for rate in self.rates],
        }


def _gemm_rate(size: int, dtype: torch.dtype, device: torch.device, reps: int, trials: int) -> GemmRate:
    """Time ``trials`` x ``reps`` square matmuls of one size; each trial gives one sustained rate."""
    generator = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, device=device, dtype=dtype, generator=generator)
    b = torch.randn(size, size, device=device, dtype=dtype, generator=generator)
    out = torch.empty(size, size, device=device, dtype=dtype)
    torch.matmul(a, b, out=out)  # first call pays for library initialisation and kernel selection
    synchronize(device)
    flops = 2.0 * size**3 * reps
    rates = []
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(reps):
            torch.matmul(a, b, out=out)
        synchronize(device)
        rates.append(flops / (time.perf_counter() - start) / 1e9)
    return GemmRate(size=size, reps=reps, trial_gflops=[round(rate, 2) for rate in rates])


def measure_gemm_roofline(
    device: torch.device, dtype: str, sizes: list[int], reps: int = 3, trials: int = 3, native: bool = True
) -> Roofline:
    """Measure the best sustained ``torch.matmul`` rate over square sizes, with the current thread count.

    Square GEMMs large enough to saturate the cores are what the hardware can do at best; a training update
    made of skinnier GEMMs plus element-wise work is expected to land below this line.

    Args:
        device: Where to run.
        dtype: ``fp32``, ``bf16`` or ``fp16``.
        sizes: Matrix sizes n to try (``n x n @ n x n``).
        reps: Back-to-back matmuls per timed trial.
        trials: Timed trials per size; the best one counts.
        native: Recorded with the result: whether the hardware has its own GEMM for ``dtype``.
    """
    rates = [_gemm_rate(size, _DTYPE_NAMES[dtype], device, reps, trials) for size in sizes]
    return Roofline(dtype=dtype, gflops=max(rate.best_gflops for rate in rates), rates=rates, native=native)


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the headless Agg backend, imported on first use (figures are optional output)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path, dpi: int) -> None:
    """Lay ``fig`` out, write it to ``path`` (creating its folder) and free it."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)


def png_path(json_path: Path) -> Path:
    """The figure that goes with a result file: the same name with ``.png``."""
    return json_path.with_suffix(".png")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` (creating its folder) via a temporary file, so a crash never truncates it."""
    write_text_atomically(path, json.dumps(payload, indent=2) + "\n")

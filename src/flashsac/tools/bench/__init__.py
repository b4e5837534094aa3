"""Benchmarks run by ``flashsac bench <name>``: each writes JSON and a PNG and prints a one-line summary.

``BENCHMARKS`` maps each name to the module that runs it; a module exposes ``DESCRIPTION: str`` and
``main(argv: list[str]) -> int``. Modules are imported only when their benchmark runs, so a missing optional
package (e.g. Stable-Baselines3) affects that benchmark alone.
"""

from __future__ import annotations

__all__ = ["BENCHMARKS"]

BENCHMARKS: dict[str, str] = {
    "loop": "flashsac.tools.bench.loop_overhead",
    "update": "flashsac.tools.bench.update_throughput",
    "sb3": "flashsac.tools.bench.sb3_compare",
    "bounds": "flashsac.tools.bench.bounds_ablation",
    "gpu-smoke": "flashsac.tools.bench.gpu_smoke",
    "scale": "flashsac.tools.bench.scale",
    "ablate": "flashsac.tools.bench.preset_ablation",
    "critic-probe": "flashsac.tools.bench.critic_probe",
}

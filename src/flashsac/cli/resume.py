"""``flashsac train resume=<run_dir>``: continue a run from its newest readable checkpoint."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from flashsac.checkpointing.checkpoint_file import CheckpointError, load_checkpoint
from flashsac.checkpointing.run_files import list_checkpoints
from flashsac.config.schema import RunConfig
from flashsac.config.serialize import config_from_dict
from flashsac.config.validate import ConfigError

__all__ = ["RESUMABLE_KEYS", "prepare_resume"]

# What may change when continuing a run; everything else would silently make it a different run.
RESUMABLE_KEYS = (
    "train.num_env_steps",
    "train.eval_every_env_steps",
    "train.log_every_env_steps",
    "train.checkpoint_every_env_steps",
    "train.keep_checkpoints",
    "train.video_every_env_steps",
    "num_threads",
    "logging.progress",
)


def newest_checkpoint(run_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Load the newest checkpoint of ``run_dir`` that reads cleanly (older ones are tried if one is damaged).

    Raises:
        CheckpointError: if the directory has no readable checkpoint.
    """
    found = list_checkpoints(run_dir)
    if not found:
        raise CheckpointError(f"resume={run_dir}: no checkpoints/step_*.pt in that directory.")
    for _, path in reversed(found):
        try:
            return path, load_checkpoint(path)
        except CheckpointError as err:
            warnings.warn(f"skipping unreadable checkpoint {path}: {err}", stacklevel=2)
    raise CheckpointError(f"resume={run_dir}: none of its {len(found)} checkpoints could be read.")


def prepare_resume(resume: str, overrides: list[str]) -> tuple[RunConfig, Path, dict[str, Any]]:
    """The stored configuration with the allowed overrides applied, the run dir and the checkpoint payload.

    Raises:
        ConfigError: when an override would change the run itself (only :data:`RESUMABLE_KEYS` may change).
    """
    run_dir = Path(resume)
    if not run_dir.is_dir():
        raise ConfigError(f"resume={resume!r} is not a directory; pass the run directory of the run to continue.")
    path, payload = newest_checkpoint(run_dir)
    changes = []
    for override in overrides:
        key = override.split("=", 1)[0]
        if key == "resume":
            continue
        if key not in RESUMABLE_KEYS:
            raise ConfigError(
                f"{key} cannot change when resuming (it would make a different run); keys that may change: "
                f"{', '.join(RESUMABLE_KEYS)}."
            )
        changes.append(override)
    stored = config_from_dict(payload["config"])
    merged = OmegaConf.merge(OmegaConf.structured(stored), OmegaConf.from_dotlist(changes))
    cfg = OmegaConf.to_object(merged)
    assert isinstance(cfg, RunConfig)
    cfg.resume, cfg.logging.run_dir = str(run_dir), str(run_dir)
    print(f"flashsac: resuming {run_dir} from {path.name} ({payload['counters']['env_steps']:,} env steps)", flush=True)
    return cfg, run_dir, payload

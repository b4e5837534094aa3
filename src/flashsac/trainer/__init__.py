"""Training: the off-policy loop (:mod:`.loop`) and the parts it runs on, built from a configuration (:mod:`.parts`)."""

from flashsac.trainer.loop import Trainer, TrainResult
from flashsac.trainer.parts import RunParts, build_run

__all__ = ["RunParts", "TrainResult", "Trainer", "build_run"]

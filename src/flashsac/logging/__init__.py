"""Run records: scalar logs (TensorBoard, CSV, JSONL, W&B), on-device metric accumulation and the progress bar."""

from flashsac.logging.backends import MissingLoggingBackendError
from flashsac.logging.metrics import MetricAccumulator
from flashsac.logging.progress import TrainingProgress
from flashsac.logging.scalars import ScalarLogger

__all__ = ["MetricAccumulator", "MissingLoggingBackendError", "ScalarLogger", "TrainingProgress"]

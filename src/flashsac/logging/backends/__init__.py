"""Scalar logging backends, one per file; :class:`~flashsac.logging.scalars.ScalarLogger` fans out to them.

``wandb_backend`` imports ``wandb`` only when a :class:`WandbBackend` is created, so importing this package
never needs it.
"""

from flashsac.logging.backends.base import ScalarBackend
from flashsac.logging.backends.csv_file import CsvBackend
from flashsac.logging.backends.jsonl import JsonlBackend
from flashsac.logging.backends.tensorboard import TensorBoardBackend
from flashsac.logging.backends.wandb_backend import MissingLoggingBackendError, WandbBackend, import_wandb

__all__ = [
    "CsvBackend",
    "JsonlBackend",
    "MissingLoggingBackendError",
    "ScalarBackend",
    "TensorBoardBackend",
    "WandbBackend",
    "import_wandb",
]

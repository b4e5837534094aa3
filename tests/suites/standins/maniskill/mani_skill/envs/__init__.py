"""Importing this package registers the stand-in tasks with gymnasium (real: envs/__init__.py imports tasks)."""

from .tasks import *  # noqa: F403

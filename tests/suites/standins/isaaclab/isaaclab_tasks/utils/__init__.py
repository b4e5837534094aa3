"""Utilities of ``isaaclab_tasks`` (utils/__init__.py)."""

"""Utilities of the stand-in (real: mani_skill/utils)."""

"""Vector env wrappers of the stand-in (real: mani_skill/vector/wrappers)."""

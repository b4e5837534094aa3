"""``isaaclab_rl`` (source/isaaclab_rl): the RL-library wrappers; the stand-in has the rsl_rl one only."""

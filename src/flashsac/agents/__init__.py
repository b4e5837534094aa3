"""Agents: the FlashSAC agent and the uniform-random warm-up policy."""

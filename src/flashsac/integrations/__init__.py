"""Integrations with other training stacks: flashsac's loop driven from their scripts (rsl_rl: IsaacLab, mjlab)."""

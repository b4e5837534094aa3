"""Direct-workflow tasks (isaaclab_tasks/direct)."""

"""IsaacLab's rsl_rl ``train``/``play`` scripts for FlashSAC: the same flags, log layout and env wrapper.

``python -m flashsac.integrations.rsl_rl.isaaclab.train --task <id> --headless`` and ``...isaaclab.play``
(installed as ``flashsac-isaaclab-train`` and ``flashsac-isaaclab-play``); run inside IsaacLab's Python.
"""

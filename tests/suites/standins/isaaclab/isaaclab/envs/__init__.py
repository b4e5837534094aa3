"""``isaaclab.envs``: importable only inside the running app (real: its modules import Omniverse packages)."""

from isaaclab.app import require_app

require_app()

from isaaclab.envs.direct_rl_env import DirectRLEnv, DirectRLEnvCfg  # noqa: E402
from isaaclab.envs.manager_based_rl_env import ManagerBasedRLEnv, ManagerBasedRLEnvCfg  # noqa: E402

__all__ = ["DirectRLEnv", "DirectRLEnvCfg", "ManagerBasedRLEnv", "ManagerBasedRLEnvCfg"]

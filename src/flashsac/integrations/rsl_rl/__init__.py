"""FlashSAC behind rsl_rl's runner API, so IsaacLab's and mjlab's own rsl_rl scripts train it.

* :mod:`~flashsac.integrations.rsl_rl.vec_env` -- any rsl_rl ``VecEnv`` lifted into the env contract;
* :mod:`~flashsac.integrations.rsl_rl.runner_cfg` -- the runner config, shaped like rsl_rl's;
* :mod:`~flashsac.integrations.rsl_rl.train_cfg` -- rsl_rl's ``train_cfg`` dict read into a typed ``RunConfig``.

See docs/switching-from-ppo.md.
"""

from flashsac.integrations.rsl_rl.runner_cfg import FlashSACAlgorithmCfg, FlashSACRunnerCfg, FlashSACRunnerKeys
from flashsac.integrations.rsl_rl.train_cfg import RunnerSettings, parse_train_cfg
from flashsac.integrations.rsl_rl.vec_env import lift_vec_env

__all__ = [
    "FlashSACAlgorithmCfg",
    "FlashSACRunnerCfg",
    "FlashSACRunnerKeys",
    "RunnerSettings",
    "lift_vec_env",
    "parse_train_cfg",
]

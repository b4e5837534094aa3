"""``isaaclab_tasks``: importing it registers the tasks (real: every task package's ``__init__.py`` calls
``gym.register(id=..., entry_point=..., disable_env_checker=True, kwargs={"env_cfg_entry_point": ...})``).

The stand-in registers the FlashSAC paper's 12 ids of IsaacLab 2.3: ten manager-based (``isaaclab.envs:
ManagerBasedRLEnv``) and the two in-hand direct tasks (``isaaclab_tasks.direct.inhand:InHandManipulationEnv``;
real: ``isaaclab_tasks.direct.shadow_hand:ShadowHandEnv`` and ``...allegro_hand:AllegroHandEnv``, both
subclasses of ``InHandManipulationEnv``). Their configs (``isaaclab_tasks.cfgs``) are invented robots with the
real action terms and soft-limit factors.
"""

import gymnasium as gym
import isaaclab.envs  # noqa: F401  # real: task modules import isaaclab.envs, which needs the running app

_MANAGER_BASED = {
    "Isaac-Velocity-Flat-Anymal-C-v0": "AnymalCFlatEnvCfg",
    "Isaac-Velocity-Rough-Anymal-C-v0": "AnymalCRoughEnvCfg",
    "Isaac-Velocity-Flat-Anymal-D-v0": "AnymalDFlatEnvCfg",
    "Isaac-Velocity-Rough-Anymal-D-v0": "AnymalDRoughEnvCfg",
    "Isaac-Velocity-Flat-G1-v0": "G1FlatEnvCfg",
    "Isaac-Velocity-Rough-G1-v0": "G1RoughEnvCfg",
    "Isaac-Velocity-Flat-H1-v0": "H1FlatEnvCfg",
    "Isaac-Velocity-Rough-H1-v0": "H1RoughEnvCfg",
    "Isaac-Lift-Cube-Franka-v0": "FrankaCubeLiftEnvCfg",
    "Isaac-Open-Drawer-Franka-v0": "FrankaCabinetEnvCfg",
}
_DIRECT = {
    "Isaac-Repose-Cube-Shadow-Direct-v0": "ShadowHandEnvCfg",
    "Isaac-Repose-Cube-Allegro-Direct-v0": "AllegroHandEnvCfg",
}

for _id, _cfg in _MANAGER_BASED.items():
    gym.register(
        id=_id,
        entry_point="isaaclab.envs:ManagerBasedRLEnv",
        disable_env_checker=True,
        kwargs={"env_cfg_entry_point": f"isaaclab_tasks.cfgs:{_cfg}"},
    )
for _id, _cfg in _DIRECT.items():
    gym.register(
        id=_id,
        entry_point="isaaclab_tasks.direct.inhand:InHandManipulationEnv",
        disable_env_checker=True,
        kwargs={"env_cfg_entry_point": f"isaaclab_tasks.direct.inhand:{_cfg}"},
    )

"""Every simulator family module, typed as an :class:`~flashsac.envs.registry.EnvFamily` so pyright checks it.

The registry imports families lazily by name (:data:`~flashsac.envs.registry.FAMILIES`), which pyright cannot
follow; here each module passes through :func:`_family`, so a family that lacks a member of the contract, or gives
one a wrong signature, is a type error on its line. Nothing imports this module at run time (the family modules
import their simulators only when called, so importing it stays cheap); tests/unit/envs/test_registry.py checks
that it lists exactly the registry's families.
"""

from __future__ import annotations

import flashsac.envs.adapters.dmc as dmc
import flashsac.envs.adapters.genesis as genesis
import flashsac.envs.adapters.humanoid_bench as humanoid_bench
import flashsac.envs.adapters.isaaclab as isaaclab
import flashsac.envs.adapters.maniskill as maniskill
import flashsac.envs.adapters.metaworld as metaworld
import flashsac.envs.adapters.mjlab as mjlab
import flashsac.envs.adapters.mujoco as mujoco
import flashsac.envs.adapters.myosuite as myosuite
import flashsac.envs.adapters.playground as playground
import flashsac.envs.torch_tasks as torch_tasks
from flashsac.envs.registry import EnvFamily

__all__ = ["FAMILY_MODULES"]


def _family(module: EnvFamily) -> EnvFamily:
    return module


FAMILY_MODULES: dict[str, EnvFamily] = {
    "torch": _family(torch_tasks),
    "mujoco": _family(mujoco),
    "dmc": _family(dmc),
    "myosuite": _family(myosuite),
    "metaworld": _family(metaworld),
    "humanoid_bench": _family(humanoid_bench),
    "isaaclab": _family(isaaclab),
    "mjlab": _family(mjlab),
    "playground": _family(playground),
    "maniskill": _family(maniskill),
    "genesis": _family(genesis),
}
"""The family modules by ``env.name``, as the registry names them."""

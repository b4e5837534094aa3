"""``InteractiveScene`` (scene/interactive_scene.py): entities by name via ``scene["robot"]``, ``num_envs``."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from isaaclab.assets import Articulation, ArticulationCfg


@dataclass
class InteractiveSceneCfg:
    """Real fields ``num_envs`` and ``env_spacing``; the robot is the stand-in's one articulation."""

    num_envs: int = 1
    env_spacing: float = 2.5
    robot: ArticulationCfg | None = field(default=None)


class InteractiveScene:
    """Holds the articulation ``"robot"``."""

    def __init__(self, cfg: InteractiveSceneCfg, device: str) -> None:
        assert cfg.robot is not None
        self.cfg, self.num_envs, self.device = cfg, cfg.num_envs, device
        self.articulations = {"robot": Articulation(cfg.robot, cfg.num_envs, device)}

    def __getitem__(self, key: str) -> Articulation:
        return self.articulations[key]

    def keys(self) -> list[str]:
        """Names of the scene's entities."""
        return list(self.articulations)

    def reset(self, env_ids: torch.Tensor | None = None) -> None:
        """Reset the entities' buffers."""
        for asset in self.articulations.values():
            asset.reset(env_ids)

    def write_data_to_sim(self) -> None:
        """Nothing to push (real: targets into PhysX)."""

    def simulate(self, dt: float) -> None:
        """One invented physics step of every entity (real: ``sim.step()`` then ``scene.update(dt)``)."""
        for asset in self.articulations.values():
            asset.simulate(dt)

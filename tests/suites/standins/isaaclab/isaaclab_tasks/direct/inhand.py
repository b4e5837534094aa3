"""The in-hand cube tasks as direct envs (direct/inhand_manipulation/inhand_manipulation_env.py and the Shadow and
Allegro configs in direct/{shadow_hand,allegro_hand}/*_env_cfg.py).

Real facts: actions in ``[-1, 1]`` are mapped linearly onto the actuated joints' soft limits (``scale``), the
cube falling ``fall_dist`` from the hand terminates, ``_get_dones`` times out at
``episode_length_buf >= max_episode_length - 1``, ``_get_observations`` returns ``{"policy": obs}`` or, with
``asymmetric_obs``, ``{"policy": obs, "critic": states}``; Shadow: 24 joints, 20 actions, ``sim.dt`` 1/120,
decimation 2, 10 s; Allegro: 16 joints and actions, decimation 4, 10 s; ``fall_dist`` 0.24. Invented: the
observation layout and sizes (real: 157 Shadow, 124 Allegro), the cube (a point pushed by the mean action) and
every limit and default pose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from isaaclab.envs.direct_rl_env import DirectRLEnv, DirectRLEnvCfg
from isaaclab.envs.manager_based_rl_env import SimulationCfg
from isaaclab.scene import InteractiveSceneCfg

from isaaclab_tasks.cfgs import invented_robot


@dataclass
class InHandManipulationEnvCfg(DirectRLEnvCfg):
    """Shared in-hand config; ``observation_space`` is ``2 * joints + 7 + actions``."""

    fall_dist: float = 0.24
    asymmetric_obs: bool = False
    actuated: int = 1


def _hand(joints: int, actions: int, decimation: int) -> type[InHandManipulationEnvCfg]:
    robot = invented_robot([f"hand_joint_{i}" for i in range(joints)], 1.0)

    @dataclass
    class Cfg(InHandManipulationEnvCfg):
        scene: InteractiveSceneCfg = field(default_factory=lambda: InteractiveSceneCfg(num_envs=8192, robot=robot))
        sim: SimulationCfg = field(default_factory=lambda: SimulationCfg(dt=1 / 120))
        episode_length_s: float = 10.0
        action_space: int = actions
        observation_space: int = 2 * joints + 7 + actions

        def __post_init__(self) -> None:
            self.decimation, self.actuated = decimation, actions

    return Cfg


ShadowHandEnvCfg = _hand(24, 20, 2)
AllegroHandEnvCfg = _hand(16, 16, 4)


class InHandManipulationEnv(DirectRLEnv):
    """Reorient a cube to a goal; the stand-in's cube is a point pushed by the mean action."""

    cfg: InHandManipulationEnvCfg

    def __init__(self, cfg: InHandManipulationEnvCfg, render_mode: str | None = None, **kwargs: Any) -> None:
        super().__init__(cfg, render_mode, **kwargs)
        self.hand = self.scene["robot"]
        soft = self.hand.data.soft_joint_pos_limits[0]
        self.hand_dof_lower_limits, self.hand_dof_upper_limits = soft[:, 0], soft[:, 1]
        self.actions = torch.zeros(self.num_envs, cfg.action_space, device=self.device)
        self.object_pos = torch.zeros(self.num_envs, 3, device=self.device)
        self.goal_rot = torch.zeros(self.num_envs, 4, device=self.device)
        self.successes = torch.zeros(self.num_envs, device=self.device)

    def _pre_physics_step(self, actions: torch.Tensor) -> None:
        self.actions = actions.clone()

    def _apply_action(self) -> None:
        n = self.cfg.actuated
        lower, upper = self.hand_dof_lower_limits[:n], self.hand_dof_upper_limits[:n]
        targets = lower + (self.actions.clamp(-1, 1) + 1) / 2 * (upper - lower)
        self.hand.set_joint_position_target(targets, joint_ids=list(range(n)))
        self.object_pos += (
            0.02
            / self.cfg.decimation
            * self.actions.mean(-1, keepdim=True)
            * torch.tensor([1.0, -1.0, 0.5], device=self.device)
        )

    def _get_observations(self) -> dict[str, torch.Tensor]:
        data = self.hand.data
        unscaled = (2 * data.joint_pos - self.hand_dof_upper_limits - self.hand_dof_lower_limits) / (
            self.hand_dof_upper_limits - self.hand_dof_lower_limits
        )
        obs = torch.cat((unscaled, 0.2 * data.joint_vel, self.object_pos, self.goal_rot, self.actions), dim=-1)
        if self.cfg.asymmetric_obs:
            return {"policy": obs, "critic": torch.cat((obs, self.object_pos.square()), dim=-1)}
        return {"policy": obs}

    def _get_rewards(self) -> torch.Tensor:
        return -self.object_pos.norm(dim=-1) - 0.0002 * self.actions.square().sum(-1)

    def _get_dones(self) -> tuple[torch.Tensor, torch.Tensor]:
        out_of_reach = self.object_pos.norm(dim=-1) >= self.cfg.fall_dist
        time_out = self.episode_length_buf >= self.max_episode_length - 1
        return out_of_reach, time_out

    def _reset_idx(self, env_ids: torch.Tensor) -> None:
        super()._reset_idx(env_ids)
        data = self.hand.data
        pos = data.default_joint_pos[env_ids] + 0.05 * (torch.rand_like(data.default_joint_pos[env_ids]) - 0.5)
        self.hand.write_joint_state_to_sim(pos, torch.zeros_like(pos), env_ids)
        self.object_pos[env_ids] = 0.02 * (torch.rand(len(env_ids), 3, device=self.device) - 0.5)
        goal = torch.randn(len(env_ids), 4, device=self.device)
        self.goal_rot[env_ids] = goal / goal.norm(dim=-1, keepdim=True)
        self.actions[env_ids] = 0.0
        self.successes[env_ids] = 0

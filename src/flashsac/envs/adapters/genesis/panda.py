"""``panda-grasp``: a Franka Panda brings its open gripper onto a cube's grasp pose, on one batched Genesis scene.

The task of Genesis' manipulation example (``examples/manipulation/grasp_env.py``) as the FlashSAC reference runs
it: a 4x4x6 cm box, fixed and without collision, is placed at a random spot in front of the robot (x in
[0.2, 0.6), y in [-0.25, 0.25), z 0.025 m) and turned upside down with a random yaw in [-pi/4, pi/4); the gripper
stays open. 100 Hz control (two substeps), 3 s episodes (300 steps), no terminations.

Action (6-d): end-effector position and rotation-vector increments, ``0.05 * a`` (m, rad), turned into joint
targets by damped-least-squares IK on the hand's Jacobian and tracked by Genesis' PD (the example's gains and
force ranges). The example declares no action box (its PPO acts unclipped), so the declared box is infinite;
the paper trains in ``[-1, 1]`` (``env.action_bounds=scalar env.action_bound=1.0``). The action is not a
joint-position offset, so :meth:`PandaGraspEnv.joint_limits` returns ``None``.

Observation (14-d): finger centre minus cube position (3), finger orientation (4), cube position (3) and
orientation (4). Reward, times the control period 0.01 s: the keypoint term ``exp(-sum of 7 keypoint
distances)`` between the fingertip frame and the cube (scale 1), and a penalty on the fingers' distance from
fully open (scale -1, only beyond 1 mm). The reference adds that penalty with a double negative (a negative
term times scale -1, i.e. a bonus); here it is the penalty its comment describes.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from flashsac.envs.adapters.genesis.geometry import quat_mul
from flashsac.envs.adapters.genesis.panda_terms import dls_delta_q, keypoint_reward
from flashsac.envs.adapters.genesis.runtime import genesis
from flashsac.envs.adapters.genesis.vec_env import RENDER_SIZE, GenesisVecEnv
from flashsac.envs.protocol import EnvSpec

__all__ = ["PandaGraspEnv"]

CONTROL_DT = 0.01
EPISODE_STEPS = 300
ACTION_SCALE = 0.05
PAPER_ACTION_BOUND = 1.0
"""The reference's ``action_range`` for Panda: the paper's policies act in ``[-1, 1]``."""
DEFAULT_QPOS = (0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785, 0.04, 0.04)
KP = (4500.0, 4500.0, 3500.0, 3500.0, 2000.0, 2000.0, 2000.0, 100.0, 100.0)
KV = (450.0, 450.0, 350.0, 350.0, 200.0, 200.0, 200.0, 10.0, 10.0)
FORCE_LIMIT = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0, 100.0, 100.0)
FINGER_OPEN = 0.04
BOX_SIZE = (0.04, 0.04, 0.06)
REWARD_SCALES = {"keypoints": 1.0, "table_contact": -1.0}


def _build_scene(num_envs: int, render: bool) -> tuple[Any, Any, Any, Any]:
    """Plane, Panda and the box in a scene of ``num_envs`` envs; a camera on env 0 when ``render``."""
    gs = genesis()
    scene = gs.Scene(
        sim_options=gs.options.SimOptions(dt=CONTROL_DT, substeps=2),
        rigid_options=gs.options.RigidOptions(
            constraint_solver=gs.constraint_solver.Newton,
            enable_collision=True,
            enable_joint_limit=True,
            # The default of the Genesis releases the example was written for (1.4 turned it on).
            enable_self_collision=False,
        ),
        vis_options=gs.options.VisOptions(rendered_envs_idx=[0]),
        show_viewer=False,
    )
    scene.add_entity(gs.morphs.URDF(file="urdf/plane/plane.urdf", fixed=True))
    robot = scene.add_entity(gs.morphs.MJCF(file="xml/franka_emika_panda/panda.xml", pos=(0.0, 0.0, 0.0)))
    box = scene.add_entity(
        gs.morphs.Box(size=BOX_SIZE, fixed=True, collision=False),
        surface=gs.surfaces.Rough(diffuse_texture=gs.textures.ColorTexture(color=(1.0, 0.0, 0.0))),
    )
    camera = None
    if render:
        camera = scene.add_camera(
            res=(RENDER_SIZE, RENDER_SIZE), pos=(1.5, 0.0, 0.8), lookat=(0.3, 0.0, 0.2), fov=50, GUI=False, env_idx=0
        )
    scene.build(n_envs=num_envs)
    return scene, robot, box, camera


class PandaGraspEnv(GenesisVecEnv):
    """``panda-grasp`` behind the env contract.

    Args:
        num_envs: Envs in the scene.
        seed: Seed of the first reset.
        device: Genesis' torch device (from :func:`.runtime.init_genesis`).
        max_episode_steps: Time limit, or ``None`` for 300 steps (3 s).
        render: Add a camera so that ``render(0)`` works.
    """

    def __init__(
        self, num_envs: int, seed: int, device: torch.device, max_episode_steps: int | None, render: bool
    ) -> None:
        scene, robot, box, camera = _build_scene(num_envs, render)
        self.robot, self.box = robot, box
        infinite = torch.full((6,), math.inf, device=device)
        spec = EnvSpec(
            task="panda-grasp",
            num_envs=num_envs,
            obs_dim=14,
            action_dim=6,
            action_low=-infinite,
            action_high=infinite,
            max_episode_steps=max_episode_steps or EPISODE_STEPS,
            device=device,
            control_dt=CONTROL_DT,
            can_render=camera is not None,
        )
        super().__init__(scene, spec, seed, camera)
        robot.set_dofs_kp(torch.tensor(KP, device=device))
        robot.set_dofs_kv(torch.tensor(KV, device=device))
        limit = torch.tensor(FORCE_LIMIT, device=device)
        robot.set_dofs_force_range(-limit, limit)
        self.hand = robot.get_link("hand")
        self.fingers = [robot.get_link("left_finger"), robot.get_link("right_finger")]
        fingers = [robot.get_joint(name) for name in ("finger_joint1", "finger_joint2")]
        self.finger_dofs = torch.tensor([j.dofs_idx_local[0] for j in fingers], device=device)
        self.finger_qs = torch.tensor([j.qs_idx_local[0] for j in fingers], device=device)
        self.default_qpos = torch.tensor(DEFAULT_QPOS, device=device)
        # Upside down (180 degrees about x), then yawed at each reset.
        self.down = torch.tensor([0.0, 1.0, 0.0, 0.0], device=device)
        self.reset(seed)

    def _reset_envs(self, envs_idx: torch.Tensor) -> None:
        count = envs_idx.numel()
        self.robot.set_qpos(self.default_qpos.expand(count, -1), envs_idx=envs_idx, zero_velocity=True)
        x = self.uniform(0.2, 0.6, (count,))
        y = self.uniform(-0.25, 0.25, (count,))
        pos = torch.stack((x, y, torch.full_like(x, 0.025)), dim=1)
        yaw = self.uniform(-math.pi / 4, math.pi / 4, (count,))
        zero = torch.zeros_like(yaw)
        q_yaw = torch.stack(((yaw / 2).cos(), zero, zero, (yaw / 2).sin()), dim=1)
        quat = quat_mul(self.down.expand(count, 4), q_yaw)
        self.box.set_pos(pos, envs_idx=envs_idx)
        self.box.set_quat(quat, envs_idx=envs_idx)

    def _apply(self, action: torch.Tensor) -> None:
        delta_q = dls_delta_q(self.robot.get_jacobian(link=self.hand), action * ACTION_SCALE)
        target = self.robot.get_qpos() + delta_q
        target[:, self.finger_dofs] = FINGER_OPEN
        self.robot.control_dofs_position(target)
        self.scene.step(update_visualizer=False)

    def _refresh(self) -> None:
        left, right = self.fingers
        self.finger_pos = 0.5 * (left.get_pos() + right.get_pos())
        self.finger_quat = left.get_quat()
        self.box_pos, self.box_quat = self.box.get_pos(), self.box.get_quat()
        self.finger_q = self.robot.get_qpos()[:, self.finger_qs]

    def _evaluate(self) -> tuple[torch.Tensor, torch.Tensor]:
        keypoints = keypoint_reward(self.finger_pos, self.finger_quat, self.box_pos, self.box_quat)
        opening_error = (self.finger_q - FINGER_OPEN).norm(dim=1)
        contact = opening_error * (opening_error > 0.001)
        reward = CONTROL_DT * (REWARD_SCALES["keypoints"] * keypoints + REWARD_SCALES["table_contact"] * contact)
        return reward, torch.zeros_like(reward, dtype=torch.bool)

    def _observe(self) -> tuple[torch.Tensor, None]:
        obs = torch.cat((self.finger_pos - self.box_pos, self.finger_quat, self.box_pos, self.box_quat), dim=1)
        return obs, None

    def joint_limits(self) -> None:
        """``None``: the action is an end-effector increment, not a joint-position offset ``q0 + s * a``."""
        return None

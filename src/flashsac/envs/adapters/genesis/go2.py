"""Unitree Go2 velocity tracking on one batched Genesis scene: ``go2-walk_easy`` and ``go2-walk``.

Observations (both tasks), 45-d, in the Genesis example's order and scales:
``[ang_vel * 0.25 (3), projected_gravity (3), commands * (2, 2, 0.25) (3), (q - q0) * 1 (12), dq * 0.05 (12),
action (12)]``. ``go2-walk`` adds uniform noise to the first, second, fourth and fifth blocks and clips at +-100;
its privileged critic observation (60-d) is that noisy actor observation followed by the clean base linear
velocity * 2 (3) and the previous action (12), as in the reference; ``go2-walk_easy`` offers the same
(noise-free) one with ``privileged_critic=True`` (:func:`flashsac.envs.adapters.genesis.make`).

Actions are joint-position offsets, ``q_target = q0 + 0.25 * a``, applied one control step late (the robot's
latency, as both sources model it). The declared box is Genesis' ``clip_actions`` +-100; the paper trains in
``[-1, 1] * 3.0`` (``env.action_bounds=scalar env.action_bound=3.0``). :meth:`Go2Env.joint_limits` gives the
URDF's joint limits as loaded by Genesis, for ``env.action_bounds=joint_limits``.
"""

from __future__ import annotations

from typing import Any

import torch

from flashsac.envs.action_bounds import JointLimits
from flashsac.envs.adapters.genesis import go2_config as C
from flashsac.envs.adapters.genesis.geometry import (
    euler_to_quat,
    quat_mul,
    quat_rotate_inverse,
    quat_to_euler,
    rotate_z,
)
from flashsac.envs.adapters.genesis.go2_rewards import Go2Frame, feet_air_time, total_reward
from flashsac.envs.adapters.genesis.runtime import genesis
from flashsac.envs.adapters.genesis.vec_env import RENDER_SIZE, GenesisVecEnv
from flashsac.envs.deploy_info import ObsTerm, PDGains
from flashsac.envs.protocol import EnvSpec

__all__ = ["Go2Env"]

_URDF = "urdf/go2/urdf/go2.urdf"
_FEET = ("FL_foot", "FR_foot", "RL_foot", "RR_foot")


def _build_scene(cfg: C.Go2Config, num_envs: int, render: bool) -> tuple[Any, Any, Any]:
    """Plane + Go2 in a scene of ``num_envs`` envs; a camera on env 0 when ``render``."""
    gs = genesis()
    scene = gs.Scene(
        sim_options=gs.options.SimOptions(dt=cfg.sim_dt, substeps=cfg.substeps),
        rigid_options=gs.options.RigidOptions(
            constraint_solver=gs.constraint_solver.Newton,
            enable_collision=True,
            enable_joint_limit=True,
            enable_self_collision=cfg.self_collision,
            # Per-env base mass and centre of mass need per-env link data.
            batch_links_info=cfg.domain_randomization,
        ),
        vis_options=gs.options.VisOptions(rendered_envs_idx=[0]),
        show_viewer=False,
    )
    scene.add_entity(gs.morphs.URDF(file="urdf/plane/plane.urdf", fixed=True))
    robot = scene.add_entity(
        gs.morphs.URDF(
            file=_URDF,
            pos=C.BASE_INIT_POS,
            quat=C.BASE_INIT_QUAT,
            merge_fixed_links=True,
            links_to_keep=list(_FEET) if cfg.keep_feet else [],
        )
    )
    camera = None
    if render:
        camera = scene.add_camera(
            res=(RENDER_SIZE, RENDER_SIZE), pos=(1.5, -1.5, 1.0), lookat=(0.0, 0.0, 0.3), fov=40, GUI=False, env_idx=0
        )
    scene.build(n_envs=num_envs)
    return scene, robot, camera


class Go2Env(GenesisVecEnv):
    """A Go2 task (see :mod:`.go2_config`) behind the env contract.

    Args:
        task: ``go2-walk_easy`` or ``go2-walk``.
        cfg: The task's configuration.
        num_envs: Envs in the scene.
        seed: Seed of the first reset.
        device: Genesis' torch device (from :func:`.runtime.init_genesis`).
        max_episode_steps: Time limit, or ``None`` for 1000 steps (20 s).
        render: Add a camera so that ``render(0)`` works.
    """

    def __init__(
        self,
        task: str,
        cfg: C.Go2Config,
        num_envs: int,
        seed: int,
        device: torch.device,
        max_episode_steps: int | None,
        render: bool,
    ) -> None:
        scene, robot, camera = _build_scene(cfg, num_envs, render)
        self.cfg, self.robot = cfg, robot
        joints = [robot.get_joint(name) for name in C.JOINT_NAMES]
        # Index tensors on the device: Genesis would convert a Python list into one at every call.
        self.motor_dofs = torch.tensor([j.dofs_idx_local[0] for j in joints], dtype=torch.int32, device=device)
        self.motor_qs = torch.tensor([j.qs_idx_local[0] for j in joints], device=device)
        bound = torch.full((12,), C.DECLARED_ACTION_BOUND, device=device)
        spec = EnvSpec(
            task=task,
            num_envs=num_envs,
            obs_dim=45,
            action_dim=12,
            action_low=-bound,
            action_high=bound,
            max_episode_steps=max_episode_steps or C.EPISODE_STEPS,
            device=device,
            critic_obs_dim=60 if cfg.privileged else None,
            control_dt=C.CONTROL_DT,
            joint_names=C.JOINT_NAMES,
            can_render=camera is not None,
        )
        super().__init__(scene, spec, seed, camera)
        if cfg.implicit_pd:
            robot.set_dofs_kp([cfg.kp] * 12, self.motor_dofs)
            robot.set_dofs_kv([cfg.kd] * 12, self.motor_dofs)
        self._init_buffers()
        self.reset(seed)

    # ------------------------------------------------------------------ setup

    def _init_buffers(self) -> None:
        n, dev = self.num_envs, self.device
        links = [link.name for link in self.robot.links]
        # Index tensors on the device, as for the dofs: a Python list index is copied to the device at every step.
        feet = [i for i, name in enumerate(links) if "foot" in name]
        penalized = [i for i, name in enumerate(links) if any(k in name for k in ("base", "thigh", "calf"))]
        self.feet_links = torch.tensor(feet, dtype=torch.int64, device=dev)
        self.penalized_links = torch.tensor(penalized, dtype=torch.int64, device=dev)
        self.base_link = links.index("base")
        self.default_dof_pos = torch.tensor([C.default_angle(j) for j in C.JOINT_NAMES], device=dev)
        self.init_quat = torch.tensor(C.BASE_INIT_QUAT, device=dev)
        self.init_pos = torch.tensor(C.BASE_INIT_POS, device=dev)
        self.commands_scale = torch.tensor(
            [C.OBS_SCALES["lin_vel"], C.OBS_SCALES["lin_vel"], C.OBS_SCALES["ang_vel"]], device=dev
        )
        self.gravity = torch.tensor([0.0, 0.0, -1.0], device=dev).expand(n, 3)
        zeros12 = torch.zeros(n, 12, device=dev)
        self.actions, self.last_actions, self.torques = zeros12.clone(), zeros12.clone(), zeros12.clone()
        self.last_dof_vel = zeros12.clone()
        self.commands = torch.zeros(n, 3, device=dev)
        self.feet_air_time = torch.zeros(n, len(self.feet_links), device=dev)
        self.last_contact = torch.zeros(n, len(self.feet_links), dtype=torch.bool, device=dev)
        self.kp = torch.full((n, 12), self.cfg.kp, device=dev)
        self.kd = torch.full((n, 12), self.cfg.kd, device=dev)
        self.motor_offset = zeros12.clone()
        if self.cfg.domain_randomization:
            self.nominal_mass = self.robot.get_links_mass([self.base_link]).clone()
            self.nominal_com = self.robot.get_links_COM([self.base_link]).clone()
            self.rigid_solver = self.scene.sim.rigid_solver
        noise = self.cfg.observation_noise
        if noise is not None:
            # Per-block half-widths on the scaled observation: ang_vel, gravity, (commands: none), dof_pos, dof_vel.
            widths = [noise[0]] * 3 + [noise[1]] * 3 + [0.0] * 3 + [noise[2]] * 12 + [noise[3]] * 12 + [0.0] * 12
            self.noise_width = torch.tensor(widths, device=dev)

    # ------------------------------------------------------------------ randomness

    def _sample_commands(self, count: int) -> torch.Tensor:
        """``count`` commands from the task's ranges, small ones zeroed (the reference's dead band)."""
        cfg = self.cfg
        cmd = torch.stack([self.uniform(*r, (count,)) for r in (cfg.lin_vel_x, cfg.lin_vel_y, cfg.ang_vel_yaw)], dim=1)
        if cfg.command_deadband > 0:
            planar = cmd[:, :2] * (cmd[:, :2].norm(dim=1, keepdim=True) > cfg.command_deadband)
            yaw = cmd[:, 2:] * (cmd[:, 2:].abs() > cfg.command_deadband)
            cmd = torch.cat((planar, yaw), dim=1)
        return cmd

    def _randomize(self, envs_idx: torch.Tensor) -> None:
        """Draw friction, base mass and COM, motor offsets and PD-gain scales for ``envs_idx`` (go2-walk)."""
        count, solver = envs_idx.numel(), self.rigid_solver
        friction = self.uniform(*C.FRICTION_RANGE, (count, 1)).expand(count, solver.n_geoms)
        solver.set_geoms_friction_ratio(friction, torch.arange(solver.n_geoms, device=self.device), envs_idx)
        mass = self.nominal_mass[envs_idx] + self.uniform(*C.ADDED_MASS_RANGE, (count, 1))
        self.robot.set_links_mass(mass, [self.base_link], envs_idx)
        com = self.nominal_com[envs_idx] + self.uniform(*C.COM_SHIFT_RANGE, (count, 1, 3))
        self.robot.set_links_COM(com, [self.base_link], envs_idx)
        self.motor_offset[envs_idx] = self.uniform(*C.MOTOR_OFFSET_RANGE, (count, 12))
        self.kp[envs_idx] = self.cfg.kp * self.uniform(*C.GAIN_SCALE_RANGE, (count, 12))
        self.kd[envs_idx] = self.cfg.kd * self.uniform(*C.GAIN_SCALE_RANGE, (count, 12))

    def _on_full_reset(self) -> None:
        if self.cfg.domain_randomization:
            self._randomize(torch.arange(self.num_envs, device=self.device))

    def _reset_envs(self, envs_idx: torch.Tensor) -> None:
        cfg, count = self.cfg, envs_idx.numel()
        dof_pos = self.default_dof_pos + self.uniform(-cfg.joint_noise, cfg.joint_noise, (count, 12))
        self.robot.set_dofs_position(dof_pos, self.motor_dofs, envs_idx, zero_velocity=True)
        pos = self.init_pos + torch.cat(
            (
                self.uniform(-cfg.base_xy_noise, cfg.base_xy_noise, (count, 2)),
                torch.zeros(count, 1, device=self.device),
            ),
            dim=1,
        )
        tilt = self.uniform(-cfg.base_tilt_noise, cfg.base_tilt_noise, (count, 2))
        yaw = self.uniform(*cfg.base_yaw_range, (count, 1))
        quat = quat_mul(euler_to_quat(torch.cat((tilt, yaw), dim=1)), self.init_quat.expand(count, 4))
        self.robot.set_pos(pos, envs_idx, zero_velocity=False)
        self.robot.set_quat(quat, envs_idx, zero_velocity=False)
        self.robot.zero_all_dofs_velocity(envs_idx)
        self.commands[envs_idx] = self._sample_commands(count)
        for buffer in (self.actions, self.last_actions, self.last_dof_vel, self.feet_air_time):
            buffer[envs_idx] = 0.0
        self.last_contact[envs_idx] = False

    # ------------------------------------------------------------------ one step

    def _apply(self, action: torch.Tensor) -> None:
        self.actions = action
        target = self.last_actions * C.ACTION_SCALE + self.default_dof_pos  # one control step of latency
        if self.cfg.implicit_pd:
            self.robot.control_dofs_position(target, self.motor_dofs)
            self.scene.step(update_visualizer=False)
            return
        dof_pos, dof_vel = self.dof_pos, self.dof_vel
        for _ in range(self.cfg.decimation):
            self.torques = self.kp * (target - dof_pos + self.motor_offset) - self.kd * dof_vel
            self.robot.control_dofs_force(self.torques, self.motor_dofs)
            self.scene.step(update_visualizer=False)
            dof_pos = self.robot.get_qpos()[:, self.motor_qs]
            dof_vel = self.robot.get_dofs_velocity(self.motor_dofs)

    def _refresh(self) -> None:
        robot = self.robot
        self.base_pos = robot.get_pos()
        self.base_quat = robot.get_quat()
        relative = quat_mul(
            self.base_quat, torch.cat((self.init_quat[:1], -self.init_quat[1:])).expand_as(self.base_quat)
        )
        self.base_euler = quat_to_euler(relative)
        velocity = robot.get_vel()
        if self.cfg.heading_frame_lin_vel:
            self.base_lin_vel = rotate_z(velocity, -self.base_euler[:, 2])
        else:
            self.base_lin_vel = quat_rotate_inverse(self.base_quat, velocity)
        self.base_ang_vel = quat_rotate_inverse(self.base_quat, robot.get_ang())
        self.projected_gravity = quat_rotate_inverse(self.base_quat, self.gravity)
        self.dof_pos = robot.get_qpos()[:, self.motor_qs]  # a view of Genesis' state: cheaper than a dof getter
        self.dof_vel = robot.get_dofs_velocity(self.motor_dofs)
        if self.cfg.keep_feet or self.cfg.terminate_on_base_contact:
            self.contact = robot.get_links_net_contact_force()

    def _evaluate(self) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.cfg
        # Commands (and go2-walk's randomisation) are redrawn every 4 s, before reward and termination.
        due = (self.elapsed % C.RESAMPLING_STEPS) == 0
        self.commands = torch.where(due[:, None], self._sample_commands(self.num_envs), self.commands)
        if cfg.domain_randomization:
            due_idx = due.nonzero().squeeze(1)
            if due_idx.numel() > 0:
                self._randomize(due_idx)
        terminated = (self.base_euler[:, 0].abs() > cfg.max_roll) | (self.base_euler[:, 1].abs() > cfg.max_pitch)
        if cfg.terminate_on_base_contact:
            terminated |= self.contact[:, self.base_link].norm(dim=-1) > 1.0
        if cfg.min_base_height is not None:
            terminated |= self.base_pos[:, 2] < cfg.min_base_height
        extra: dict[str, torch.Tensor] = {}
        if "feet_air_time" in cfg.reward_scales:
            extra["feet_air_time"], self.feet_air_time, self.last_contact = feet_air_time(
                self.feet_air_time, self.last_contact, self.contact[:, self.feet_links, 2], self.commands, C.CONTROL_DT
            )
        frame = Go2Frame(
            commands=self.commands,
            lin_vel=self.base_lin_vel,
            ang_vel=self.base_ang_vel,
            projected_gravity=self.projected_gravity,
            base_height=self.base_pos[:, 2],
            dof_pos=self.dof_pos,
            dof_vel=self.dof_vel,
            last_dof_vel=self.last_dof_vel,
            default_dof_pos=self.default_dof_pos,
            actions=self.actions,
            last_actions=self.last_actions,
            torques=self.torques,
            penalized_contact=self.contact[:, self.penalized_links] if cfg.keep_feet else self.torques[:, :0, None],
            control_dt=C.CONTROL_DT,
            tracking_sigma=C.TRACKING_SIGMA,
            base_height_target=C.BASE_HEIGHT_TARGET,
        )
        return total_reward(frame, cfg.reward_scales, extra), terminated

    def _observe(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        s = C.OBS_SCALES
        obs = torch.cat(
            (
                self.base_ang_vel * s["ang_vel"],
                self.projected_gravity,
                self.commands * self.commands_scale,
                (self.dof_pos - self.default_dof_pos) * s["dof_pos"],
                self.dof_vel * s["dof_vel"],
                self.actions,
            ),
            dim=1,
        )
        if self.cfg.observation_noise is not None:
            obs = obs + self.noise_width * self.uniform(-1.0, 1.0, tuple(obs.shape))
        clip = self.cfg.clip_observations
        if clip is not None:
            obs = obs.clamp(-clip, clip)
        if not self.cfg.privileged:
            return obs, None
        critic = torch.cat((obs, self.base_lin_vel * s["lin_vel"], self.last_actions), dim=1)
        return obs, critic if clip is None else critic.clamp(-clip, clip)

    def _step_info(self) -> dict[str, torch.Tensor]:
        """``forward_velocity`` (m/s, the frame the reward tracks) and world ``base_x`` (m) of ``s_{t+1}``.

        Not used in training: they let a rollout measure the gait (``benchmarks/go2_gait.py``), since an env
        that ended is already reset when the step returns.
        """
        return {"forward_velocity": self.base_lin_vel[:, 0].clone(), "base_x": self.base_pos[:, 0].clone()}

    def _end_step(self) -> None:
        self.last_actions = self.actions.clone()
        self.last_dof_vel = self.dof_vel.clone()

    def _aim_camera(self) -> None:
        assert self._camera is not None
        base = self.base_pos[0].detach().cpu().numpy()
        self._camera.set_pose(pos=base + (-1.0, -1.0, 0.5), lookat=base + (0.0, 0.0, -0.1))

    # ------------------------------------------------------------------ deployment facts

    def observation_layout(self) -> tuple[ObsTerm, ...]:
        """The 45-d actor observation's blocks and scales (see ``_observe``); ``actions`` is the previous action."""
        s = C.OBS_SCALES
        return (
            ObsTerm("base_ang_vel", 3, s["ang_vel"]),
            ObsTerm("projected_gravity", 3),
            ObsTerm("commands", 3, (s["lin_vel"], s["lin_vel"], s["ang_vel"])),
            ObsTerm("joint_pos_offset", 12, s["dof_pos"]),
            ObsTerm("joint_vel", 12, s["dof_vel"]),
            ObsTerm("last_action", 12),
        )

    def pd_gains(self) -> PDGains:
        """The nominal joint PD gains (``go2-walk`` scales them per env when it randomises the domain)."""
        return PDGains(
            kp=torch.full((12,), self.cfg.kp, device=self.device), kd=torch.full((12,), self.cfg.kd, device=self.device)
        )

    # ------------------------------------------------------------------ action bounds

    def joint_limits(self) -> JointLimits:
        """Joint limits of the loaded URDF (``get_dofs_limit``), default pose and action scale 0.25, in action order.

        Genesis keeps one set of joint limits (no soft-limit factor), so these are the URDF's own.
        """
        q_min, q_max = self.robot.get_dofs_limit(self.motor_dofs)
        return JointLimits(
            q_min=q_min.to(torch.float32),
            q_max=q_max.to(torch.float32),
            q0=self.default_dof_pos.clone(),
            scale=torch.full((12,), C.ACTION_SCALE, device=self.device),
        )

"""A faithful stand-in for IsaacLab 2.3 (``isaaclab`` + ``isaaclab_tasks``), for tests without Isaac Sim or a GPU.

Put its parent folder first on ``sys.path``: ``isaaclab``, ``isaaclab_tasks`` then import like the real packages
(https://github.com/isaac-sim/IsaacLab, the ``isaaclab==2.3.2.post1`` wheel; paths below are under
``source/isaaclab/isaaclab`` and ``source/isaaclab_tasks/isaaclab_tasks``). What flashsac relies on is the real
interface, each fact from the file named:

* ``isaaclab.app.AppLauncher(headless=..., device=...)`` must run before ``isaaclab.envs`` or ``isaaclab_tasks``
  import (app/app_launcher.py; those modules import Omniverse packages that exist only in the running app);
* ``isaaclab_tasks`` registers gym ids whose entry point is ``isaaclab.envs:ManagerBasedRLEnv`` or a direct env
  class, with ``kwargs={"env_cfg_entry_point": ...}`` (e.g. manager_based/locomotion/velocity/config/*/__init__.py);
  ``isaaclab_tasks.utils.parse_cfg.parse_env_cfg(task_name, device="cuda:0", num_envs=None, use_fabric=None)``
  instantiates that config and sets ``sim.device`` and ``scene.num_envs`` (utils/parse_cfg.py);
* ``ManagerBasedRLEnv.step`` (envs/manager_based_rl_env.py): process actions, ``decimation`` physics steps,
  ``episode_length_buf += 1``, terminations (``terminated``/``time_outs`` kept apart by the termination manager),
  rewards, ``_reset_idx(reset_buf.nonzero())`` for finished envs, command update, then the observation
  ``compute(update_history=True)`` -- so returned observations of reset envs are post-reset; ``_reset_idx``
  resets the scene, reset events, the observation/action/command/termination managers (last actions to zero,
  commands resampled) and ``episode_length_buf``; ``reset(seed)`` seeds torch/numpy/random (utils/seed.py);
* ``DirectRLEnv.step`` (envs/direct_rl_env.py): the same order with ``_get_dones``, ``_get_rewards``,
  ``_reset_idx`` and ``_get_observations`` (+ the policy noise model when ``cfg.observation_noise_model``);
  ``reset`` returns ``_get_observations()`` without noise;
* spaces: ``single_observation_space`` a Dict of group boxes, ``single_action_space`` ``Box(-inf, inf)``
  (``_configure_gym_env_spaces``, ``DirectRLEnv._configure_gym_env_spaces``);
* the observation manager: groups of terms (noise only with ``enable_corruption``), ``active_terms``,
  ``_group_obs_term_cfgs``, ``compute(update_history=False)`` (managers/observation_manager.py);
* actions: ``JointPositionAction`` with ``_joint_ids`` (a slice when it drives all joints in order), ``_joint_names``,
  ``_scale``, ``_offset`` (the default pose with ``use_default_offset``), ``processed = raw * scale + offset``;
  ``BinaryJointPositionAction`` (one dimension: ``< 0`` closes) (envs/mdp/actions/*.py);
* the articulation's ``data.soft_joint_pos_limits`` ``(num_envs, num_joints, 2)``, the hard limits shrunk about
  their midpoint by ``soft_joint_pos_limit_factor``, and ``data.default_joint_pos`` (assets/articulation/*.py).

IsaacLab 3.x's ``cfg.compute_final_obs`` (``extras["final_obs"]`` computed just before ``_reset_idx``) is modelled
behind ``getattr``: 2.3 configs lack the field, a test may add it to check the adapter's 3.x path.

Everything physical is invented: each robot is a batch of joints that move a fixed fraction of the way towards
their position targets per physics step (clamped to their hard limits), with invented limits, default poses and
sizes; see isaaclab_tasks/__init__.py for the tasks.
"""

__version__ = "2.3.2.post1"

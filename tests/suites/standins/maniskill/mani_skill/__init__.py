"""A faithful stand-in for ``mani_skill`` (ManiSkill3 3.0.1, https://github.com/haosulab/ManiSkill), without SAPIEN.

Put its parent folder first on ``sys.path`` and ``import mani_skill``. What flashsac relies on is the real
interface, checked against the files of the ``mani_skill-3.0.1`` wheel named in each module:

* ``import mani_skill`` imports ``mani_skill.envs``, which registers every task with gymnasium through
  ``register_env`` (utils/registration.py): ``max_episode_steps`` of the registration, an ``MSTimeLimit``
  additional wrapper whose ``truncated`` is ``elapsed_steps >= max_episode_steps`` per env, and
  ``gymnasium.make(id, max_episode_steps=n)`` overriding it (registration.py ``TimeLimitWrapper``);
* ``gymnasium.make(id, num_envs=N, obs_mode="state", reward_mode=..., control_mode=..., sim_backend=...,
  render_mode=...)`` builds a batched ``BaseEnv`` (envs/sapien_env.py): batched torch tensors, terminations from
  ``success``/``fail``, the four reward modes, ManiSkill's seeding rules, partial resets via
  ``options={"env_idx": ...}``;
* ``mani_skill.vector.wrappers.gymnasium.ManiSkillVectorEnv`` (vector/wrappers/gymnasium.py): same-step
  autoreset with ``final_observation``/``final_info`` and their masks, ``ignore_terminations``, ``record_metrics``;
* ``mani_skill.utils.gym_utils.find_max_episode_steps_value`` (utils/gym_utils.py).

Invented: the dynamics (envs/tasks.py: a joint-space robot whose tool point pushes one object towards a goal),
hence the observation *contents* (their sizes are the real ones, derived from each task's ``_get_obs_extra``) and
rewards (only their scale, ``dense / max_reward``, is real). One deliberate deviation: the GPU backend
(``physx_cuda``) computes on the CPU when torch sees no CUDA device, so the GPU code path runs in tests; the real
package needs an NVIDIA GPU with Vulkan even for state observations.
"""

__version__ = "3.0.1"

from .envs import *  # noqa: E402,F403  (as the real __init__.py: importing the package registers the tasks)

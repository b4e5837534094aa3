"""A faithful stand-in for the ``humanoid_bench`` package (HumanoidBench), for tests without MuJoCo.

Put its parent folder first on ``sys.path`` and ``import humanoid_bench``: like the real package
(https://github.com/carlosferrazza/humanoid-bench, commit 791405f5eacf879adbc99105adb3fee73f5a49fc), the import
registers ``<robot>-<task>-v0`` gymnasium ids whose entry point is ``humanoid_bench.env:HumanoidEnv``, each with
the task's ``max_episode_steps`` (humanoid_bench/__init__.py), here for the position-controlled H1 and the paper's
14 tasks. What flashsac relies on is the real interface:

* spaces: actions ``Box(-1, 1, (19,), float32)`` (19 position actuators, robots/h1_pos.xml); observations float64
  ``Box(-inf, inf)`` of 51 entries (``qpos`` 26 + ``qvel`` 25), 64 for sit_hard and balance_simple, 77 for
  balance_hard and 57 for reach (env.py, tasks.py, envs/*.py);
* episodes: a 1000-step ``TimeLimit`` from the registration; terminations as the real tasks define them
  (``qpos[2] < 0.2`` walk/stand/run/hurdle/maze, < 0.5 sit/pole, < 0.8 balance, torso upright < 0.1
  stair/slide, never for crawl and reach); ``truncated`` never set by the env itself;
* info keys: ``per_timestep_reward`` plus each task's reward terms; no task sets ``success`` (HumanoidBench judges
  success by the episode return against each task's ``success_bar``, an attribute of ``env.unwrapped.task``);
* reset/seed: keyframe plus +-0.01 noise from the seeded ``np_random``; reach goals and sit_hard poses from NumPy's
  global generator, which the env's ``seed(seed)`` method seeds.

The dynamics are a cheap invented body (body.py), so returns mean nothing; see tasks.py and env.py for the facts
per file and what is invented.
"""

from gymnasium.envs.registration import register

from .env import ROBOTS
from .tasks import TASKS

for robot in ROBOTS:
    for task, task_class in TASKS.items():
        register(
            id=f"{robot}-{task}-v0",
            entry_point="humanoid_bench.env:HumanoidEnv",
            max_episode_steps=task_class.max_episode_steps,
            kwargs={**task_class.kwargs, "robot": robot, "control": "pos", "task": task},
        )

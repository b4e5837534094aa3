"""``ManiSkillVectorEnv`` of the stand-in (real: mani_skill/vector/wrappers/gymnasium.py, ManiSkill 3.0.1).

Facts imitated, in the real class's order of operations:

* ``ManiSkillVectorEnv(env, num_envs=1, auto_reset=True, ignore_terminations=False, record_metrics=False)``;
  given an env (not an id) ``num_envs`` is taken from the base env. Spaces come from the env's
  ``single_observation_space``/``single_action_space``; ``metadata["autoreset_mode"]`` is SAME_STEP
  (gymnasium >= 1). Without ``ignore_terminations`` and with ``auto_reset`` it asserts
  ``reconfiguration_freq == 0 or num_envs == 1``.
* ``step``: ``ignore_terminations`` sets every termination to ``False`` in place; with ``record_metrics``
  ``info["episode"]`` holds ``success_once``/``fail_once``/``return``/``episode_len``/``reward`` (and
  ``success_at_end``/``fail_at_end`` when terminations are ignored). Where ``terminated | truncated`` (checked
  with ``dones.any()`` on the host), the done envs are reset with ``options={"env_idx": ...}``; the returned
  ``obs`` and ``info`` are then the reset's (for all envs), with the pre-reset observation of every env in
  ``info["final_observation"]``, the step's whole info in ``info["final_info"]`` and the ``dones`` mask in
  ``info["_final_info"]``, ``info["_final_observation"]`` and ``info["_elapsed_steps"]``.
* ``reset(seed=..., options=...)`` passes both to the env; ``device``, ``base_env``, ``render()``, ``close()``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import torch
from gymnasium.vector import VectorEnv


def _clone(data: Any) -> Any:
    """Clone every tensor of a (nested) dict (real: ``torch_clone_dict``)."""
    if isinstance(data, torch.Tensor):
        return data.clone()
    return {k: _clone(v) if isinstance(v, dict | torch.Tensor) else v for k, v in data.items()}


class ManiSkillVectorEnv(VectorEnv):
    """Gymnasium vector env around a batched ManiSkill env, with same-step autoreset."""

    def __init__(
        self,
        env: Any,
        num_envs: int = 1,
        auto_reset: bool = True,
        ignore_terminations: bool = False,
        record_metrics: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(env, str):
            self._env = gym.make(env, num_envs=num_envs, **kwargs)
        else:
            self._env = env
            num_envs = self.base_env.num_envs
        self.num_envs = num_envs
        self.auto_reset = auto_reset
        self.ignore_terminations = ignore_terminations
        self.record_metrics = record_metrics
        self.spec = self._env.spec
        self.single_observation_space = self._env.get_wrapper_attr("single_observation_space")
        self.single_action_space = self._env.get_wrapper_attr("single_action_space")
        self.action_space = self._env.get_wrapper_attr("action_space")
        self.observation_space = self._env.get_wrapper_attr("observation_space")
        self.metadata = self._env.metadata
        self.metadata.update(autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
        if not self.ignore_terminations and auto_reset:
            assert self.base_env.reconfiguration_freq == 0 or self.base_env.num_envs == 1, (
                "With partial resets, environment cannot be reconfigured automatically"
            )
        if record_metrics:
            device = self.base_env.device
            self.success_once = torch.zeros(num_envs, dtype=torch.bool, device=device)
            self.fail_once = torch.zeros(num_envs, dtype=torch.bool, device=device)
            self.returns = torch.zeros(num_envs, dtype=torch.float32, device=device)

    @property
    def device(self) -> torch.device:
        """The device of every returned tensor."""
        return self.base_env.device

    @property
    def base_env(self) -> Any:
        """The unwrapped batched env."""
        return self._env.unwrapped

    @property
    def unwrapped(self) -> Any:
        """The unwrapped batched env."""
        return self.base_env

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None) -> tuple[Any, dict]:
        """Reset all envs, or those of ``options["env_idx"]``."""
        obs, info = self._env.reset(seed=seed, options=options)
        if self.record_metrics:
            mask = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
            if options is not None and "env_idx" in options:
                mask[:] = False
                mask[options["env_idx"]] = True
            self.success_once[mask], self.fail_once[mask], self.returns[mask] = False, False, 0
        return obs, info

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict]:
        """Step all envs; reset the done ones in the same call (see the module docstring for the info keys)."""
        obs, rew, terminations, truncations, infos = self._env.step(actions)
        episode: dict[str, torch.Tensor] = {}
        if self.record_metrics:
            self.returns += rew
            if "success" in infos:
                self.success_once = self.success_once | infos["success"]
                episode["success_once"] = self.success_once.clone()
            if "fail" in infos:
                self.fail_once = self.fail_once | infos["fail"]
                episode["fail_once"] = self.fail_once.clone()
            episode["return"] = self.returns.clone()
            episode["episode_len"] = self.base_env.elapsed_steps.clone()
            episode["reward"] = episode["return"] / episode["episode_len"]
        if self.ignore_terminations:
            terminations[:] = False
            if episode:
                for key in ("success", "fail"):
                    if key in infos:
                        episode[f"{key}_at_end"] = infos[key].clone()
        if self.record_metrics:
            infos["episode"] = episode
        dones = torch.logical_or(terminations, truncations)
        if dones.any() and self.auto_reset:
            final_obs, final_info = _clone(obs), _clone(infos)
            env_idx = torch.arange(0, self.num_envs, device=self.device)[dones]
            obs, infos = self.reset(options={"env_idx": env_idx})
            infos["final_observation"] = final_obs
            infos["final_info"] = final_info
            infos["_final_info"] = dones
            infos["_final_observation"] = dones
            infos["_elapsed_steps"] = dones
        return obs, rew, terminations, truncations, infos

    def close_extras(self, **kwargs: Any) -> None:
        """Close the wrapped env."""
        self._env.close()

    def render(self) -> Any:
        """The base env's render."""
        return self.base_env.render()

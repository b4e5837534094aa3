"""Identity tasks: act out the observed target (Stable-Baselines3's ``IdentityEnvBox`` idea), dense and sparse.

The smallest continuous-control check there is: the observation is a target drawn afresh every step and the best
action *is* the observation, so a learner that cannot solve it has a broken actor, critic or update, not a
credit-assignment problem (the action never changes what comes next).
"""

from __future__ import annotations

import torch

from flashsac.envs.deploy_info import ObsTerm
from flashsac.envs.torch_tasks.base import BatchedTorchTask

_DIM = 2


class Identity(BatchedTorchTask):
    """Output the observed target in ``[-1, 1]^2``; dense reward, 100-step episodes, no terminal states.

    State and observation: the target for the *current* step, uniform in ``[-1, 1]^2`` and redrawn after every
    step independently of the action. Action in ``[-1, 1]^2``. Reward ``-|a - target|^2`` (summed over the two
    dimensions), so returns lie in ``[-800, 0]``: a uniformly random policy scores about -133 and one that
    always outputs 0 about -67; solved is above -15 (a per-dimension RMS error below about 0.27), and the
    learning battery's runs end near -5.
    """

    obs_dim = _DIM
    state_dim = _DIM
    control_dt = 0.05
    obs_terms = (ObsTerm("target", _DIM),)
    default_max_episode_steps = 100

    def __init__(self, task: str, num_envs: int, device: torch.device, max_episode_steps: int | None) -> None:
        super().__init__(task, num_envs, device, max_episode_steps, action_low=[-1.0] * _DIM, action_high=[1.0] * _DIM)

    def _initial_state(self, n: int) -> torch.Tensor:
        return torch.rand(n, _DIM, generator=self._generator, device=self.spec.device) * 2 - 1

    def _reward(self, target: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """``(n,)`` reward of ``action`` for ``target``."""
        return -(action - target).square().sum(dim=1)

    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._initial_state(state.shape[0]), self._reward(state, action)

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        return state.clone()


class IdentitySparse(Identity):
    """:class:`Identity` with a sparse reward: 1 when every action component is within 0.25 of the target, else 0.

    Returns lie in ``[0, 100]``: a uniformly random policy hits with probability ``0.234^2``, about 5.5 per
    episode, and one that always outputs 0 about 6.3; solved is above 70 (the best policy scores 100).
    """

    tolerance = 0.25
    """Largest per-dimension error that still earns the reward (max-abs error strictly below it)."""

    def _reward(self, target: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return ((action - target).abs().amax(dim=1) < self.tolerance).to(torch.float32)

"""Sparse ring store of true final observations for the replay buffer.

The replay buffer stores each observation once per step, so the bootstrap observation of a window is read from
the slot ``n`` steps later. That is wrong only where an episode was cut by the time limit: the slot after a
truncated step holds the post-reset observation, while the bootstrap needs the true ``s_T``. Those rows are
rare (about one per ``max_episode_steps`` steps per env), so their true final observations live here, in a
ring of ``capacity`` rows that is written without any host synchronisation.
"""

from __future__ import annotations

import torch

__all__ = ["FinalObsStore", "default_final_obs_capacity"]


def default_final_obs_capacity(capacity: int, num_envs: int, max_episode_steps: int | None) -> int:
    """Return a store size that makes stale final observations practically impossible.

    A row is needed per truncated (or chain-broken) transition still in the buffer, and rows are reused in
    write order, so a store never goes stale when it has at least as many rows as such transitions can occur
    within the buffer's ``capacity // num_envs`` vector steps: ``capacity / max_episode_steps + num_envs``
    with a time limit (each env truncates at most once per ``max_episode_steps`` steps). The default doubles
    that margin; without a known limit it assumes episodes of at least ten steps on average. Raise it when
    ``ReplayBuffer.stale_final_obs_samples`` (logged as ``buffer/stale_final_obs_samples``) is non-zero.

    Args:
        capacity: Replay capacity in transitions over all envs.
        num_envs: Number of envs per add.
        max_episode_steps: The env's time limit, or ``None``.

    Returns:
        ``2 * (capacity // max_episode_steps) + 2 * num_envs`` with a time limit, else
        ``capacity // 10 + 2 * num_envs``; never more than ``capacity + num_envs``.
    """
    if max_episode_steps is not None:
        rows = 2 * (capacity // max_episode_steps) + 2 * num_envs
    else:
        rows = capacity // 10 + 2 * num_envs
    return min(rows, capacity + num_envs)


class FinalObsStore:
    """A ring of ``capacity`` final observations, each tagged with the buffer slot that owns it.

    Rows are appended in the order they are written; once the ring wraps, the oldest rows are overwritten. A
    reader passes the slot it expects to own a row, so a row overwritten by a later episode end is detected
    instead of silently returning another transition's observation.

    Args:
        capacity: Number of rows ``M`` (at least the largest number of rows one :meth:`write` may add).
        obs_dim: Size of the actor observation.
        critic_obs_dim: Size of the privileged critic observation, or ``None``.
        dtype: Storage dtype of the observations.
        device: Device of every tensor.
    """

    def __init__(
        self,
        capacity: int,
        obs_dim: int,
        critic_obs_dim: int | None,
        dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        self.capacity = capacity
        # Row M is a write-only dummy: rows that are not stored are routed there so that a single
        # ``index_copy_`` with a data-independent shape does the whole write (no boolean indexing, no sync).
        self.obs = torch.zeros(capacity + 1, obs_dim, dtype=dtype, device=device)
        self.critic_obs = (
            torch.zeros(capacity + 1, critic_obs_dim, dtype=dtype, device=device)
            if critic_obs_dim is not None
            else None
        )
        self.owner = torch.full((capacity + 1,), -1, dtype=torch.long, device=device)
        self.head = torch.zeros((), dtype=torch.long, device=device)

    def write(
        self,
        mask: torch.Tensor,
        owner: torch.Tensor,
        obs: torch.Tensor,
        critic_obs: torch.Tensor | None,
    ) -> torch.Tensor:
        """Append the rows where ``mask`` is set; return each row's position, ``-1`` where not stored.

        Args:
            mask: ``(R,)`` bool, rows to store (``R <= capacity``).
            owner: ``(R,)`` int64 flat buffer slot that will reference each row.
            obs: ``(R, obs_dim)`` observations (any float dtype; cast to the storage dtype).
            critic_obs: ``(R, critic_obs_dim)`` privileged observations, or ``None`` when not stored.

        Returns:
            ``(R,)`` int64 positions into the ring, ``-1`` for rows that were not stored.
        """
        mask_long = mask.long()
        positions = torch.remainder(self.head + torch.cumsum(mask_long, 0) - 1, self.capacity)
        target = torch.where(mask, positions, torch.full_like(positions, self.capacity))
        self.obs.index_copy_(0, target, obs.to(self.obs.dtype))
        if self.critic_obs is not None and critic_obs is not None:
            self.critic_obs.index_copy_(0, target, critic_obs.to(self.critic_obs.dtype))
        self.owner.index_copy_(0, target, owner)
        self.head.copy_(torch.remainder(self.head + mask_long.sum(), self.capacity))
        return torch.where(mask, positions, torch.full_like(positions, -1))

    def read(
        self, index: torch.Tensor, expected_owner: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Gather rows by position and check that they still belong to ``expected_owner``.

        Args:
            index: ``(B,)`` int64 positions, ``-1`` for none.
            expected_owner: ``(B,)`` int64 flat slots that wrote the rows.

        Returns:
            ``(obs, critic_obs, valid)``: float32 ``(B, obs_dim)``, float32 ``(B, critic_obs_dim)`` or
            ``None``, and ``(B,)`` bool, false where there is no row or the ring has overwritten it since.
        """
        safe = index.clamp(min=0)
        valid = (index >= 0) & (self.owner[safe] == expected_owner)
        critic = self.critic_obs[safe].float() if self.critic_obs is not None else None
        return self.obs[safe].float(), critic, valid

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return the store's tensors (on their device)."""
        state = {"obs": self.obs, "owner": self.owner, "head": self.head}
        if self.critic_obs is not None:
            state["critic_obs"] = self.critic_obs
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Copy tensors produced by :meth:`state_dict` of an identically sized store into this one."""
        for name, tensor in self.state_dict().items():
            if name not in state or tuple(state[name].shape) != tuple(tensor.shape):
                raise ValueError(f"final-obs store state {name!r} is missing or has the wrong shape.")
            tensor.copy_(state[name])

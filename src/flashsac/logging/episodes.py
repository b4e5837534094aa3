"""Training-episode statistics: per-env running return, length and success on device, logged as episode means.

Each vector step adds the finished episodes' sums to the metric accumulator (no host synchronisation);
:func:`episode_means` turns the accumulated per-step means into per-episode means at a log interval.
"""

from __future__ import annotations

import torch

__all__ = ["EpisodeStats", "episode_means"]


class EpisodeStats:
    """The running training episodes of ``num_envs`` envs: return, length and success so far.

    Args:
        num_envs: Number of envs stepped together.
        device: Device of the env's tensors.
    """

    def __init__(self, num_envs: int, device: torch.device) -> None:
        self.episode_return = torch.zeros(num_envs, device=device)
        self.episode_length = torch.zeros(num_envs, device=device)
        self.episode_success = torch.zeros(num_envs, dtype=torch.bool, device=device)  # success at any step so far

    def record(
        self, reward: torch.Tensor, done: torch.Tensor, success: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Add one vector step (the last reward, *then* reset the envs whose episode ended).

        Args:
            reward: ``(N,)`` rewards of this step.
            done: ``(N,)`` bool, the episode ended (terminated or truncated).
            success: ``(N,)`` bool ``info["success"]`` where the simulator reports it, else ``None``.

        Returns:
            Device scalars for the metric accumulator: the number of episodes that finished and the sums of
            their returns and lengths (and of their two success flags where ``success`` is given).
        """
        episode_return, episode_length = self.episode_return, self.episode_length
        episode_return += reward
        episode_length += 1
        ended = done.float()
        finished = ended.sum()
        sums = {
            "train/episode_return_sum": (episode_return * ended).sum(),
            "train/episodes_finished": finished,
            "train/episode_length_sum": (episode_length * ended).sum(),
        }
        if success is not None:
            self.episode_success.logical_or_(success)
            sums["train/episode_success_once_sum"] = (self.episode_success.float() * ended).sum()
            sums["train/episode_success_end_sum"] = (success.float() * ended).sum()
            self.episode_success.logical_and_(~done)
        episode_return.mul_(1.0 - ended)
        episode_length.mul_(1.0 - ended)
        return sums

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The running episodes' tensors (for an exact resume mid-episode)."""
        return {
            "episode_return": self.episode_return,
            "episode_length": self.episode_length,
            "episode_success": self.episode_success,
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Copy :meth:`state_dict` output in; ``episode_success`` may be absent (older checkpoints)."""
        self.episode_return.copy_(state["episode_return"])
        self.episode_length.copy_(state["episode_length"])
        if "episode_success" in state:
            self.episode_success.copy_(state["episode_success"])


def episode_means(scalars: dict[str, float]) -> dict[str, float]:
    """Turn the per-step sums of finished training episodes into per-episode means (when any finished).

    Args:
        scalars: Flushed metric means; the sum keys of :meth:`EpisodeStats.record` are removed from it.

    Returns:
        ``scalars`` with ``train/episode_return`` and ``train/episode_length`` (and the success rates
        ``train/episode_success_once`` / ``train/episode_success_end`` where reported) added.
    """
    steps = scalars.pop("train/episodes_finished", 0.0)  # mean per vector step of episodes finished
    return_sum = scalars.pop("train/episode_return_sum", 0.0)
    length_sum = scalars.pop("train/episode_length_sum", 0.0)
    success_once_sum = scalars.pop("train/episode_success_once_sum", None)
    success_end_sum = scalars.pop("train/episode_success_end_sum", None)
    if steps > 0:
        scalars["train/episode_return"] = return_sum / steps
        scalars["train/episode_length"] = length_sum / steps
        # Only simulators that report info["success"] log success rates (the same two as evaluation).
        if success_once_sum is not None and success_end_sum is not None:
            scalars["train/episode_success_once"] = success_once_sum / steps
            scalars["train/episode_success_end"] = success_end_sum / steps
    return scalars

"""Replay storage: the preallocated ring replay buffer with exact n-step windows."""

from flashsac.buffers.replay import ReplayBuffer

__all__ = ["ReplayBuffer"]

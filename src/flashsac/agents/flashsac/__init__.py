"""FlashSAC: networks, pure losses, exploration, reward scaling, schedules and the agent that wires them."""

from flashsac.agents.flashsac.agent import FlashSACAgent

__all__ = ["FlashSACAgent"]

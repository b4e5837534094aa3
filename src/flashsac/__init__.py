"""flashsac: fast, stable off-policy RL (FlashSAC) for high-dimensional robot control."""

__version__ = "0.1.0"

"""Ctrl-C handling for the training loop: defer the first interrupt to a point where a checkpoint is consistent."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["InterruptRequest", "defer_sigint"]


@dataclass
class InterruptRequest:
    """Set by a deferred Ctrl-C; the training loop checkpoints and stops at its next iteration boundary."""

    requested: bool = False


def defer_sigint(request: InterruptRequest) -> Callable[[], None]:
    """Defer Ctrl-C to the next iteration boundary, where the loop state is consistent for a checkpoint.

    The first Ctrl-C sets ``request.requested``; a second one interrupts at once. Returns the function that
    restores the previous handler (a no-op off the main thread, where handlers cannot be installed).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: object) -> None:
        if request.requested:
            raise KeyboardInterrupt
        request.requested = True

    signal.signal(signal.SIGINT, handler)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore

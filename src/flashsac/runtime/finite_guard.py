"""Detect the first non-finite quantity of a run without a host synchronisation per update.

Each check folds a few device ops into a small on-device record (which quantity, at which env step, in which
env row); the record is read -- one synchronisation -- only at log intervals and before every checkpoint, so
the last checkpoint on disk is always a finite one. Under several ranks the records of all ranks are gathered
there, and every rank stops with the same message naming the earliest culprit and its rank.
"""

from __future__ import annotations

import torch

from flashsac.runtime.distributed import SINGLE_PROCESS, DistributedContext

__all__ = ["FiniteGuard", "NonFiniteError"]


class NonFiniteError(RuntimeError):
    """Training produced a NaN or infinity; the message names the quantity, the env step and the env index."""


class FiniteGuard:
    """Remembers, on ``device``, the first quantity that was not finite.

    Args:
        device: Where the record lives (the learner device).
        enabled: ``False`` turns every method into a no-op.
        ranks: The data-parallel ranks whose records :meth:`raise_if_tripped` gathers (every rank must call it at
            the same point of the loop).
    """

    def __init__(self, device: torch.device, enabled: bool = True, ranks: DistributedContext = SINGLE_PROCESS) -> None:
        self.enabled, self.ranks = enabled, ranks
        self._names: list[str] = []
        # [tripped, name code, env step, env row]; -1 where not applicable.
        self._record = torch.tensor([0, -1, -1, -1], dtype=torch.int64, device=device)
        self._one = torch.ones((), dtype=torch.int64, device=device)
        self._codes: dict[tuple[str, ...], torch.Tensor] = {}  # name codes per check_rows_many call site

    def _code(self, name: str) -> int:
        if name not in self._names:
            self._names.append(name)
        return self._names.index(name)

    def _fold(self, name: str, bad: torch.Tensor, row: torch.Tensor, env_steps: int) -> None:
        first = bad.to(self._record.device) & (self._record[0] == 0)
        candidate = torch.stack(
            (
                torch.ones_like(self._record[0]),
                torch.full_like(self._record[0], self._code(name)),
                torch.full_like(self._record[0], env_steps),
                row.to(self._record.device, torch.int64),
            )
        )
        self._record.copy_(torch.where(first, candidate, self._record))

    def check(self, name: str, value: torch.Tensor, env_steps: int) -> None:
        """Record ``name`` if any element of ``value`` is NaN or infinite."""
        if self.enabled:
            bad = ~torch.isfinite(value.detach()).all()
            self._fold(name, bad, torch.full((), -1, dtype=torch.int64, device=value.device), env_steps)

    def check_rows(self, name: str, value: torch.Tensor, env_steps: int) -> None:
        """Record ``name`` and the first env row (leading axis) holding a non-finite element."""
        if self.enabled:
            row_bad = ~torch.isfinite(value.detach().reshape(value.shape[0], -1)).all(dim=1)
            self._fold(name, row_bad.any(), row_bad.int().argmax(), env_steps)

    def check_rows_many(self, items: tuple[tuple[str, torch.Tensor], ...], env_steps: int) -> None:
        """:meth:`check_rows` for several ``(name, value)`` pairs sharing the leading axis, in one fold.

        Records what calling :meth:`check_rows` on each pair in turn would: the first pair with a non-finite
        row, and its first such row, with about half the device ops of separate calls (it runs every env step).
        """
        if not self.enabled:
            return
        names = tuple(name for name, _ in items)
        codes = self._codes.get(names)
        if codes is None:
            codes = self._codes[names] = torch.tensor([self._code(n) for n in names], device=self._record.device)
        rows_bad = torch.stack([~torch.isfinite(v.detach().reshape(v.shape[0], -1)).all(dim=1) for _, v in items])
        first = rows_bad.reshape(-1).to(self._record.device, torch.int64).argmax()  # row-major: pair, then row
        num_rows = rows_bad.shape[1]
        trip = rows_bad.any().to(self._record.device) & (self._record[0] == 0)
        candidate = torch.stack((self._one, codes[first // num_rows], self._one * env_steps, first % num_rows))
        self._record.copy_(torch.where(trip, candidate, self._record))

    def raise_if_tripped(self) -> None:
        """Synchronise once and raise :class:`NonFiniteError` if anything non-finite was recorded (on any rank)."""
        if not self.enabled:
            return
        ranks = self.ranks
        if not ranks.distributed:
            tripped, code, step, row = self._record.tolist()
            if tripped:
                raise NonFiniteError(self._message(self._names[code], step, row, ""))
            return
        records = ranks.gather_rows(self._record).tolist()
        culprits = [(step, rank) for rank, (tripped, _, step, _) in enumerate(records) if tripped]
        if not culprits:
            return
        # The earliest env step wins (ties: the lowest rank): a NaN one rank feeds into the averaged gradient
        # reaches the others' parameters only after the step where it appeared on its own rank.
        step, culprit = min(culprits)
        _, code, _, row = records[culprit]
        # The culprit names its quantity: name codes are per-process (assigned on first use).
        name = ranks.broadcast_object(self._names[code] if ranks.rank == culprit else "", src=culprit)
        raise NonFiniteError(self._message(name, step, row, f" on rank {culprit} of {ranks.world_size}"))

    @staticmethod
    def _message(name: str, step: int, row: int, rank: str) -> str:
        where = f", env index {row}" if row >= 0 else ""
        return (
            f"non-finite {name} at env step {step}{where}{rank}; training stopped and the last checkpoint on disk "
            "(written before this) is finite. Check the environment's observations and rewards, or lower "
            "agent.lr_peak."
        )

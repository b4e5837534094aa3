"""Data-parallel training on ``torch.distributed``: the process group torchrun describes, and its collectives.

Reference: docs/distributed.md.

Launched by torchrun with more than one process, :func:`init_distributed` joins the process group (gloo for
CPU devices, NCCL for CUDA, each rank on its ``LOCAL_RANK``'s GPU) and returns a :class:`DistributedContext`
whose collectives are real. Launched any other way it returns :data:`SINGLE_PROCESS`, whose collectives do
nothing, so a run without torchrun is unchanged.

Every rank issues the same collectives in the same order (the training loop is the same program on every
rank). A rank that dies mid-run is noticed in bounded time: torchrun's agent stops the other workers and exits
non-zero as soon as one worker exits; launched another way, gloo fails the next collective at once when a peer's
socket closes, and NCCL (and any hung peer) fails it after the process-group timeout. Either way the surviving
ranks raise :class:`CollectiveError` instead of waiting for ever.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from flashsac.runtime.device import resolve_device

__all__ = [
    "SINGLE_PROCESS",
    "CollectiveError",
    "DistributedContext",
    "LaunchError",
    "RankSync",
    "TIMEOUT_ENV_VAR",
    "init_distributed",
    "launch_from_environ",
]

TIMEOUT_ENV_VAR = "FLASHSAC_DIST_TIMEOUT_S"
# Long enough for rank 0 to evaluate, record a video and write a checkpoint while the others wait at the next
# collective; short enough that a hung (not dead) peer ends the job within minutes.
_DEFAULT_TIMEOUT_S = 600.0
_REQUIRED_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
_BACKENDS = ("auto", "gloo", "nccl")

T = TypeVar("T")


class LaunchError(ValueError):
    """The launcher's environment variables or the requested backend cannot form a process group."""


class CollectiveError(RuntimeError):
    """A collective failed: another rank died, hung past the timeout, or the ranks diverged."""


class RankSync(Protocol):
    """What the agent needs from the other ranks (implemented by :class:`DistributedContext`)."""

    def average_(self, tensors: Sequence[torch.Tensor]) -> None:
        """Replace every tensor by its mean over the ranks, in place."""
        ...

    def gather_cat(self, tensor: torch.Tensor) -> torch.Tensor:
        """Concatenate ``tensor (n, ...)`` of every rank along the first axis, in rank order."""
        ...


@dataclass(frozen=True)
class LaunchInfo:
    """Where this process sits in a torchrun launch.

    Attributes:
        rank: Global rank, ``0 <= rank < world_size``.
        world_size: Number of processes over all nodes.
        local_rank: Rank on this node; selects the node's GPU.
    """

    rank: int
    world_size: int
    local_rank: int


def launch_from_environ(environ: Mapping[str, str] | None = None) -> LaunchInfo | None:
    """Read torchrun's variables; ``None`` when this process was not launched as one of several.

    A ``WORLD_SIZE`` of 1 (``torchrun --nproc_per_node=1``) counts as a single process.

    Raises:
        LaunchError: ``WORLD_SIZE`` > 1 but a variable is missing or out of range.
    """
    env = os.environ if environ is None else environ
    if int(env.get("WORLD_SIZE", "1") or "1") <= 1:
        return None
    missing = [name for name in _REQUIRED_VARS if not env.get(name)]
    if missing:
        raise LaunchError(
            f"WORLD_SIZE={env['WORLD_SIZE']} but {', '.join(missing)} is not set; launch with torchrun "
            "(torchrun --nproc_per_node=N --no-python flashsac train ...), which sets them all."
        )
    info = LaunchInfo(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env["LOCAL_RANK"]))
    if not 0 <= info.rank < info.world_size or info.local_rank < 0:
        raise LaunchError(f"RANK={info.rank}, LOCAL_RANK={info.local_rank} do not fit WORLD_SIZE={info.world_size}.")
    return info


@dataclass(frozen=True)
class DistributedContext:
    """The place of this process among the ranks, and the collectives of data-parallel training.

    With ``world_size == 1`` every collective returns at once without touching its input.

    Attributes:
        rank: Global rank (0 logs, evaluates and writes the shared checkpoint).
        world_size: Number of ranks.
        local_rank: Rank on this node (its GPU index).
        backend: ``gloo``, ``nccl``, or ``None`` for a single process.
        collective_device: Where small host-side values travel for a collective (NCCL: this rank's GPU).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    collective_device: str = "cpu"

    @property
    def distributed(self) -> bool:
        """Whether there are other ranks."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0."""
        return self.rank == 0

    def device(self, name: str, key: str = "device") -> torch.device:
        """Resolve a configured device for this rank: under several ranks, CUDA means this node's ``LOCAL_RANK``.

        Raises:
            ValueError: the device is unavailable.
            LaunchError: this node has fewer GPUs than ranks.
        """
        device = resolve_device(name, key)
        if device.type != "cuda" or not self.distributed:
            return device
        count = torch.cuda.device_count()
        if self.local_rank >= count:
            raise LaunchError(
                f"{key}={name!r}: local rank {self.local_rank} needs GPU {self.local_rank} but this node has {count}; "
                f"launch at most {count} processes per node (torchrun --nproc_per_node={count})."
            )
        return torch.device("cuda", self.local_rank)

    # ------------------------------------------------------------------ collectives

    def average_(self, tensors: Sequence[torch.Tensor]) -> None:
        """Replace every tensor by its mean over the ranks, in place, with one all-reduce per dtype and device.

        The tensors are flattened into one bucket, summed across ranks in a single collective, divided by the
        world size and copied back: latency, not bandwidth, bounds these small FlashSAC updates, so one call
        beats one per parameter.
        """
        if not self.distributed or not tensors:
            return
        for bucket in _buckets(tensors):
            flat = torch.cat([t.reshape(-1) for t in bucket])
            self._collective("all_reduce", lambda flat=flat: dist.all_reduce(flat, op=dist.ReduceOp.SUM))
            flat.div_(self.world_size)
            _unflatten_into_(flat, bucket)

    def broadcast_(self, tensors: Sequence[torch.Tensor], src: int = 0) -> None:
        """Overwrite every tensor with rank ``src``'s values, in place, one broadcast per dtype and device."""
        if not self.distributed or not tensors:
            return
        for bucket in _buckets(tensors):
            flat = torch.cat([t.detach().reshape(-1) for t in bucket])
            self._collective("broadcast", lambda flat=flat: dist.broadcast(flat, src=src))
            _unflatten_into_(flat, bucket)

    def broadcast_modules_(self, modules: Iterable[nn.Module], src: int = 0) -> None:
        """Give every rank rank ``src``'s parameters and buffers (run once, before the first update)."""
        tensors = [t for module in modules for t in (*module.parameters(), *module.buffers())]
        self.broadcast_(tensors, src)

    def gather_cat(self, tensor: torch.Tensor) -> torch.Tensor:
        """Concatenate ``tensor (n, ...)`` of every rank along the first axis, in rank order (same on all ranks)."""
        if not self.distributed:
            return tensor
        out = tensor.new_empty((self.world_size * tensor.shape[0], *tensor.shape[1:]))
        self._collective("all_gather", lambda: dist.all_gather_single(out, tensor.contiguous()))
        return out

    def gather_rows(self, tensor: torch.Tensor) -> torch.Tensor:
        """Stack ``tensor`` of every rank into ``(world_size, *tensor.shape)``."""
        return self.gather_cat(tensor.unsqueeze(0))

    def broadcast_object(self, obj: T, src: int = 0) -> T:
        """Rank ``src``'s picklable ``obj`` on every rank (rare, small messages only)."""
        if not self.distributed:
            return obj
        box: list[Any] = [obj]
        self._collective("broadcast_object", lambda: dist.broadcast_object_list(box, src=src))
        return box[0]

    def any_true(self, flag: bool) -> bool:
        """Whether ``flag`` is true on at least one rank (the same answer on every rank)."""
        if not self.distributed:
            return flag
        value = torch.tensor([int(flag)], device=self.collective_device)
        self._collective("all_reduce", lambda: dist.all_reduce(value, op=dist.ReduceOp.MAX))
        return bool(value.item())

    def mean_scalars(self, scalars: dict[str, float]) -> dict[str, float]:
        """Every rank's ``name -> value`` averaged over the ranks, for rank 0's logs (keys: rank 0's)."""
        if not self.distributed:
            return scalars
        keys: list[str] = self.broadcast_object(sorted(scalars))
        values = torch.tensor([scalars.get(k, 0.0) for k in keys], dtype=torch.float64, device=self.collective_device)
        self.average_([values])
        return dict(zip(keys, values.tolist(), strict=True))

    def barrier(self) -> None:
        """Wait until every rank gets here."""
        if self.distributed:
            self._collective("barrier", dist.barrier)

    def close(self) -> None:
        """Leave the process group (a process that exits inside one is aborted by the C++ runtime); idempotent."""
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()

    def _collective(self, name: str, call: Callable[[], object]) -> None:
        try:
            call()
        except RuntimeError as err:  # gloo and NCCL report a dead or hung peer as RuntimeError subclasses
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise CollectiveError(
                f"rank {self.rank} of {self.world_size}: {name} failed ({first_line}); another rank died or hung, "
                "so every rank stops. Resume from the last checkpoint with flashsac train resume=<run_dir>."
            ) from err


SINGLE_PROCESS = DistributedContext()
"""The context of a run not launched by torchrun: rank 0 of 1, every collective a no-op."""


def init_distributed(device: str = "auto", backend: str = "auto", timeout_s: float | None = None) -> DistributedContext:
    """Join the process group torchrun describes, or return :data:`SINGLE_PROCESS` when not launched by it.

    Args:
        device: The configured learner device (``auto``/``cpu``/``cuda``); picks the backend under ``auto``.
        backend: ``auto`` (NCCL for CUDA devices, gloo otherwise), ``gloo`` or ``nccl``.
        timeout_s: How long a collective may wait for a peer before the job fails; default from the
            ``FLASHSAC_DIST_TIMEOUT_S`` environment variable, else 600.

    Raises:
        LaunchError: incomplete launcher variables, an unknown backend, or NCCL without a CUDA device.
    """
    if backend not in _BACKENDS:
        raise LaunchError(f"backend={backend!r} is not one of {', '.join(_BACKENDS)}.")
    info = launch_from_environ()
    if info is None:
        return SINGLE_PROCESS
    context = DistributedContext(info.rank, info.world_size, info.local_rank, None)
    local_device = context.device(device)
    if backend == "auto":
        backend = "nccl" if local_device.type == "cuda" else "gloo"
    if backend == "nccl" and local_device.type != "cuda":
        raise LaunchError(f"backend nccl needs CUDA devices but device={device!r} is {local_device}; use gloo.")
    if timeout_s is None:
        timeout_s = float(os.environ.get(TIMEOUT_ENV_VAR, _DEFAULT_TIMEOUT_S))
    if local_device.type == "cuda":
        torch.cuda.set_device(local_device)
    dist.init_process_group(
        backend,
        init_method="env://",  # under torchrun this joins the agent's store (MASTER_PORT is already bound)
        rank=info.rank,
        world_size=info.world_size,
        timeout=datetime.timedelta(seconds=timeout_s),
        device_id=local_device if backend == "nccl" else None,
    )
    collective_device = str(local_device) if backend == "nccl" else "cpu"
    return DistributedContext(info.rank, info.world_size, info.local_rank, backend, collective_device)


def _buckets(tensors: Sequence[torch.Tensor]) -> list[list[torch.Tensor]]:
    """Group tensors by (dtype, device), keeping their order: one flat buffer per group."""
    groups: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}
    for tensor in tensors:
        groups.setdefault((tensor.dtype, tensor.device), []).append(tensor)
    return list(groups.values())


@torch.no_grad()
def _unflatten_into_(flat: torch.Tensor, bucket: Sequence[torch.Tensor]) -> None:
    """Copy consecutive slices of ``flat`` into the tensors of ``bucket`` (one foreach kernel, not one per tensor)."""
    views = [chunk.view_as(t) for chunk, t in zip(flat.split([t.numel() for t in bucket]), bucket, strict=True)]
    torch._foreach_copy_([t.detach() for t in bucket], views)  # type: ignore[attr-defined]

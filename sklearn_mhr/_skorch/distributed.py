"""One fit over several processes: torch.distributed, as ``torchrun`` launches it.

Each process (rank) of a launch runs the same ``fit``. The network is wrapped
in torch's :class:`~torch.nn.parallel.DistributedDataParallel` while it
trains, so every step averages the ranks' gradients; each rank reads its own
shard of the clips (torch's :class:`~torch.utils.data.DistributedSampler`,
reshuffled every epoch from the fit's seed); the ranks agree on the training
and validation scores, hence on early stopping and divergence; rank 0 alone
writes checkpoints. A process that is not part of a launch (no
``WORLD_SIZE`` above 1 and no process group) trains exactly as before.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import itertools
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from skorch.callbacks import Callback
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

__all__ = ["AGREED_SCORES", "TIMEOUT", "ScoreAgreement", "World", "agree_on_seed",
           "barrier", "current_world", "data_parallel", "process_group", "rank_seed",
           "mean_over_ranks", "shard_loader", "sync_buffers"]

#: how long a rank waits in a collective (for a rank that died outside torchrun) before failing
TIMEOUT = datetime.timedelta(minutes=10)

#: history entries that every rank takes from rank 0 at the end of an epoch
AGREED_SCORES = ("train_loss", "valid_loss", "valid_acc")

# process groups this process has made; every rank makes them in the same order
_GROUPS_MADE = itertools.count()


@dataclass(frozen=True)
class World:
    """This process's place in a distributed fit.

    Attributes
    ----------
    rank : int
        0 to ``size - 1``; rank 0 writes.
    size : int
        Number of processes, at least 2.
    local_rank : int
        Rank among the processes of this machine (the GPU it uses).
    """

    rank: int
    size: int
    local_rank: int

    @property
    def main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"the environment variable {name}={value!r} must be an integer, as "
                         "torchrun sets it") from None


def current_world() -> World | None:
    """The distributed fit this process takes part in; None in a single-process run.

    An initialised process group of two or more ranks wins; otherwise
    torchrun's variables ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` say.
    """
    if dist.is_available() and dist.is_initialized():
        size = dist.get_world_size()
        if size < 2:
            return None
        return World(dist.get_rank(), size, _env_int("LOCAL_RANK", 0))
    size = _env_int("WORLD_SIZE", 1)
    if size < 2:
        return None
    rank = _env_int("RANK", -1)
    if not 0 <= rank < size:
        raise ValueError(f"WORLD_SIZE={size} but RANK={os.environ.get('RANK')!r}; a launcher "
                         "such as torchrun sets RANK to 0 .. WORLD_SIZE - 1 in every process")
    return World(rank, size, _env_int("LOCAL_RANK", 0))


@contextlib.contextmanager
def process_group(device: str):
    """Take part in the launch's process group for the block; yield ``(world, device)``.

    ``world`` is None (and ``device`` unchanged) in a single-process run.
    Otherwise the group is created if none exists (gloo on the CPU, NCCL on
    GPUs, from torchrun's ``MASTER_ADDR`` and ``MASTER_PORT``) and destroyed
    when the block ends; a group the caller made is left alone. On GPUs a
    plain ``"cuda"`` becomes ``"cuda:LOCAL_RANK"``, one GPU per rank.
    """
    world = current_world()
    if world is None:
        yield None, device
        return
    if device == "cuda":
        device = f"cuda:{world.local_rank}"
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    created = not dist.is_initialized()
    if created:
        missing = [name for name in ("MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
        if missing:
            raise ValueError(
                f"WORLD_SIZE={world.size} asks for a distributed fit but {' and '.join(missing)} "
                "is not set; launch with torchrun, which sets them, or set them yourself")
        _init_group("nccl" if device.startswith("cuda") else "gloo", world)
    finished = False
    try:
        yield world, device
        finished = True
    finally:
        if created:
            # what still holds the group (a DDP reducer in a reference cycle) goes before the
            # group does, and after a fit every rank leaves together: gloo aborts the process
            # that tears its group down while a peer's connections still close
            gc.collect()
            if finished:
                dist.barrier()
            dist.destroy_process_group()


def _init_group(backend: str, world: World) -> None:
    """Make the default process group from torchrun's rendezvous store."""
    store, _, _ = next(dist.rendezvous("env://", world.rank, world.size, timeout=TIMEOUT))
    # torchrun's store outlives a group: a second fit in the same launch would read the
    # addresses the first group left there and wait for ranks that are gone, so each
    # group keeps its keys apart
    store = dist.PrefixStore(f"sklearn_mhr/group{next(_GROUPS_MADE)}", store)
    dist.init_process_group(backend, store=store, rank=world.rank, world_size=world.size,
                            timeout=TIMEOUT)


def _collective_device() -> torch.device:
    """Where tensors of collectives live: the GPU with NCCL, the CPU with gloo."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def agree_on_seed(seed: int) -> int:
    """Rank 0's seed, on every rank (``random_state=None`` draws a different one on each)."""
    value = torch.tensor([seed], dtype=torch.int64, device=_collective_device())
    dist.broadcast(value, src=0)
    return int(value.item())


def rank_seed(seed: int, rank: int, epoch: int) -> int:
    """The seed of ``rank``'s random draws (dropout, augmentation) in ``epoch``.

    Different on every rank and every epoch, and a function of the three
    alone, so that a resumed fit draws what an uninterrupted one would.
    """
    return int(np.random.SeedSequence([seed, rank, epoch]).generate_state(1)[0])


def shard_loader(loader_class, dataset, world: World, seed: int, **kwargs):
    """A training loader of ``world.rank``'s shard of ``dataset``.

    Every epoch (``loader.sampler.set_epoch``) the clips are permuted from
    ``seed`` and the epoch, identically on every rank, and rank ``r`` takes
    positions ``r, r + size, ...``. When the clips do not divide evenly, the
    first few of the permutation are repeated so that every rank runs the
    same number of steps (torch's ``DistributedSampler``).
    """
    kwargs.pop("shuffle", None)
    sampler = DistributedSampler(dataset, num_replicas=world.size, rank=world.rank,
                                 shuffle=True, seed=seed, drop_last=False)
    return loader_class(dataset, sampler=sampler, **kwargs)


def data_parallel(module: torch.nn.Module, device: str) -> DistributedDataParallel:
    """``module`` wrapped in DistributedDataParallel, which shares its parameters.

    The wrapper copies rank 0's weights and buffers to every rank when it is
    made, and averages gradients in ``backward``. The net keeps it only while
    it trains, so that what is pickled or saved is the plain module.
    """
    ids = [torch.device(device)] if device.startswith("cuda") else None
    return DistributedDataParallel(module, device_ids=ids)


def sync_buffers(module: torch.nn.Module) -> None:
    """Give every rank rank 0's buffers (batch norm's running statistics).

    Each rank updates them from its own batches; after a training epoch they
    are made equal, so that validation and the saved model are the same on
    every rank.
    """
    for buffer in module.buffers():
        dist.broadcast(buffer.data, src=0)


def mean_over_ranks(value: torch.Tensor) -> torch.Tensor:
    """The mean of a scalar over the ranks, on every rank."""
    total = value.detach().reshape(1).to(_collective_device(), torch.float64)
    dist.all_reduce(total)
    return (total / dist.get_world_size()).to(value.device, value.dtype).reshape(value.shape)


def barrier() -> None:
    """Wait for every rank (nothing in a single-process run)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


class ScoreAgreement(Callback):
    """Make every rank's epoch scores rank 0's, before early stopping reads them.

    Ranks hold the same weights, but their validation passes may round
    differently (other thread counts, other GPUs); one set of scores gives
    one early-stopping decision everywhere.
    """

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        keys = [key for key in AGREED_SCORES if key in row]
        values = torch.tensor([float(row[key]) for key in keys], dtype=torch.float64,
                              device=_collective_device())
        dist.broadcast(values, src=0)
        for key, value in zip(keys, values.tolist(), strict=True):
            net.history.record(key, value)

"""One run on several processes under `torchrun`: who this process is, and the few collectives the Trainer uses.

`torchrun --nproc_per_node N -m fer_lib.cli train ...` starts N copies of the same command with RANK, LOCAL_RANK
and WORLD_SIZE set. Each joins the process group (NCCL on GPUs, gloo on CPUs), trains on a disjoint shard of
every global batch through DistributedDataParallel, and evaluates a shard of each evaluated set; the shards'
predictions are gathered so every rank sees the metrics a single process would. Only rank 0 writes the run
directory. Without torchrun (WORLD_SIZE unset or 1) every function here is a no-op for one process.
"""
from __future__ import annotations

import os

import numpy as np
import torch
import torch.distributed as dist


def launched() -> bool:
    """True when torchrun (or another launcher) started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init(device: str | None = None) -> str | None:
    """Join the launcher's process group and return this rank's device: `cuda:<LOCAL_RANK>` with NCCL when
    CUDA is used, `cpu` with gloo otherwise. Without a launcher, `device` is returned unchanged."""
    if not launched():
        return device
    use_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    if use_cuda:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
    else:
        device = "cpu"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return device


def active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """Rank 0, the one process that writes run directories and prints."""
    return rank() == 0


def barrier() -> None:
    if active():
        dist.barrier()


def shard(indices: torch.Tensor) -> torch.Tensor:
    """This rank's contiguous part of `indices` (sizes differ by at most one between ranks)."""
    return torch.tensor_split(indices, world_size())[rank()] if active() else indices


def all_sum(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` summed over ranks, in place."""
    if active():
        dist.all_reduce(tensor)
    return tensor


def gather_rows(rows: np.ndarray) -> np.ndarray:
    """Every rank's `rows` concatenated in rank order: the shards of `shard` put back together."""
    if not active():
        return rows
    parts: list = [None] * world_size()
    dist.all_gather_object(parts, rows)  # a few thousand rows of class probabilities: pickling is cheap
    return np.concatenate(parts)

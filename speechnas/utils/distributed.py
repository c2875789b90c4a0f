"""Distributed plumbing: init from ``torchrun`` variables (gloo on CPU, nccl on CUDA), rank-0 writing, metric reduction.

A single-process run needs no launcher: without ``WORLD_SIZE`` everything degrades to rank 0 of 1.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device_type: str = "cpu") -> DistInfo:
    """Initialise the default process group from torchrun's RANK/WORLD_SIZE/LOCAL_RANK when present."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank)


def get_info() -> DistInfo:
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
    return DistInfo()


def is_main_process() -> bool:
    return get_info().is_main


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def cleanup() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_mean(value: torch.Tensor | float) -> torch.Tensor:
    """Mean of a tensor (or float) across ranks; identity in a single process."""
    t = value.detach().clone() if isinstance(value, torch.Tensor) else torch.tensor(float(value))
    if dist.is_available() and dist.is_initialized():
        t = t.to(torch.float64 if t.device.type == "cpu" else torch.float32)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        t /= dist.get_world_size()
    return t


def reduce_metrics(metrics: dict[str, float], weight: float = 1.0) -> dict[str, float]:
    """Weighted mean of each metric across ranks (weight = e.g. number of frames on this rank)."""
    if not (dist.is_available() and dist.is_initialized()):
        return dict(metrics)
    keys = sorted(metrics)
    t = torch.tensor([metrics[k] * weight for k in keys] + [weight], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    total = t[-1].item()
    return {k: (t[i].item() / total if total else 0.0) for i, k in enumerate(keys)}

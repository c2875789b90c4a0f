"""Accuracy of a network on fixed batches, and scoring one path of the supernet with its own batch-norm statistics.

Supernet batch norms hold running statistics averaged over every path trained, which fit no single path well; the
official code scores with them anyway. :func:`recalibrated` re-estimates them for one path on a few training
batches first (cumulative average, no gradients) and restores the supernet's own afterwards.
"""
from __future__ import annotations

import contextlib
import time
from typing import Iterable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from speechnas.image.data import to_input
from speechnas.image.space import ImageArch
from speechnas.image.supernet import SuperNet
from speechnas.utils.device import autocast

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]  # uint8 images (N, 3, H, W), labels (N,)


@torch.no_grad()
def evaluate(model: nn.Module, batches: Batches, device: torch.device, arch: ImageArch | None = None,
             amp: bool = True, channels_last: bool = False) -> dict[str, float]:
    """Top-1 and top-5 accuracy (fractions) and mean cross-entropy over ``batches``; ``arch`` for a supernet."""
    model.eval()
    correct1 = correct5 = loss = n = 0.0
    for images, labels in batches:
        x = to_input(images, device, channels_last)
        y = labels.to(device)
        with autocast(device, amp):
            logits = model(x) if arch is None else model(x, arch)
        logits = logits.float()
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        top = logits.topk(min(5, logits.shape[1]), dim=1).indices
        correct1 += (top[:, 0] == y).sum().item()
        correct5 += (top == y[:, None]).any(dim=1).sum().item()
        n += len(y)
    if n == 0:
        raise ValueError("no images to evaluate on")
    return {"top1": correct1 / n, "top5": correct5 / n, "loss": loss / n, "images": int(n)}


def _batch_norms(modules: Iterable[nn.Module]) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for mod in modules for m in mod.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@contextlib.contextmanager
def recalibrated(supernet: SuperNet, arch: ImageArch, batches: Batches, device: torch.device,
                 amp: bool = True, channels_last: bool = False) -> Iterator[None]:
    """Inside the block, the batch norms of path ``arch`` hold statistics of ``batches`` (forward passes in training
    mode, cumulative average); on exit the supernet's own statistics come back."""
    norms = _batch_norms(supernet.path_modules(arch))
    saved = [(bn.momentum, bn.running_mean.clone(), bn.running_var.clone(), bn.num_batches_tracked.clone())
             for bn in norms]
    was_training = supernet.training
    try:
        for bn in norms:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative moving average over the recalibration batches
        supernet.train()
        with torch.no_grad():
            for images, _ in batches:
                with autocast(device, amp):
                    supernet(to_input(images, device, channels_last), arch)
        supernet.eval()
        yield
    finally:
        for bn, (momentum, mean, var, count) in zip(norms, saved):
            bn.momentum = momentum
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.num_batches_tracked.copy_(count)
        supernet.train(was_training)


def score_path(supernet: SuperNet, arch: ImageArch, holdout: Batches, recalibration: Batches | None,
               device: torch.device, amp: bool = True, channels_last: bool = False) -> dict[str, float]:
    """Held-out accuracy of path ``arch`` with the supernet's weights (batch norms recalibrated on ``recalibration``
    unless it is ``None``), plus ``score_s``, the seconds it took."""
    t0 = time.perf_counter()
    ctx = (recalibrated(supernet, arch, recalibration, device, amp, channels_last) if recalibration is not None
           else contextlib.nullcontext())
    with ctx:
        out = evaluate(supernet, holdout, device, arch, amp, channels_last)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    out["score_s"] = time.perf_counter() - t0
    return out

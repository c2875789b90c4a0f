"""Training loop for image networks: the single-path supernet and a standalone network, on ImageNet-layout data.

SGD with Nesterov momentum, label smoothing, weight decay on conv and linear weights only (none on batch-norm
parameters or biases), a per-step cosine schedule (or the official supernet's per-epoch decay), AMP on CUDA, DDP
under ``torchrun`` (call :func:`speechnas.utils.distributed.init_distributed` first; ``batch_size`` is the global
batch, split across ranks), TensorBoard scalars, tqdm, atomic checkpoints and an exact resume (model, optimizer,
scaler, RNG, step and the batch inside the epoch, skipped without loading it). A step whose loss is not finite is
skipped and counted; too many in a row stop the run with an error.
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from speechnas.image.data import to_input
from speechnas.image.space import ImageArch
from speechnas.utils.device import autocast, grad_scaler, resolve_device
from speechnas.utils.distributed import get_info, reduce_metrics
from speechnas.utils.expdir import prepare_exp_dir
from speechnas.utils.resumable import ResumableTrainer
from speechnas.utils.logging import TensorBoardLogger
from speechnas.utils.progress import progress
from speechnas.utils.seed import seed_everything

log = logging.getLogger(__name__)


@dataclass
class ImageTrainConfig:
    """Optimiser, schedule and run length. Defaults: the paper's final training (300 epochs, batch 256, lr 0.05)."""

    batch_size: int = 256  # global images per step (split across DDP ranks)
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 4e-5  # conv and linear weights only
    label_smoothing: float = 0.1
    schedule: Literal["cosine", "step", "constant"] = "cosine"  # cosine: per step to 0; step: lr * gamma ** epoch
    gamma: float = 0.97
    epochs: float = 300.0  # run length in passes over the training subset (when max_steps is 0)
    max_steps: int = 0  # > 0: the run length in steps instead
    amp: bool = True  # mixed precision on CUDA only
    channels_last: bool = True  # CUDA only
    seed: int = 1
    device: str = "auto"
    log_every: int = 100
    save_every: int = 2000
    keep_checkpoints: int = 3
    max_nonfinite_in_a_row: int = 20


class NonFiniteLossError(RuntimeError):
    """Too many consecutive training steps had a non-finite loss."""


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on tensors of two or more dimensions (conv and linear weights); none on BN and biases."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def learning_rate(cfg: ImageTrainConfig, step: int, epoch: int, total_steps: int) -> float:
    if cfg.schedule == "cosine":
        return 0.5 * cfg.lr * (1.0 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))
    if cfg.schedule == "step":
        return cfg.lr * cfg.gamma ** epoch
    return cfg.lr


class ImageTrainer(ResumableTrainer):
    """``ImageTrainer(model, cfg, exp_dir).train(loader)``; pass ``arch_sampler(step) -> ImageArch`` for a supernet."""

    def __init__(self, model: nn.Module, cfg: ImageTrainConfig, exp_dir: str | Path,
                 arch_sampler: Callable[[int], ImageArch] | None = None, record_config=None):
        self.cfg, self.arch_sampler = cfg, arch_sampler
        self.dist = get_info()
        if cfg.batch_size % self.dist.world_size:
            raise ValueError(f"batch_size {cfg.batch_size} is not divisible by the {self.dist.world_size} processes")
        self.device = resolve_device(cfg.device, self.dist.local_rank)
        self.channels_last = cfg.channels_last and self.device.type == "cuda"
        self.exp_dir = prepare_exp_dir(exp_dir, record_config if record_config is not None else cfg)
        seed_everything(cfg.seed + self.dist.rank)
        self.model = model.to(self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.net: nn.Module = self.model
        if self.dist.is_distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = nn.parallel.DistributedDataParallel(self.model, device_ids=ids,
                                                           find_unused_parameters=arch_sampler is not None)
        self.optimizer = torch.optim.SGD(param_groups(self.model, cfg.weight_decay), lr=cfg.lr,
                                         momentum=cfg.momentum, nesterov=cfg.nesterov)
        self.scaler = grad_scaler(self.device, cfg.amp)
        self.step = self.epoch = self.batch_in_epoch = 0
        self.nonfinite_total = self.nonfinite_in_a_row = 0
        self.ckpt_dir = self.exp_dir / "checkpoints"
        self.tb = TensorBoardLogger(self.exp_dir / "tensorboard")

    @property
    def batch_per_rank(self) -> int:
        return self.cfg.batch_size // self.dist.world_size

    def total_steps(self, steps_per_epoch: int) -> int:
        """Run length: ``max_steps``, else ``epochs`` passes (the cosine schedule's horizon)."""
        return self.cfg.max_steps or max(1, round(self.cfg.epochs * steps_per_epoch))

    # ---- one step ----------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, arch: ImageArch | None) -> torch.Tensor:
        return self.net(x) if arch is None else self.net(x, arch)

    def train_step(self, images: torch.Tensor, labels: torch.Tensor, lr: float) -> dict[str, torch.Tensor]:
        """One SGD step on a uint8 batch; returns detached loss and batch top-1."""
        arch = self.arch_sampler(self.step) if self.arch_sampler is not None else None
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        x = to_input(images, self.device, self.channels_last)
        y = labels.to(self.device, non_blocking=True)
        self.net.train()
        with autocast(self.device, self.cfg.amp):
            logits = self.forward(x, arch)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=self.cfg.label_smoothing)
        self.scaler.scale(loss).backward()  # every rank joins DDP's all-reduce; the finiteness check decides after
        if self._finite(loss):
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.nonfinite_in_a_row = 0
        else:
            self._skip()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return {"loss": loss.detach(), "top1": (logits.detach().argmax(1) == y).float().mean()}

    def _finite(self, loss: torch.Tensor) -> bool:
        flag = torch.isfinite(loss.detach()).to(torch.float32).reshape(1)
        if self.dist.is_distributed:
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MIN)
        return bool(flag.item() > 0)

    def _skip(self) -> None:
        if self.scaler.is_enabled():
            self.scaler.update()
        self.nonfinite_total += 1
        self.nonfinite_in_a_row += 1
        log.warning("step %d: non-finite loss, skipped (%d in a row)", self.step, self.nonfinite_in_a_row)
        if self.nonfinite_in_a_row > self.cfg.max_nonfinite_in_a_row:
            raise NonFiniteLossError(f"{self.nonfinite_in_a_row} consecutive steps up to step {self.step} had a "
                                     f"non-finite loss; lower the learning rate or switch off amp")

    # ---- the loop ----------------------------------------------------------------------------------------
    def train(self, loader: DataLoader, max_steps: int | None = None) -> dict[str, float]:
        """Train to ``max_steps`` (default: :meth:`total_steps`), epoch after epoch; ``loader`` must use an
        :class:`~speechnas.image.data.EpochBatchSampler` (its order and resume position are set here)."""
        sampler = loader.batch_sampler
        spe = len(sampler)
        total = self.total_steps(spe)
        max_steps = total if max_steps is None else max_steps
        bar = progress(total=max_steps, initial=self.step, desc="train", unit="step")
        last: dict[str, float] = {}
        t0, seen0 = time.perf_counter(), self.step
        while self.step < max_steps:
            sampler.set_epoch(self.epoch)
            sampler.set_start(self.batch_in_epoch)
            for images, labels in loader:
                lr = learning_rate(self.cfg, self.step, self.epoch, total)
                stats = self.train_step(images, labels, lr)
                self.batch_in_epoch += 1
                bar.update(1)
                if self.batch_in_epoch >= spe:
                    self.epoch, self.batch_in_epoch = self.epoch + 1, 0
                if self.step % self.cfg.log_every == 0 or self.step >= max_steps:
                    rate = (self.step - seen0) * self.cfg.batch_size / max(time.perf_counter() - t0, 1e-9)
                    last = self._log(stats, lr, rate, spe)
                if self.step % self.cfg.save_every == 0 or self.step >= max_steps:
                    self.save()
                if self.step >= max_steps:
                    break
        bar.close()
        self.tb.flush()
        return {**last, "step": self.step, "epoch": self.epoch, "nonfinite_total": self.nonfinite_total}

    def _log(self, stats: dict[str, torch.Tensor], lr: float, images_per_s: float, spe: int) -> dict[str, float]:
        values = reduce_metrics({k: float(v) for k, v in stats.items()})
        values.update(lr=lr, images_per_s=images_per_s, epoch=self.epoch + self.batch_in_epoch / spe)
        self.tb.scalars(values, self.step, prefix="train/")
        if self.dist.is_main:
            log.info("step %d: %s", self.step, " ".join(f"{k}={v:.4g}" for k, v in values.items()))
            with open(self.exp_dir / "train_log.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": self.step, **values}) + "\n")
        return values

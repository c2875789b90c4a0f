"""Training loop for the standalone model and the single-path supernet, on any iterable of contract batches.

AdamW with linear warm-up then inverse-square-root decay, gradient clipping, AMP on CUDA, DDP under
``torchrun`` (call :func:`speechnas.utils.distributed.init_distributed` first), TensorBoard scalars plus
attention and mel images, atomic checkpoints and an exact resume (model, optimizer, scaler, RNG, step and
the position inside the epoch). A step whose loss or gradient is not finite is skipped and counted; too many
in a row stop the run with an error.
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch

from speechnas.tts.model.arch import TTSArch
from speechnas.tts.training.loss import LossConfig, to_floats, tts_loss
from speechnas.tts.evaluation.metrics import attention_metrics, select_attention
from speechnas.tts.model.backbone import TTSBackbone
from speechnas.tts.evaluation.plot import attention_figure, mel_figure
from speechnas.utils.device import autocast, grad_scaler, resolve_device
from speechnas.utils.distributed import get_info, reduce_metrics
from speechnas.utils.expdir import prepare_exp_dir
from speechnas.utils.resumable import ResumableTrainer
from speechnas.utils.logging import TensorBoardLogger
from speechnas.utils.progress import progress
from speechnas.utils.seed import seed_everything

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    lr: float = 2e-3  # peak learning rate (official formula: ~3.95e-3 at hidden 64, ~1.98e-3 at 256)
    warmup_steps: int = 4000
    max_steps: int = 80000
    batch_frames: int = 31250  # mel frames per batch and device (read by the data layer's bucketed sampler)
    betas: tuple[float, float] = (0.9, 0.98)
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    amp: bool = True  # mixed precision on CUDA only
    seed: int = 1
    device: str = "auto"
    log_every: int = 50
    image_every: int = 1000  # attention and mel images to TensorBoard; 0 = never
    save_every: int = 1000
    keep_checkpoints: int = 3
    max_nonfinite_in_a_row: int = 20
    loss: LossConfig = field(default_factory=LossConfig)


class NonFiniteLossError(RuntimeError):
    """Too many consecutive training steps had a non-finite loss or gradient."""


def learning_rate(step: int, peak: float, warmup: int) -> float:
    """Linear warm-up to ``peak`` over ``warmup`` steps, then ``peak * sqrt(warmup / step)``."""
    s = step + 1
    return peak * min(s / max(warmup, 1), 1.0) * math.sqrt(max(warmup, 1) / max(s, warmup, 1))


def batch_to(batch: dict, device: torch.device) -> dict:
    return {k: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}


def _set_epoch(data, epoch: int) -> None:
    for obj in (data, getattr(data, "batch_sampler", None), getattr(data, "sampler", None)):
        if obj is not None and hasattr(obj, "set_epoch"):
            obj.set_epoch(epoch)
            return


class Trainer(ResumableTrainer):
    """``Trainer(model, cfg, exp_dir).train(batches)``; pass ``arch_sampler(step) -> TTSArch`` for a supernet."""

    def __init__(self, model: TTSBackbone, cfg: TrainConfig, exp_dir: str | Path,
                 arch_sampler: Callable[[int], TTSArch] | None = None, record_config=None):
        self.cfg, self.arch_sampler = cfg, arch_sampler
        self.dist = get_info()
        self.device = resolve_device(cfg.device, self.dist.local_rank)
        self.exp_dir = prepare_exp_dir(exp_dir, record_config if record_config is not None else cfg)
        seed_everything(cfg.seed + self.dist.rank)
        n_dec = model.cfg.decoder_layers
        for i in cfg.loss.guided_attn_layers:
            if not -n_dec <= i < n_dec:
                raise ValueError(f"config key 'loss.guided_attn_layers': layer {i} does not exist in a {n_dec}-layer decoder")
        self.model = model.to(self.device)
        self.net = model
        if self.dist.is_distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=ids, find_unused_parameters=arch_sampler is not None)
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=tuple(cfg.betas),
                                           weight_decay=cfg.weight_decay)
        self.scaler = grad_scaler(self.device, cfg.amp)
        self.step = self.epoch = self.batch_in_epoch = 0
        self.nonfinite_total = self.nonfinite_in_a_row = 0
        self.ckpt_dir = self.exp_dir / "checkpoints"
        self.tb = TensorBoardLogger(self.exp_dir / "tensorboard")

    # ---- one step ----------------------------------------------------------------------------------------
    def _step_is_finite(self, loss: torch.Tensor, gnorm: torch.Tensor) -> bool:
        """Whether every rank's loss and gradient norm are finite: one all-reduce and one device sync per step.

        With an active loss scaler (fp16) a non-finite gradient norm is the scaler's to handle (it skips the
        update and lowers the scale), so only the loss counts then."""
        ok = torch.isfinite(loss.detach())
        if not self.scaler.is_enabled():
            ok = ok & torch.isfinite(gnorm.detach())
        flag = ok.to(torch.float32).reshape(1)
        if self.dist.is_distributed:
            flag = flag.to(self.device if self.device.type == "cuda" else "cpu")
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MIN)
        return bool(flag.item() > 0)

    def _skip(self, why: str) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.nonfinite_total += 1
        self.nonfinite_in_a_row += 1
        log.warning("step %d: %s; skipped (%d in a row, %d in total)", self.step, why, self.nonfinite_in_a_row,
                    self.nonfinite_total)
        if self.nonfinite_in_a_row > self.cfg.max_nonfinite_in_a_row:
            raise NonFiniteLossError(
                f"{self.nonfinite_in_a_row} consecutive steps up to step {self.step} had a non-finite loss or "
                f"gradient (limit train.max_nonfinite_in_a_row={self.cfg.max_nonfinite_in_a_row}); lower train.lr, "
                f"check the features for NaN/inf, or switch off train.amp")

    def train_step(self, batch: dict) -> tuple[dict[str, torch.Tensor | float], dict]:
        """One optimisation step; returns the loss parts (detached tensors, see :func:`to_floats`) and the
        model outputs."""
        cfg = self.cfg
        arch = self.arch_sampler(self.step) if self.arch_sampler is not None else None
        batch = batch_to(batch, self.device)
        lr = learning_rate(self.step, cfg.lr, cfg.warmup_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.net.train()
        with autocast(self.device, cfg.amp):
            out = self.net(batch, arch)
        loss, stats = tts_loss(out, batch, cfg.loss, self.step)
        stats.update(lr=lr)
        # backward even on a non-finite loss: every rank then takes part in DDP's gradient all-reduce, and the
        # single finiteness check below decides for all ranks together
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        gnorm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        stats["grad_norm"] = gnorm.detach()
        if not self._step_is_finite(loss, gnorm):
            if self.scaler.is_enabled():
                self.scaler.update()  # closes this step's unscale_ (and lowers the scale after the overflow)
            self._skip("non-finite loss or gradient norm")
        else:
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.optimizer.zero_grad(set_to_none=True)
            self.nonfinite_in_a_row = 0
        self.step += 1
        return stats, out

    # ---- the loop ----------------------------------------------------------------------------------------
    def train(self, data: Iterable[dict], max_steps: int | None = None,
              valid_fn: Callable[["Trainer"], dict[str, float]] | None = None, valid_every: int = 0) -> dict:
        """Train until ``max_steps`` (default ``cfg.max_steps``), epoch after epoch over ``data`` (re-iterable).

        After a resume the first ``batch_in_epoch`` batches of the current epoch are skipped; ``set_epoch`` of
        ``data`` (or of a DataLoader's batch sampler or sampler) is called at each epoch start, so a shuffling
        sampler repeats its order on resume.
        """
        max_steps = self.cfg.max_steps if max_steps is None else max_steps
        bar = progress(total=max_steps, initial=self.step, desc="train")
        last: dict[str, float] = {}
        t0 = time.time()
        while self.step < max_steps:
            _set_epoch(data, self.epoch)
            seen = 0
            for index, batch in enumerate(data):
                seen += 1
                if index < self.batch_in_epoch:
                    continue
                stats, out = self.train_step(batch)
                self.batch_in_epoch = index + 1
                bar.update(1)
                last = stats
                if self.step % self.cfg.log_every == 0 or self.step == max_steps:
                    last = self._log(stats, out, batch, time.time() - t0)
                if self.cfg.image_every and self.step % self.cfg.image_every == 0:
                    self._images(out, batch)
                if valid_fn is not None and valid_every and self.step % valid_every == 0:
                    self.tb.scalars(valid_fn(self), self.step, prefix="valid/")
                if self.step % self.cfg.save_every == 0 or self.step >= max_steps:
                    self.save()
                if self.step >= max_steps:
                    break
            else:
                if seen == 0:
                    raise ValueError("the training data yielded no batches")
                self.epoch += 1
                self.batch_in_epoch = 0
        bar.close()
        self.tb.flush()
        return {**to_floats(last), "step": self.step, "nonfinite_total": self.nonfinite_total}

    def _log(self, stats: dict[str, torch.Tensor | float], out: dict, batch: dict, elapsed: float) -> dict[str, float]:
        with torch.no_grad():
            lengths = batch["feats_lengths"].to(self.device)
            metrics = attention_metrics(out["attentions"], batch["text_lengths"].to(self.device), lengths)
        frames = lengths.sum()
        stats = to_floats(dict(stats, **{f"tf_{k}": v.mean() for k, v in metrics.items()}, _frames=frames))
        stats = reduce_metrics(stats, weight=stats.pop("_frames"))
        stats.update(nonfinite_total=self.nonfinite_total, elapsed_s=elapsed)
        self.tb.scalars(stats, self.step, prefix="train/")
        if self.dist.is_main:
            log.info("step %d: %s", self.step, " ".join(f"{k}={v:.4g}" for k, v in stats.items()))
            with open(self.exp_dir / "train_log.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": self.step, **stats}) + "\n")
        return stats

    def _images(self, out: dict, batch: dict) -> None:
        if not self.dist.is_main:
            return
        tl, fl = batch["text_lengths"][:1].to(self.device), batch["feats_lengths"][:1].to(self.device)
        attn = select_attention([a[:1].detach() for a in out["attentions"]], tl, fl)[0]
        n = int(fl[0])
        title = (batch.get("utt_ids") or [""])[0]
        self.tb.figure("train/attention", attention_figure(attn, title, int(tl[0]), n), self.step)
        mel = mel_figure([out["mel"][0, :n], batch["feats"][0, :n]], ["teacher-forced prediction", "target"])
        self.tb.figure("train/mel", mel, self.step)

"""The image task of a one-shot search: train supernet paths, score architectures with the current weights.

:class:`ImageSupernetTask` is what a task-agnostic one-shot loop drives::

    task.train_paths(archs, steps)   # `steps` single-path steps, each path drawn uniformly from `archs`
    task.score(archs)                # -> [{"top1": ..., "top5": ..., "loss": ..., "score_s": ..., "madds": ...}, ...]
    task.step                        # supernet steps so far
    task.state_dict() / task.load_state_dict(state)   # {"step", "checkpoint"}: exact resume

``score`` metrics: ``top1``/``top5``/``loss`` on the fixed held-out subset (batch norms recalibrated for the path
first when configured), ``score_s`` (seconds for this architecture), ``madds``/``params`` (at the limit's widths,
224 x 224: what the search's limit is on) and ``madds_search_widths`` (the supernet's widths, 224 x 224).
Under ``torchrun`` every rank calls both methods with the same arguments: training is DDP, scoring is split across
ranks and gathered, so every rank gets every score.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from speechnas.image.evaluate import Batches, score_path
from speechnas.image.flops import CostTable
from speechnas.image.space import ImageArch, ImageNetSpace
from speechnas.image.supernet import SuperNet
from speechnas.image.train import ImageTrainer
from speechnas.utils.checkpoint import checkpoint_step, find_latest_checkpoint
from speechnas.utils.distributed import barrier, get_info

log = logging.getLogger(__name__)


class PathSampler:
    """The path of each training step: uniform over ``pool``, from ``(seed, step)`` alone, so every DDP rank draws
    the same path and a resumed run continues with exactly the paths it would have drawn."""

    def __init__(self, pool: Sequence[ImageArch] = (), seed: int = 0):
        self.pool, self.seed = list(pool), int(seed)

    def __call__(self, step: int) -> ImageArch:
        if not self.pool:
            raise ValueError("no architectures to train: the path pool is empty")
        return self.pool[int(np.random.default_rng([self.seed, step]).integers(len(self.pool)))]


class ImageSupernetTask:
    """Supernet training and scoring for the one-shot loop (see the module docstring for the interface)."""

    search_metric = "top1"

    def __init__(self, trainer: ImageTrainer, sampler: PathSampler, train_loader, holdout: Batches,
                 recalibration: Batches | None, space: ImageNetSpace, amp: bool = True):
        if not isinstance(trainer.model, SuperNet):
            raise TypeError("ImageSupernetTask needs a trainer of a SuperNet")
        if trainer.arch_sampler is not sampler:
            raise ValueError("the trainer must draw its paths from this task's sampler")
        self.trainer, self.sampler, self.train_loader = trainer, sampler, train_loader
        self.holdout, self.recalibration = list(holdout), (None if recalibration is None else list(recalibration))
        self.space, self.amp = space, amp
        self.search_costs = CostTable(trainer.model.cfg.widths, 224, trainer.model.cfg.num_classes)
        self.checkpoint: Path | None = None
        self._saved: Path | None = None

    @property
    def step(self) -> int:
        return self.trainer.step

    # -- training --------------------------------------------------------------------------------------------
    def train_paths(self, archs: Sequence[ImageArch], steps: int) -> None:
        """``steps`` supernet steps, each on a path drawn uniformly from ``archs``; ends with a kept checkpoint.

        A call cut short (a kill) and repeated with the same arguments from the same state continues from the
        newest checkpoint inside its range instead of starting over."""
        if steps <= 0:
            return
        if not archs:
            raise ValueError("train_paths needs at least one architecture")
        self._prune_pins({p for p in (self._saved, self.checkpoint) if p is not None})
        self.sampler.pool = list(archs)
        start, target = self.trainer.step, self.trainer.step + int(steps)
        latest = find_latest_checkpoint(self.trainer.ckpt_dir)
        if latest is not None and start < checkpoint_step(latest) <= target:
            self.trainer.resume(latest)  # an earlier attempt of this same training got that far
        log.info("supernet: steps %d to %d on %d architecture(s)", self.trainer.step, target, len(archs))
        self.trainer.train(self.train_loader, max_steps=target)
        self.checkpoint = self._pin(self.trainer.ckpt_dir / f"ckpt_{self.trainer.step:08d}.pt")

    def _pin(self, ckpt: Path) -> Path:
        """Hard-link ``ckpt`` into ``pinned/`` so checkpoint pruning never removes what a saved state refers to."""
        pinned = self.trainer.exp_dir / "pinned" / ckpt.name
        if get_info().is_main and not pinned.exists():
            pinned.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(ckpt, pinned)
            except OSError:
                shutil.copyfile(ckpt, pinned)
        barrier()
        return pinned

    def _prune_pins(self, keep: set[Path]) -> None:
        pin_dir = self.trainer.exp_dir / "pinned"
        if not get_info().is_main or not pin_dir.is_dir():
            return
        keep = {p.resolve() for p in keep}
        for old in pin_dir.glob("*.pt"):
            if old.resolve() not in keep:
                old.unlink()

    # -- scoring ---------------------------------------------------------------------------------------------
    def score(self, archs: Sequence[ImageArch]) -> list[dict[str, float]]:
        """Metrics of each architecture with the current weights, in order."""
        info = get_info()
        mine = list(range(info.rank, len(archs), info.world_size))
        net, device = self.trainer.model, self.trainer.device
        local = {}
        for i in mine:
            arch = archs[i]
            m = score_path(net, arch, self.holdout, self.recalibration, device, self.amp, self.trainer.channels_last)
            limit_cost = self.space.costs.count(arch.ops)
            m.update(madds=float(limit_cost.madds), params=float(limit_cost.params),
                     madds_search_widths=float(self.search_costs.count(arch.ops).madds), supernet_step=float(self.step))
            m.pop("images")
            local[i] = m
        if info.is_distributed:
            gathered: list = [None] * info.world_size
            torch.distributed.all_gather_object(gathered, local)
            local = {k: v for part in gathered for k, v in part.items()}
        return [local[i] for i in range(len(archs))]

    # -- resume ----------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Supernet step and the kept checkpoint holding these weights (and optimizer, RNG, data position)."""
        if self.checkpoint is None:
            raise RuntimeError("state_dict before any training: set a start checkpoint with start_from()")
        self._saved = self.checkpoint
        return {"step": self.trainer.step, "checkpoint": str(self.checkpoint)}

    def load_state_dict(self, state: dict) -> None:
        path = Path(state["checkpoint"])
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the saved search state refers to a supernet checkpoint "
                                    f"that is gone")
        self.trainer.resume(path)
        self.checkpoint = self._saved = path
        if self.trainer.step != int(state["step"]):
            raise ValueError(f"{path} holds supernet step {self.trainer.step}, the saved state expects {state['step']}")

    def start_from(self, checkpoint: str | Path) -> None:
        """Load a finished supernet (stage 1) as the starting point; it is pinned like the task's own checkpoints."""
        checkpoint = Path(checkpoint)
        self.trainer.resume(checkpoint)
        self.checkpoint = self._pin_copy(checkpoint)

    def _pin_copy(self, checkpoint: Path) -> Path:
        pinned = self.trainer.exp_dir / "pinned" / checkpoint.name
        if pinned.resolve() == checkpoint.resolve():
            return pinned
        return self._pin(checkpoint)

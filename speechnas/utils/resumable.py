"""Checkpoint save and exact resume shared by the trainers (TTS and image): weights, optimizer, scaler, RNG and
the data position in one checkpoint, written by rank 0 only."""
from __future__ import annotations

import logging
from pathlib import Path

from speechnas.utils.checkpoint import find_latest_checkpoint, load_checkpoint, save_checkpoint
from speechnas.utils.config import to_dict
from speechnas.utils.distributed import barrier
from speechnas.utils.seed import seed_everything

log = logging.getLogger(__name__)


class ResumableTrainer:
    """Mixin for a trainer with ``model``, ``optimizer``, ``scaler``, ``cfg`` (``seed``, ``keep_checkpoints``),
    ``dist``, ``ckpt_dir`` and the counters ``step``, ``epoch``, ``batch_in_epoch``, ``nonfinite_total``,
    ``nonfinite_in_a_row``."""

    def save(self) -> Path | None:
        """A checkpoint at the current step (rank 0 writes it; every rank waits); its path on rank 0."""
        path = None
        if self.dist.is_main:
            path = save_checkpoint(self.ckpt_dir, step=self.step, model=self.model, optimizer=self.optimizer,
                                   scaler=self.scaler, epoch=self.epoch, config=to_dict(self.cfg),
                                   keep_last=self.cfg.keep_checkpoints,
                                   extra={"batch_in_epoch": self.batch_in_epoch,
                                          "nonfinite_total": self.nonfinite_total,
                                          "nonfinite_in_a_row": self.nonfinite_in_a_row})
        barrier()
        return path

    def resume(self, path: str | Path | None = None) -> bool:
        """Restore the newest complete checkpoint (or ``path``); False when there is none."""
        path = Path(path) if path is not None else find_latest_checkpoint(self.ckpt_dir)
        if path is None:
            return False
        # CPU first: the RNG states must stay CPU tensors; weights and optimizer state follow their parameters
        state = load_checkpoint(path, model=self.model, optimizer=self.optimizer, scaler=self.scaler, map_location="cpu")
        self.step, self.epoch = int(state["step"]), int(state["epoch"])
        extra = state.get("extra") or {}
        self.batch_in_epoch = int(extra.get("batch_in_epoch", 0))
        self.nonfinite_total = int(extra.get("nonfinite_total", 0))
        self.nonfinite_in_a_row = int(extra.get("nonfinite_in_a_row", 0))
        if self.dist.rank > 0:  # the saved RNG is rank 0's; give the other ranks their own stream again
            seed_everything(self.cfg.seed + 7919 * self.step + self.dist.rank)
        log.info("resumed from %s at step %d (epoch %d, batch %d)", path, self.step, self.epoch, self.batch_in_epoch)
        return True

"""Stage 3: train the weight-sharing supernet, single path sampled from the search's initial architectures.

Layout under the experiment directory: ``supernet/`` (a trainer directory plus ``pool.txt``, the architectures it
trains on, and ``supernet.json``, what it was built from). Resumes where an earlier call stopped.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from speechnas.tts.model.arch import TTSSearchSpace
from speechnas.tts.model.supernet import ArchSampler, SuperNet
from speechnas.tts.recipe.config import RecipeConfig
from speechnas.tts.recipe.data import RecipeData
from speechnas.tts.recipe.records import check_record
from speechnas.tts.recipe.search import architecture_pool
from speechnas.tts.training.trainer import Trainer
from speechnas.utils.checkpoint import checkpoint_step, find_latest_checkpoint
from speechnas.utils.config import to_dict
from speechnas.utils.distributed import get_info
from speechnas.utils.io import atomic_write_text
from speechnas.utils.seed import seed_everything

log = logging.getLogger(__name__)


def search_space(cfg: RecipeConfig) -> TTSSearchSpace:
    return TTSSearchSpace(cfg.search_model.encoder_layers, cfg.search_model.decoder_layers)


def build_supernet(cfg: RecipeConfig, data: RecipeData) -> SuperNet:
    return SuperNet(replace(cfg.search_model, vocab_size=len(data.tokens)))


def supernet_checkpoint(cfg: RecipeConfig, exp: str | Path) -> Path:
    """The finished stage-3 checkpoint; a clear error when stage 3 has not finished."""
    ckpt_dir = Path(exp) / "supernet" / "checkpoints"
    ckpt = find_latest_checkpoint(ckpt_dir)
    if ckpt is None or checkpoint_step(ckpt) < cfg.supernet.max_steps:
        raise FileNotFoundError(f"no finished supernet checkpoint (step {cfg.supernet.max_steps}) in {ckpt_dir}: "
                                f"run stage 3 first")
    return ckpt


def train_supernet_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path) -> dict:
    """Stage 3: single-path training on the search's initial architectures (DDP when under torchrun)."""
    out = Path(exp) / "supernet"
    space = search_space(cfg)
    pool = architecture_pool(space, cfg.search)
    seed_everything(cfg.supernet.seed)  # the initial weights do not depend on what ran before in this process
    model = build_supernet(cfg, data)
    check_record(out / "supernet.json", {"model": to_dict(model.cfg), "pool": [space.key(a) for a in pool],
                                          "tokens": data.tokens.tokens}, "the supernet")
    trainer = Trainer(model, cfg.supernet, out, ArchSampler(space, pool, cfg.search.seed), record_config=cfg)
    if get_info().is_main:
        atomic_write_text(out / "pool.txt", "".join(f"{space.to_str(a)}\n" for a in pool))
    trainer.resume()
    if trainer.step >= cfg.supernet.max_steps:
        log.info("stage 3: %s is complete (step %d), skipping", out, trainer.step)
        return {"step": trainer.step, "skipped": True}
    log.info("stage 3: supernet of %d parameters, %d architectures in the pool, training to step %d",
             model.num_parameters(), len(pool), cfg.supernet.max_steps)
    loader = data.train_loader(cfg.supernet.batch_frames, cfg.supernet.seed, cfg.loader.workers,
                               cfg.loader.max_frames, distributed=get_info().is_distributed)
    return trainer.train(loader)

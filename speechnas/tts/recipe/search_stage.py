"""Stage 4: one search (SemiNAS, NAO or random) with the supernet of stage 3, and the architecture it found.

Layout: ``search/<method>/`` (the runner's files, ``scores.jsonl``, ``summary.json``, ``best_archs.txt``,
``search.json`` (the evaluator settings, start checkpoint and dev utterances its scores hold for) and the
supernet that goes on training, ``supernet/``).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from speechnas.tts.model.arch import TTSArch, TTSSearchSpace
from speechnas.tts.model.supernet import ArchSampler
from speechnas.tts.recipe.config import RecipeConfig
from speechnas.tts.recipe.data import RecipeData
from speechnas.tts.recipe.records import check_record
from speechnas.tts.recipe.search import REWARD, run_tts_search
from speechnas.tts.recipe.supernet_stage import build_supernet, search_space, supernet_checkpoint
from speechnas.tts.training.trainer import Trainer
from speechnas.utils.config import to_dict

log = logging.getLogger(__name__)


def search_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path, method: str) -> dict:
    """Stage 4 for one method: resumes ``search/<method>`` or starts it from the finished stage-3 supernet.

    Kept scores hold only for the evaluator settings, start checkpoint and dev utterances they were made with
    (``search.json``): a re-run with others fails, naming what changed, instead of mixing rewards.
    """
    start = supernet_checkpoint(cfg, exp)
    out = Path(exp) / "search" / method
    space = search_space(cfg)
    ev = cfg.search.evaluator
    dev = data.fixed_batches("dev", ev.batch_frames, ev.dev_utterances, ev.decode)
    check_record(out / "search.json", {"evaluator": to_dict(ev), "start": start.name, "reward": REWARD,
                                       "frames_per_token": data.frames_per_token,
                                       "dev": sorted(u for b in dev for u in b["utt_ids"])}, "the search")
    pool_file = Path(exp) / "supernet" / "pool.txt"  # what stage 3 trained on
    sampler = ArchSampler(space, [space.from_str(a) for a in pool_file.read_text().splitlines()], cfg.search.seed)
    trainer = Trainer(build_supernet(cfg, data), cfg.supernet, out / "supernet", sampler, record_config=cfg)
    trainer.resume(start)
    loader = data.train_loader(cfg.supernet.batch_frames, cfg.supernet.seed, cfg.loader.workers, cfg.loader.max_frames)
    summary = run_tts_search(cfg.search, method, trainer, sampler, dev, loader, out, start, data.frames_per_token)
    blind = summary["text_blind_dfr"]["mean"]
    log.info("stage 4: %s: best DFR %.4f, median %.4f over %d architectures (%.2f s per score, %d seeds); "
             "text-blind diagonal %s: %s", method, summary["best_dfr"], summary["median_dfr"],
             summary["architectures"], summary["seconds_per_score"] or 0.0, len(summary["decoding_seeds"]),
             "n/a" if blind is None else f"{blind:.4f}", summary["best_arch"])
    return summary


def found_architecture(exp: str | Path, method: str, space: TTSSearchSpace) -> TTSArch:
    """The best architecture of the finished search of ``method`` (from its ``result.json``)."""
    path = Path(exp) / "search" / method / "result.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run stage 4 for {method} first (run.sh --search-method {method}, "
                                f"or search_tts --methods {method})")
    res = json.loads(path.read_text())
    if not res.get("finished") or not res.get("best"):
        raise FileNotFoundError(f"{path}: the {method} search has not finished: run stage 4 again to complete it")
    return space.from_str(res["best"]["arch"])

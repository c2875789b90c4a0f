"""Stage 2 of the image recipe: the shared one-shot loop (:mod:`speechnas.nas.oneshot`) over the image supernet,
plus the image search's own summary.

The loop is the one the TTS search runs: a growing pool, new architectures trained on their own first, every pool
architecture re-scored with the current weights each iteration, the strategy learning from the latest scores.
Scores are kept one by one in ``score_cache.jsonl`` (:class:`~speechnas.nas.oneshot.CachedScores`), so a search
killed in the middle of an iteration scores nothing twice.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from speechnas.image.oneshot import ImageSupernetTask
from speechnas.image.space import ImageNetSpace
from speechnas.nas.oneshot import CachedScores, OneShotConfig, OneShotResult, run_oneshot_search
from speechnas.utils.io import atomic_write_json, atomic_write_text

log = logging.getLogger(__name__)


def run_image_search(space: ImageNetSpace, task: ImageSupernetTask, method: str, config: Any, budget: int,
                     seed: int, out_dir: str | Path, oneshot: OneShotConfig) -> dict:
    """One search of ``method`` into ``out_dir`` (the supernet was trained on the method's initial architectures
    before: stage 1). Resumes; returns (and writes) ``summary.json``; ``best_archs.txt`` lists the top ten."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cached = CachedScores(task, space, out / "score_cache.jsonl")

    reported = [0]

    def progress(iteration: int, res: OneShotResult) -> None:
        s = write_summary(out, space, res, method, cached)
        if cached.reused > reported[0]:
            log.info("search %s: %d architecture score(s) reused from %s", method, cached.reused - reported[0],
                     cached.path)
            reported[0] = cached.reused
        log.info("search %s: iteration %d done, %d architectures in the pool, best top-1 %.4f (supernet step %d)",
                 method, iteration, s["queries"], s["best_top1"], s["supernet_step"])

    res = run_oneshot_search(space, cached, method, config, budget, seed, out, cfg=oneshot, hook=progress,
                             tensorboard=True)
    task._prune_pins({task.checkpoint})  # the finished state refers to the last checkpoint only
    return write_summary(out, space, res, method, cached)


def write_summary(out: Path, space: ImageNetSpace, res: OneShotResult, method: str, cached: CachedScores,
                  top: int = 10) -> dict:
    """``summary.json`` (best and median latest top-1, multiply-add range, seconds per score) and
    ``best_archs.txt``."""
    latest = [res.latest[k] for k in res.keys]
    order = sorted(range(len(res.keys)), key=lambda i: (-latest[i]["top1"], i))
    top1 = np.array([m["top1"] for m in latest])
    madds = np.array([m["madds"] for m in latest])
    seconds = np.array([s["metrics"]["score_s"] for s in res.scores])
    summary = {"method": method, "queries": len(res.keys), "best_arch": res.first[order[0]]["arch"],
               "best_top1": float(top1.max()), "median_top1": float(np.median(top1)),
               "max_madds": float(madds.max()), "limit_madds": space.limit,
               "all_under_limit": bool(space.limit is None or (madds < space.limit).all()),
               "seconds_per_score": float(seconds.mean()), "scores": len(res.scores),
               "scoring_seconds": float(seconds.sum()), "supernet_step": int(cached.step)}
    lines = [f"# {method}: {len(res.keys)} architectures by their latest supernet top-1 on the held-out subset; "
             "best first", "# rank  top1    first   madds(M)  query  architecture"]
    for rank, i in enumerate(order[:top], start=1):
        q = res.first[i]
        lines.append(f"{rank:6d}  {latest[i]['top1']:.4f}  {q['metrics']['top1']:.4f}  {latest[i]['madds'] / 1e6:8.1f}"
                     f"  {i + 1:5d}  {q['arch']}")
    atomic_write_text(out / "best_archs.txt", "\n".join(lines) + "\n")
    atomic_write_json(out / "summary.json", summary)
    return summary

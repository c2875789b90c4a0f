"""TEMPORARY one-shot search driver, until the shared loop ``speechnas.nas.oneshot.run_oneshot_search`` exists.

It drives an :class:`~speechnas.image.oneshot.ImageSupernetTask` through the NAS core's runner
(:func:`speechnas.nas.run.run_search`): when a batch of queries holds architectures the supernet has not trained yet,
they get ``steps_per_iteration`` single-path steps first, then every architecture of the batch is scored once with
the weights of that moment. Unlike the paper's loop it never re-scores older architectures after later training.
Scores are appended to ``scores.jsonl`` as they come (keyed by architecture and supernet step), so a search killed
in the middle of an iteration re-scores nothing. Replace this module, not its callers' arguments, when the shared
loop lands (``speechnas.image.recipe.search_stage`` is the only caller).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from speechnas.image.oneshot import ImageSupernetTask
from speechnas.image.space import ImageArch, ImageNetSpace
from speechnas.nas.budget import Budget
from speechnas.nas.evaluator import Result
from speechnas.nas.run import run_search
from speechnas.utils.io import atomic_write_json, atomic_write_text

log = logging.getLogger(__name__)


class OneShotEvaluator:
    """The NAS core's evaluator protocol over a one-shot task (train new paths, then score)."""

    def __init__(self, task: ImageSupernetTask, space: ImageNetSpace, trained: Sequence[ImageArch],
                 steps_per_iteration: int, cache_path: str | Path):
        self.task, self.space, self.steps = task, space, int(steps_per_iteration)
        self.search_metric = task.search_metric
        self.trained = {space.key(a) for a in trained}
        self.cache_path = Path(cache_path)
        self.cache = self._read_cache()
        self.scored = self.reused = 0

    def _read_cache(self) -> dict[tuple[str, int], dict]:
        out = {}
        if self.cache_path.is_file():
            for line in self.cache_path.read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                    out[(rec["key"], int(rec["supernet_step"]))] = rec
                except (ValueError, KeyError):  # a line cut short by a kill: scored again
                    continue
        return out

    def evaluate(self, archs: Sequence[ImageArch]) -> list[Result]:
        new = [a for a in archs if self.space.key(a) not in self.trained]
        if new:
            self.task.train_paths(new, self.steps)
            self.trained |= {self.space.key(a) for a in new}
        step = self.task.step
        todo = [a for a in archs if (self.space.key(a), step) not in self.cache]
        for arch in todo:  # one at a time, each kept at once: a kill loses at most the one being scored
            rec = {"key": self.space.key(arch), "arch": str(arch), "supernet_step": step,
                   "metrics": self.task.score([arch])[0]}
            with open(self.cache_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
                f.flush()
                os.fsync(f.fileno())
            self.cache[(rec["key"], step)] = rec
        self.scored += len(todo)
        self.reused += len(archs) - len(todo)
        if len(archs) > len(todo):
            log.info("search: %d architecture score(s) reused from %s", len(archs) - len(todo), self.cache_path)
        out = []
        for a in archs:
            m = self.cache[(self.space.key(a), step)]["metrics"]
            out.append(Result(dict(m), cost=float(m["score_s"]), info={"supernet_step": step}))
        return out

    def state_dict(self) -> dict:
        return {"task": self.task.state_dict(), "trained": sorted(self.trained)}

    def load_state_dict(self, state: dict) -> None:
        self.task.load_state_dict(state["task"])
        self.trained = set(state["trained"])


def run_oneshot_search(space: ImageNetSpace, task: ImageSupernetTask, method: str, config: Any, budget: int,
                       seed: int, out_dir: str | Path, trained: Sequence[ImageArch], steps_per_iteration: int) -> dict:
    """One search of ``method`` into ``out_dir``; ``trained``: the architectures the supernet was trained on
    before (stage 1's pool). Returns (and writes) ``summary.json``; ``best_archs.txt`` lists the top ten."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    evaluator = OneShotEvaluator(task, space, trained, steps_per_iteration, out / "scores.jsonl")

    def progress_files(iteration: int, strategy, b: Budget) -> None:
        write_summary(out, space, b, method, evaluator)
        log.info("search %s: iteration %d done, %d architectures scored, best top-1 %.4f", method, iteration,
                 b.used, b.best().metrics["top1"])

    result = run_search(space, evaluator, method, config, budget, seed, out, hook=progress_files, tensorboard=True)
    task._prune_pins({task.checkpoint})  # the finished state refers to the last checkpoint only
    return write_summary(out, space, result.budget, method, evaluator)


def write_summary(out: Path, space: ImageNetSpace, budget: Budget, method: str, evaluator: OneShotEvaluator,
                  top: int = 10) -> dict:
    """``summary.json`` (best and median top-1, multiply-add range, seconds per architecture) and ``best_archs.txt``."""
    hist = sorted(budget.history, key=lambda q: (-q.metrics["top1"], q.index))
    top1 = np.array([q.metrics["top1"] for q in budget.history])
    madds = np.array([q.metrics["madds"] for q in budget.history])
    costs = np.array([q.cost for q in budget.history])
    summary = {"method": method, "queries": budget.used, "best_arch": space.to_str(hist[0].arch),
               "best_top1": float(top1.max()), "median_top1": float(np.median(top1)),
               "max_madds": float(madds.max()), "limit_madds": space.limit, "all_under_limit": bool(
                   space.limit is None or (madds < space.limit).all()),
               "seconds_per_arch": float(costs.mean()), "scoring_seconds": float(costs.sum()),
               "scored_now": evaluator.scored, "reused_scores": evaluator.reused, "supernet_step": evaluator.task.step}
    lines = [f"# {method}: {budget.used} architectures by supernet top-1 on the held-out subset; best first",
             "# rank  top1    madds(M)  query  architecture"]
    for rank, q in enumerate(hist[:top], start=1):
        lines.append(f"{rank:6d}  {q.metrics['top1']:.4f}  {q.metrics['madds'] / 1e6:8.1f}  {q.index + 1:5d}  "
                     f"{space.to_str(q.arch)}")
    atomic_write_text(out / "best_archs.txt", "\n".join(lines) + "\n")
    atomic_write_json(out / "summary.json", summary)
    return summary

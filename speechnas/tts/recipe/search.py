"""Stage 4: the supernet evaluator for the NAS core and one TTS search run (SemiNAS, NAO or random search).

Reward = DFR of free-running decoding of the dev set with the supernet's weights for the architecture's path
(decoded for the true length where audio exists, else to the stop token; many utterances at once), as the
official ``valid_for_search``. The supernet trains on newly generated architectures before they are scored
(the paper's order). After every iteration (the runner's hook) ``summary.json`` and
``best_archs.txt`` are rewritten, so progress is readable during the search. Resume: the runner's ``state.pt``
keeps every completed iteration (and the evaluator's supernet step, checkpoint and pool); ``scores.jsonl``
keeps each score as soon as it exists, so a run killed in the middle of an iteration re-scores nothing it
already scored with the same supernet weights (keyed by architecture and supernet step; the evaluator settings
and dev set they hold for are checked by stage 4, :func:`speechnas.tts.recipe.search_stage.search_stage`).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from speechnas.nas.budget import Budget
from speechnas.nas.evaluator import FunctionalEvaluator, Result
from speechnas.nas.run import run_search
from speechnas.nas.strategy import Strategy
from speechnas.tts.model.arch import TTSArch, TTSSearchSpace
from speechnas.tts.evaluation.scoring import evaluate_batches
from speechnas.tts.recipe.config import EvaluatorConfig, SearchStageConfig
from speechnas.tts.model.supernet import ArchSampler, SuperNet
from speechnas.tts.training.trainer import Trainer
from speechnas.utils.checkpoint import checkpoint_step, find_latest_checkpoint
from speechnas.utils.io import atomic_write_json, atomic_write_text
from speechnas.utils.progress import progress

log = logging.getLogger(__name__)


def architecture_pool(space: TTSSearchSpace, search: SearchStageConfig, method: str | None = None) -> list[TTSArch]:
    """The architectures a search queries first: the same draws as the strategy's first iteration (every method
    starts with ``sample_new`` on a fresh ``default_rng(seed)``), so the supernet trains on exactly them."""
    method = method or search.method
    budget = Budget(space, FunctionalEvaluator(lambda archs: [], "dfr"), max(search.budget, 1))
    return Strategy(space, None, search.seed).sample_new(budget, search.initial_count(method))


class SupernetEvaluator:
    """Scores architectures by free-running DFR on fixed dev batches, training the supernet on new ones first.

    ``trainer`` holds the supernet (restored to the stage-3 checkpoint by the caller) and ``sampler`` its pool
    (stage 3's architectures). When :meth:`evaluate` gets architectures outside the pool, the supernet first trains
    ``steps_per_new_arch`` steps per new architecture, single path sampled among the new ones, then they join the
    pool and are scored: the paper's order (generate, train, evaluate). Each architecture is scored once (honest
    query accounting), so new ones must have had about as much training of their own path as the initial ones had
    in stage 3 (``supernet.max_steps / N``); with less they score low for that reason alone.
    Implements the NAS core's evaluator protocol plus ``state_dict`` / ``load_state_dict`` (supernet step,
    checkpoint and pool). Checkpoints the saved search state refers to are pinned (hard links in ``pinned/``)
    so checkpoint pruning never removes them; a training cut short resumes from its newest checkpoint.
    """

    search_metric = "dfr"

    def __init__(self, trainer: Trainer, sampler: ArchSampler, dev_batches: Sequence[dict], train_data,
                 cfg: EvaluatorConfig, out_dir: str | Path, start_checkpoint: str | Path):
        if not isinstance(trainer.model, SuperNet):
            raise TypeError("the search evaluator needs a trainer of a SuperNet")
        self.trainer, self.sampler, self.cfg = trainer, sampler, cfg
        self.dev_batches, self.train_data = list(dev_batches), train_data
        self.pool: list[TTSArch] = list(sampler.pool or [])
        self.checkpoint = self._saved = Path(start_checkpoint)
        self.cache_path = Path(out_dir) / "scores.jsonl"
        self.cache = self._read_cache()
        self.scored = self.reused = 0

    @property
    def space(self) -> TTSSearchSpace:
        return self.trainer.model.space

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

    def _append_cache(self, rec: dict) -> None:
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.cache_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.cache[(rec["key"], rec["supernet_step"])] = rec

    def evaluate(self, archs: Sequence[TTSArch]) -> list[Result]:
        known = {self.space.key(a) for a in self.pool}
        new = [a for a in archs if self.space.key(a) not in known]
        if new and self.cfg.steps_per_new_arch > 0:
            self.train_paths(new, self.cfg.steps_per_new_arch * len(new))
        self.pool = self.pool + new
        step = self.trainer.step
        results = []
        for arch in progress(archs, desc=f"scoring (supernet step {step})", unit="arch"):
            key = self.space.key(arch)
            rec = self.cache.get((key, step))
            if rec is None:
                t0 = time.perf_counter()
                metrics = evaluate_batches(self.trainer.model, self.dev_batches, arch, free_running=True,
                                           decode_cfg=self.cfg.decode)
                rec = {"key": key, "arch": str(arch), "supernet_step": step, "cost": time.perf_counter() - t0,
                       "metrics": {k: float(v) for k, v in metrics.items()}}
                self._append_cache(rec)
                self.scored += 1
            else:
                self.reused += 1
            results.append(Result(dict(rec["metrics"]), float(rec["cost"]), {"supernet_step": step}))
        if self.reused:
            log.info("search: %d architecture score(s) reused from %s", self.reused, self.cache_path)
        return results

    def train_paths(self, archs: list[TTSArch], steps: int) -> None:
        """``steps`` supernet steps, single path sampled uniformly from ``archs``; pins the resulting checkpoint."""
        self.prune_pins({self._saved, self.checkpoint})  # what the saved state and this one refer to
        self.sampler.pool = list(archs)
        start, target = self.trainer.step, self.trainer.step + steps
        latest = find_latest_checkpoint(self.trainer.ckpt_dir)
        if latest is not None and start < checkpoint_step(latest) <= target:
            self.trainer.resume(latest)  # an earlier attempt of this same training got that far
        log.info("search: supernet trains from step %d to %d on %d new architectures", self.trainer.step, target,
                 len(archs))
        self.trainer.train(self.train_data, max_steps=target)
        final = self.trainer.ckpt_dir / f"ckpt_{self.trainer.step:08d}.pt"
        pin_dir = self.trainer.exp_dir / "pinned"
        pinned = pin_dir / final.name
        pin_dir.mkdir(parents=True, exist_ok=True)
        if not pinned.exists():
            try:
                os.link(final, pinned)
            except OSError:
                shutil.copyfile(final, pinned)
        self.checkpoint = pinned

    def prune_pins(self, keep: set[Path]) -> None:
        """Remove pinned checkpoints other than ``keep``: no saved search state refers to them any more."""
        pin_dir = self.trainer.exp_dir / "pinned"
        keep = {p.resolve() for p in keep}
        for old in pin_dir.glob("*.pt") if pin_dir.is_dir() else ():
            if old.resolve() not in keep:
                old.unlink()

    def state_dict(self) -> dict:
        self._saved = self.checkpoint
        return {"step": self.trainer.step, "checkpoint": str(self.checkpoint),
                "pool": [self.space.encode(a) for a in self.pool]}

    def load_state_dict(self, state: dict) -> None:
        path = Path(state["checkpoint"])
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the search state refers to a supernet checkpoint that is gone")
        self.trainer.resume(path)
        self.checkpoint = self._saved = path
        self.pool = [self.space.decode(t) for t in state["pool"]]
        if self.trainer.step != int(state["step"]):
            raise ValueError(f"{path} holds supernet step {self.trainer.step}, the search state expects {state['step']}")


def run_tts_search(search: SearchStageConfig, method: str, trainer: Trainer, sampler: ArchSampler,
                   dev_batches: Sequence[dict], train_data, out_dir: str | Path, start_checkpoint: str | Path) -> dict:
    """One search of ``method`` into ``out_dir``; returns (and writes) its summary."""
    out = Path(out_dir)
    evaluator = SupernetEvaluator(trainer, sampler, dev_batches, train_data, search.evaluator, out, start_checkpoint)
    space = trainer.model.space

    def progress_files(iteration: int, strategy, budget: Budget) -> None:  # readable progress after each iteration
        write_search_summary(out, space, budget, method, evaluator)
        log.info("search %s: iteration %d done, %d architectures scored, best DFR %.4f", method, iteration,
                 budget.used, budget.best().metrics["dfr"])

    result = run_search(space, evaluator, method, search.method_config(method), search.budget, search.seed, out,
                        hook=progress_files, tensorboard=True)
    evaluator.prune_pins({evaluator.checkpoint})  # the finished state refers to the last one only
    return write_search_summary(out, space, result.budget, method, evaluator)


def write_search_summary(out: Path, space: TTSSearchSpace, budget: Budget, method: str,
                         evaluator: SupernetEvaluator, top: int = 10) -> dict:
    """``summary.json`` (best and median DFR, cost per architecture) and ``best_archs.txt`` (the top ones, readable)."""
    hist = sorted(budget.history, key=lambda q: (-q.metrics["dfr"], q.index))
    dfr = np.array([q.metrics["dfr"] for q in budget.history])
    costs = np.array([q.cost for q in budget.history])
    summary = {
        "method": method, "queries": budget.used, "best_arch": space.to_str(hist[0].arch),
        "best_dfr": float(dfr.max()), "median_dfr": float(np.median(dfr)), "mean_dfr": float(dfr.mean()),
        "min_dfr": float(dfr.min()), "dev_utterances": sum(len(b["utt_ids"]) for b in evaluator.dev_batches),
        "seconds_per_arch": float(costs.mean()), "scoring_seconds": float(costs.sum()),
        "scored_now": evaluator.scored, "reused_scores": evaluator.reused, "supernet_step": evaluator.trainer.step,
    }
    lines = [f"# {method}: {budget.used} architectures by supernet DFR (free-running, dev set); best first",
             "# rank  dfr     fr      pcr     query  architecture"]
    for rank, q in enumerate(hist[:top], start=1):
        m = q.metrics
        lines.append(f"{rank:6d}  {m['dfr']:.4f}  {m.get('fr', float('nan')):.4f}  {m.get('pcr', float('nan')):.4f}"
                     f"  {q.index + 1:5d}  {space.to_str(q.arch)}")
    atomic_write_text(out / "best_archs.txt", "\n".join(lines) + "\n")
    atomic_write_json(out / "summary.json", summary)
    return summary

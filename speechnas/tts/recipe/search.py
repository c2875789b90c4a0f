"""Stage 4's one-shot task: the TTS supernet as :mod:`speechnas.nas.oneshot` drives it, and one search run.

Reward = :func:`~speechnas.tts.evaluation.metrics.alignment_reward` (``dfr``) of free-running decoding of the dev
set with the supernet's weights for the architecture's path (decoded for the true length where audio exists, else
to the stop token against the length the text should take), averaged over ``seeds`` pre-net dropout seeds: with
one seed the order of the top architectures changed with the seed. Each iteration the loop trains new paths, then
the whole pool, and re-scores every architecture; ``summary.json`` puts the text-blind diagonal's score on the same
dev set next to the scores (what a path must beat to show that it reads the text).

Resume: the loop's ``state.pt`` keeps every completed iteration and this task's supernet step and checkpoint;
``score_cache.jsonl`` keeps each score (architecture, supernet step, decoding seed) as soon as it exists, so a run
killed mid-iteration scores nothing twice with the same weights; training resumes from its newest checkpoint.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from speechnas.nas.budget import Budget
from speechnas.nas.evaluator import FunctionalEvaluator
from speechnas.nas.oneshot import OneShotConfig, OneShotResult, run_oneshot_search
from speechnas.nas.strategy import Strategy
from speechnas.tts.evaluation.metrics import text_blind_reward
from speechnas.tts.evaluation.scoring import evaluate_batches
from speechnas.tts.model.arch import TTSArch, TTSSearchSpace
from speechnas.tts.model.supernet import ArchSampler, SuperNet
from speechnas.tts.recipe.config import EvaluatorConfig, SearchStageConfig
from speechnas.tts.training.trainer import Trainer
from speechnas.utils.checkpoint import checkpoint_step, find_latest_checkpoint
from speechnas.utils.io import atomic_write_json
from speechnas.utils.progress import progress

log = logging.getLogger(__name__)
REWARD = "alignment_reward v2 (EOS in the denominator, reference length, mean over decoding seeds)"


def architecture_pool(space: TTSSearchSpace, search: SearchStageConfig, method: str | None = None) -> list[TTSArch]:
    """The architectures a search queries first: the same draws as the strategy's first iteration (every method
    starts with ``sample_new`` on a fresh ``default_rng(seed)``), so the supernet trains on exactly them."""
    method = method or search.method
    budget = Budget(space, FunctionalEvaluator(lambda archs: [], "dfr"), max(search.budget, 1))
    return Strategy(space, None, search.seed).sample_new(budget, search.initial_count(method))


def oneshot_config(ev: EvaluatorConfig) -> OneShotConfig:
    """The loop's schedule from the recipe: stage 3 trained the initial pool, so nothing more for it here."""
    return OneShotConfig(initial_steps=0, steps_per_new_arch=ev.steps_per_new_arch,
                         pool_steps_per_arch=ev.pool_steps_per_arch, rescore=True)


class TTSSupernetTask:
    """The TTS supernet for the one-shot loop: single-path training on given architectures, scoring by the mean
    free-running reward over ``cfg.seeds`` on fixed dev batches, and its state (step and pinned checkpoint).

    ``trainer`` holds the supernet (restored to the stage-3 checkpoint by the caller), ``sampler`` its
    :class:`ArchSampler` (its pool is set before every training). Checkpoints a saved loop state refers to are
    pinned (hard links in ``pinned/``) so checkpoint pruning never removes them.
    """

    search_metric = "dfr"

    def __init__(self, trainer: Trainer, sampler: ArchSampler, dev_batches: Sequence[dict], train_data,
                 cfg: EvaluatorConfig, out_dir: str | Path, start_checkpoint: str | Path,
                 frames_per_token: float | None = None):
        if not isinstance(trainer.model, SuperNet):
            raise TypeError("the search task needs a trainer of a SuperNet")
        if not cfg.seeds:
            raise ValueError("config key 'search.evaluator.seeds' must list at least one decoding seed")
        self.trainer, self.sampler, self.cfg = trainer, sampler, cfg
        self.dev_batches, self.train_data = list(dev_batches), train_data
        self.frames_per_token = frames_per_token
        self.checkpoint = self._saved = Path(start_checkpoint)
        self.cache_path = Path(out_dir) / "score_cache.jsonl"
        self.cache = self._read_cache()
        self.scored = self.reused = 0
        self.score_seconds: list[float] = []

    @property
    def space(self) -> TTSSearchSpace:
        return self.trainer.model.space

    @property
    def step(self) -> int:
        return self.trainer.step

    def _read_cache(self) -> dict[tuple[str, int, int], dict]:
        out = {}
        if self.cache_path.is_file():
            for line in self.cache_path.read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                    out[(rec["key"], int(rec["supernet_step"]), int(rec["seed"]))] = rec
                except (ValueError, KeyError):  # a line cut short by a kill: scored again
                    continue
        return out

    def _append_cache(self, rec: dict) -> None:
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.cache_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.cache[(rec["key"], rec["supernet_step"], rec["seed"])] = rec

    def score(self, archs: Sequence[TTSArch]) -> list[dict[str, float]]:
        """Per architecture: the mean over seeds of ``dfr``, ``dfr_paper``, ``fr``, ``pcr``, and ``dfr_std``."""
        step, out = self.trainer.step, []
        for arch in progress(archs, desc=f"scoring (supernet step {step})", unit="arch"):
            key, runs, t0 = self.space.key(arch), [], time.perf_counter()
            for seed in self.cfg.seeds:
                rec = self.cache.get((key, step, int(seed)))
                if rec is None:
                    decode = replace(self.cfg.decode, seed=int(seed))
                    metrics = evaluate_batches(self.trainer.model, self.dev_batches, arch, free_running=True,
                                               decode_cfg=decode, frames_per_token=self.frames_per_token)
                    rec = {"key": key, "arch": str(arch), "supernet_step": step, "seed": int(seed),
                           "metrics": {k: float(v) for k, v in metrics.items()}}
                    self._append_cache(rec)
                    self.scored += 1
                else:
                    self.reused += 1
                runs.append(rec["metrics"])
            mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
            mean["dfr_std"] = float(np.std([r["dfr"] for r in runs]))
            out.append(mean)
            self.score_seconds.append(time.perf_counter() - t0)
        return out

    def train_paths(self, archs: Sequence[TTSArch], steps: int) -> None:
        """``steps`` supernet steps, single path sampled uniformly from ``archs``; pins the resulting checkpoint."""
        self.prune_pins({self._saved, self.checkpoint})  # what the saved state and this one refer to
        self.sampler.pool = list(archs)
        start, target = self.trainer.step, self.trainer.step + steps
        latest = find_latest_checkpoint(self.trainer.ckpt_dir)
        if latest is not None and start < checkpoint_step(latest) <= target:
            self.trainer.resume(latest)  # an earlier attempt of this same training got that far
        log.info("search: supernet trains from step %d to %d on %d architectures", self.trainer.step, target,
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
        return {"step": self.trainer.step, "checkpoint": str(self.checkpoint)}

    def load_state_dict(self, state: dict) -> None:
        path = Path(state["checkpoint"])
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the search state refers to a supernet checkpoint that is gone")
        self.trainer.resume(path)
        self.checkpoint = self._saved = path
        if self.trainer.step != int(state["step"]):
            raise ValueError(f"{path} holds supernet step {self.trainer.step}, the search state expects {state['step']}")

    def text_blind(self) -> dict:
        """The text-blind diagonal's reward on the dev set (utterance mean and min): on sets with audio, what a
        path must beat; on text-only sets the reference length is itself that diagonal, so it scores 1."""
        if any("feats_lengths" not in b for b in self.dev_batches):
            return {"mean": None, "min": None, "note": "text-only dev set: the reward's reference length is the "
                                                       "text-blind diagonal itself; only gross failures show"}
        fpt = self.frames_per_token
        if fpt is None:
            return {"mean": None, "min": None, "note": "frames_per_token unknown"}
        vals = torch.cat([text_blind_reward(b["text_lengths"], b["feats_lengths"], fpt) for b in self.dev_batches])
        return {"mean": float(vals.mean()), "min": float(vals.min()), "frames_per_token": fpt}


def run_tts_search(search: SearchStageConfig, method: str, trainer: Trainer, sampler: ArchSampler,
                   dev_batches: Sequence[dict], train_data, out_dir: str | Path, start_checkpoint: str | Path,
                   frames_per_token: float | None = None) -> dict:
    """One search of ``method`` into ``out_dir`` on the one-shot loop; returns (and writes) its summary."""
    out = Path(out_dir)
    task = TTSSupernetTask(trainer, sampler, dev_batches, train_data, search.evaluator, out, start_checkpoint,
                           frames_per_token)
    space = trainer.model.space
    initial = [space.key(a) for a in sampler.pool or []]  # what stage 3 trained: the strategy's first batch

    def progress_files(iteration: int, res: OneShotResult) -> None:
        if iteration == 0 and initial and res.keys[: len(initial)] != initial:
            raise RuntimeError(f"{out}: the search's first architectures are not the pool stage 3 trained on "
                               f"(supernet/pool.txt); remove {out.parent.parent / 'supernet'} and run stage 3 again")
        summary = write_search_summary(out, res, task)
        log.info("search %s: iteration %d done, %d architectures, best DFR %.4f (text-blind diagonal %s)", method,
                 iteration, len(res.keys), summary["best_dfr"], _fmt(summary["text_blind_dfr"]["mean"]))

    result = run_oneshot_search(space, task, method, search.method_config(method), search.budget, search.seed, out,
                                cfg=oneshot_config(search.evaluator), hook=progress_files, tensorboard=True)
    task.prune_pins({task.checkpoint})  # the finished state refers to the last one only
    return write_search_summary(out, result, task)


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def write_search_summary(out: Path, res: OneShotResult, task: TTSSupernetTask) -> dict:
    """``summary.json``: the best architecture by its latest score, the pool's latest scores, the text-blind
    diagonal's score on the same dev set, and the cost of scoring."""
    dfr = np.array([res.latest[k]["dfr"] for k in res.keys])
    best = res.best_key("dfr")
    summary = {
        "method": res.method, "architectures": len(res.keys), "best_arch": res.first[res.keys.index(best)]["arch"],
        "best_dfr": float(dfr.max()), "best_dfr_std_over_seeds": res.latest[best].get("dfr_std"),
        "median_dfr": float(np.median(dfr)), "mean_dfr": float(dfr.mean()), "min_dfr": float(dfr.min()),
        "text_blind_dfr": task.text_blind(), "decoding_seeds": list(task.cfg.seeds),
        "dev_utterances": sum(len(b["utt_ids"]) for b in task.dev_batches),
        "seconds_per_score": float(np.mean(task.score_seconds)) if task.score_seconds else None,
        "scores_computed": task.scored, "scores_reused": task.reused, "supernet_step": task.step,
        "reward": REWARD,
    }
    atomic_write_json(out / "summary.json", summary)
    return summary

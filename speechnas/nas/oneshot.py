"""The one-shot search loop of SemiNAS's TTS and ImageNet searches: one growing pool of architectures whose paths
share a supernet, re-scored every iteration with the current weights.

A task plugs in a :class:`OneShotTask` (its supernet: ``train_paths``, ``score``, ``state_dict``); any strategy of
the NAS core proposes architectures through a view whose labels are the **latest** scores of the whole pool:

1. the initial architectures (the strategy's first batch) are scored (the caller trained the supernet on exactly
   them, e.g. the TTS recipe's stage 3, or ``OneShotConfig.initial_steps`` trains them here);
2. every later batch of new architectures first gets ``steps_per_new_arch`` supernet steps of its own (single path
   sampled among the new ones: scored without that, new paths were biased low and could never win), joins the
   pool, the supernet trains ``pool_steps_per_arch`` steps per pool architecture on the whole pool (single path
   sampled uniformly from it, as the official loop), and **every** pool architecture is scored again;
3. the strategy learns from those latest scores (labels from different moments of training are not comparable).

Budget: one query = the first score of a new architecture; re-scores are free. Resume: ``state.pt`` after every
completed iteration (strategy, pool, scores, the task's state); a run killed mid-iteration redoes that iteration
(the task may cache scores and resume its training). Outputs: ``queries.jsonl`` (each architecture's first score
and how it came about), ``scores.jsonl`` (every score of every iteration), ``ranking.txt`` (the pool by latest
score), ``result.json`` (the best by latest score), ``progress.png`` (the pool's scores per iteration).
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
import torch

from speechnas.nas.budget import BudgetExhausted
from speechnas.nas.run import build_strategy
from speechnas.nas.space import Arch, SearchSpace
from speechnas.utils.config import to_dict
from speechnas.utils.io import atomic_torch_save, atomic_write_json, atomic_write_text
from speechnas.utils.logging import TensorBoardLogger
from speechnas.utils.seed import get_rng_state, seed_everything, set_rng_state

log = logging.getLogger(__name__)


class OneShotTask(Protocol):
    """A task's weight-sharing supernet as the loop drives it."""

    search_metric: str  # the metric strategies maximise (e.g. "dfr", "top1")

    @property
    def step(self) -> int:
        """Supernet training steps so far."""

    def train_paths(self, archs: Sequence[Arch], steps: int) -> None:
        """Train ``steps`` single-path steps, each on an architecture drawn uniformly from ``archs``."""

    def score(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        """Metrics of each architecture with the current weights (``search_metric`` among them)."""

    def state_dict(self) -> dict:
        """What a resume needs (e.g. the supernet step and the checkpoint that holds it)."""

    def load_state_dict(self, state: dict) -> None:
        """Return the supernet to a saved state."""


class CachedScores:
    """A task whose scores are kept in ``path`` (JSON lines, keyed by architecture and supernet step) as soon as
    each exists: a loop killed mid-iteration, resumed, scores nothing twice with the same weights. Tasks with their
    own cache (the TTS task keeps one per decoding seed) do not need it."""

    def __init__(self, task: OneShotTask, space: SearchSpace, path: str | Path):
        self.task, self.space, self.path = task, space, Path(path)
        self.search_metric = task.search_metric
        self.cache: dict[tuple[str, int], dict] = {}
        self.scored = self.reused = 0
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                    self.cache[(rec["key"], int(rec["supernet_step"]))] = rec["metrics"]
                except (ValueError, KeyError):  # a line cut short by a kill: scored again
                    continue

    @property
    def step(self) -> int:
        return self.task.step

    def train_paths(self, archs: Sequence[Arch], steps: int) -> None:
        self.task.train_paths(archs, steps)

    def score(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        step, out = int(self.task.step), []
        for arch in archs:  # one at a time, each kept at once: a kill loses at most the one being scored
            key = self.space.key(arch)
            if (key, step) not in self.cache:
                metrics = {k: float(v) for k, v in self.task.score([arch])[0].items()}
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"key": key, "arch": self.space.to_str(arch), "supernet_step": step,
                                        "metrics": metrics}) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                self.cache[(key, step)] = metrics
                self.scored += 1
            else:
                self.reused += 1
            out.append(dict(self.cache[(key, step)]))
        return out

    def state_dict(self) -> dict:
        return self.task.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.task.load_state_dict(state)


ONESHOT_METHODS = ("seminas", "nao", "random")


class OneShotMethods:
    """Lookups a one-shot recipe's search config shares (TTS and ImageNet): one section per method of
    ``ONESHOT_METHODS`` (``seminas``, ``nao`` = SemiNAS with M = 0, ``random``) and a ``budget``; each task's
    dataclass sets the defaults."""

    def method_config(self, method: str):
        if method not in ONESHOT_METHODS:
            raise ValueError(f"unknown search method '{method}'; choose one of {list(ONESHOT_METHODS)}")
        return getattr(self, method)

    def initial_count(self, method: str) -> int:
        """How many architectures ``method`` queries first (the supernet stage trains on exactly those)."""
        cfg = self.method_config(method)
        return min(cfg.batch_size if method == "random" else cfg.initial, self.budget)


@dataclass
class OneShotConfig:
    initial_steps: int = 0  # steps per initial architecture trained here (0: the caller trained them, as stage 3)
    steps_per_new_arch: int = 300  # a new architecture's own steps before it joins the pool
    pool_steps_per_arch: int = 100  # then steps per pool architecture on the whole pool (official: max_epochs |pool|)
    rescore: bool = True  # score every pool architecture again after each iteration's training (False: new only)


@dataclass
class OneShotResult:
    method: str
    seed: int
    pool: list[Arch]
    keys: list[str]
    latest: dict[str, dict]  # key -> latest metrics
    first: list[dict]  # the queries: first score of each architecture
    scores: list[dict]  # every score of every iteration
    strategy: Any
    wall_s: float
    out_dir: Path | None

    def best_key(self, metric: str) -> str:
        return max(self.keys, key=lambda k: (self.latest[k][metric], -self.keys.index(k)))


@dataclass
class _Record:
    """Everything the loop knows; saved in ``state.pt``."""
    pool: list[Arch] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    latest: dict[str, dict] = field(default_factory=dict)
    first: list[dict] = field(default_factory=list)
    scores: list[dict] = field(default_factory=list)


class OneShotView:
    """What a strategy sees of a one-shot run: the pool with its latest scores, seen keys, budget left, query."""

    def __init__(self, run: "_OneShotRun"):
        self._run = run
        self.search_metric = run.task.search_metric

    def query(self, archs: Sequence[Arch], origins: Sequence[dict] | None = None) -> list[float]:
        return self._run.query(archs, origins)

    def labelled(self) -> tuple[list[Arch], list[float]]:
        """Every pool architecture and its latest search-metric value, in the order they joined."""
        rec = self._run.record
        return list(rec.pool), [rec.latest[k][self.search_metric] for k in rec.keys]

    def seen_key(self, key: str) -> bool:
        return key in self._run.record.latest

    @property
    def used(self) -> int:
        return len(self._run.record.keys)

    @property
    def remaining(self) -> int:
        return self._run.budget - self.used

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0


class _OneShotRun:
    def __init__(self, space: SearchSpace, task: OneShotTask, budget: int, cfg: OneShotConfig):
        if budget < 1:
            raise ValueError(f"budget must be a positive number of architectures, got {budget}")
        self.space, self.task, self.budget, self.cfg = space, task, int(budget), cfg
        self.record = _Record()
        self.iteration = 0

    def query(self, archs: Sequence[Arch], origins: Sequence[dict] | None = None) -> list[float]:
        if len(self.record.keys) >= self.budget:
            raise BudgetExhausted(f"budget of {self.budget} architectures is used up")
        origins = list(origins) if origins is not None else [{} for _ in archs]
        new, new_origin, seen = [], [], set(self.record.latest)
        for arch, origin in zip(archs, origins):
            if not self.space.is_valid(arch):
                raise ValueError(f"strategy asked to evaluate an invalid architecture: {arch!r}")
            k = self.space.key(arch)
            if k not in seen:
                seen.add(k)
                new.append(arch)
                new_origin.append(origin)
        room = self.budget - len(self.record.keys)
        cut = len(new) > room
        if new[:room]:
            self._grow(new[:room], new_origin[:room])
        if cut:
            raise BudgetExhausted(f"budget of {self.budget} architectures is used up")
        metric = self.task.search_metric
        return [self.record.latest[self.space.key(a)][metric] for a in archs]

    def _grow(self, new: list[Arch], origins: list[dict]) -> None:
        rec, cfg, task = self.record, self.cfg, self.task
        if rec.pool:
            if cfg.steps_per_new_arch > 0:
                task.train_paths(new, cfg.steps_per_new_arch * len(new))
            if cfg.pool_steps_per_arch > 0:
                task.train_paths(rec.pool + new, cfg.pool_steps_per_arch * (len(rec.pool) + len(new)))
        elif cfg.initial_steps > 0:
            task.train_paths(new, cfg.initial_steps * len(new))
        to_score = rec.pool + new if cfg.rescore else new
        t0 = time.perf_counter()
        metrics = task.score(to_score)
        cost = (time.perf_counter() - t0) / max(len(to_score), 1)
        step = int(task.step)
        for arch, m in zip(to_score, metrics):
            k = self.space.key(arch)
            rec.latest[k] = {name: float(v) for name, v in m.items()}
            rec.scores.append({"iteration": self.iteration, "supernet_step": step, "key": k,
                               "arch": self.space.to_str(arch), "metrics": rec.latest[k]})
        for arch, origin in zip(new, origins):
            k = self.space.key(arch)
            rec.pool.append(arch)
            rec.keys.append(k)
            rec.first.append({"index": len(rec.first), "arch": self.space.to_str(arch), "key": k,
                              "metrics": dict(rec.latest[k]), "iteration": self.iteration, "supernet_step": step,
                              "seconds_per_score": round(cost, 3), "origin": dict(origin)})

    def state(self) -> dict:
        rec = self.record
        return {"pool": [self.space.encode(a) for a in rec.pool], "keys": rec.keys, "latest": rec.latest,
                "first": rec.first, "scores": rec.scores, "iteration": self.iteration}

    def load(self, state: dict) -> None:
        self.record = _Record([self.space.decode(t) for t in state["pool"]], list(state["keys"]),
                              dict(state["latest"]), list(state["first"]), list(state["scores"]))
        self.iteration = int(state["iteration"])


def run_oneshot_search(space: SearchSpace, task: OneShotTask, method: str, config: Any = None, budget: int = 100,
                       seed: int = 0, out_dir: str | Path | None = None, cfg: OneShotConfig | None = None,
                       hook=None, tensorboard: bool = False) -> OneShotResult:
    """Run ``method`` (any registered strategy) as a one-shot search until ``budget`` architectures are in the
    pool (or the strategy has nothing new). ``hook(iteration, result_so_far)`` runs after every iteration (e.g. to
    write a task's own summary). Re-running with the same arguments resumes; a finished run is just reloaded."""
    cfg = cfg or OneShotConfig()
    seed_everything(seed)
    strategy = build_strategy(space, method, config, seed)
    run = _OneShotRun(space, task, budget, cfg)
    view = OneShotView(run)
    out = Path(out_dir) if out_dir is not None else None
    meta = {"method": method, "seed": int(seed), "budget": int(budget), "config": to_dict(strategy.config),
            "oneshot": to_dict(cfg)}
    done, elapsed = False, 0.0
    state_path = out / "state.pt" if out is not None else None
    if state_path is not None and state_path.is_file():
        done, elapsed = _restore(state_path, meta, strategy, run)
        log.info("resumed %s after iteration %d (%d architectures%s)", state_path, run.iteration - 1,
                 len(run.record.keys), ", finished" if done else "")
    tb = TensorBoardLogger(out / "tb") if tensorboard and out is not None else None
    start = time.perf_counter()

    def result() -> OneShotResult:
        rec = run.record
        return OneShotResult(method, int(seed), rec.pool, rec.keys, rec.latest, rec.first, rec.scores, strategy,
                             elapsed + time.perf_counter() - start, out)

    while not done:
        try:
            more = strategy.step(view)
        except BudgetExhausted:
            more = False
        done = not more or view.exhausted
        run.iteration += 1
        if tb is not None and run.record.keys:
            values = [run.record.latest[k][task.search_metric] for k in run.record.keys]
            tb.scalars({f"search/best_{task.search_metric}": max(values),
                        f"search/mean_{task.search_metric}": float(np.mean(values)),
                        "search/pool": float(len(values)), "search/supernet_step": float(task.step)},
                       step=run.iteration)
        if out is not None:
            _save(state_path, meta, strategy, run, done, elapsed + time.perf_counter() - start)
            write_outputs(out, result(), meta, task.search_metric, final=done)
        if hook is not None:
            hook(run.iteration - 1, result())
    if tb is not None:
        tb.close()
    res = result()
    if out is not None:
        write_outputs(out, res, meta, task.search_metric, final=True)
    return res


def _save(path: Path, meta: dict, strategy, run: _OneShotRun, done: bool, wall: float) -> None:
    atomic_torch_save({**meta, "done": done, "wall_s": wall, "strategy": strategy.state_dict(), "run": run.state(),
                       "task": run.task.state_dict(), "rng": get_rng_state()}, path)


def _restore(path: Path, meta: dict, strategy, run: _OneShotRun) -> tuple[bool, float]:
    state = torch.load(path, map_location="cpu", weights_only=False)
    for k in ("method", "seed", "budget", "config", "oneshot"):
        if state.get(k) != meta[k]:
            raise ValueError(f"{path} holds a run with a different {k} ({state.get(k)!r} != {meta[k]!r}); "
                             f"use another output directory or delete it")
    strategy.load_state_dict(state["strategy"])
    run.load(state["run"])
    run.task.load_state_dict(state["task"])
    set_rng_state(state["rng"])
    return bool(state["done"]), float(state["wall_s"])


def write_outputs(out: Path, res: OneShotResult, meta: dict, metric: str, final: bool) -> None:
    """``queries.jsonl``, ``scores.jsonl``, ``ranking.txt``, ``result.json`` and ``progress.png`` (see above)."""
    scores = res.scores
    atomic_write_text(out / "queries.jsonl", "".join(json.dumps(q) + "\n" for q in res.first))
    atomic_write_text(out / "scores.jsonl", "".join(json.dumps(s) + "\n" for s in scores))
    order = sorted(range(len(res.keys)), key=lambda i: (-res.latest[res.keys[i]][metric], i))
    lines = [f"# {meta['method']}: {len(res.keys)} architectures by their latest {metric} (best first)",
             f"# rank  {metric:>8}  first  query  architecture"]
    for rank, i in enumerate(order, start=1):
        q = res.first[i]
        lines.append(f"{rank:6d}  {res.latest[res.keys[i]][metric]:8.4f}  {q['metrics'][metric]:.3f}  "
                     f"{i + 1:5d}  {q['arch']}")
    atomic_write_text(out / "ranking.txt", "\n".join(lines) + "\n")
    how: dict[str, int] = {}
    for q in res.first:
        name = q["origin"].get("how", "unrecorded")
        how[name] = how.get(name, 0) + 1
    best = None
    if res.keys:
        i = order[0]
        best = {"arch": res.first[i]["arch"], "key": res.keys[i], "metrics": res.latest[res.keys[i]],
                "first_metrics": res.first[i]["metrics"], "query": i + 1}
    atomic_write_json(out / "result.json", {**{k: meta[k] for k in ("method", "seed", "budget")},
                                            "finished": final, "search_metric": metric, "architectures": len(res.keys),
                                            "iterations": max((q["iteration"] for q in res.first), default=-1) + 1,
                                            "origins": how, "best": best, "wall_s": round(res.wall_s, 1),
                                            "config": meta["config"], "oneshot": meta["oneshot"]})
    if final and scores:
        _plot_progress(out / "progress.png", scores, metric, meta["method"])


def _plot_progress(path: Path, scores: list[dict], metric: str, method: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from speechnas.utils.io import atomic_write_with

    its = sorted({s["iteration"] for s in scores})
    fig, ax = plt.subplots(figsize=(6, 4))
    for it in its:
        vals = [s["metrics"][metric] for s in scores if s["iteration"] == it]
        ax.scatter(np.full(len(vals), it) + np.random.default_rng(it).uniform(-0.15, 0.15, len(vals)), vals, s=8,
                   alpha=0.6)
        ax.plot([it - 0.3, it + 0.3], [max(vals)] * 2, color="k", lw=1)
    ax.set_xticks(its)
    ax.set_xlabel("iteration (the whole pool scored with that iteration's weights)")
    ax.set_ylabel(metric)
    ax.set_title(f"{method}: pool scores per iteration (line: best)")
    fig.tight_layout()
    atomic_write_with(path, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)

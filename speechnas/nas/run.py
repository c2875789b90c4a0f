"""The runner: one search (method x seed x budget) with honest accounting, per-iteration state and exact resume.

:func:`run_search` is the single entry point every task uses (NAS-Bench-101/201 tables, a TTS supernet):

    result = run_search(space, evaluator, "seminas", SemiNASConfig(), budget=300, seed=0, out_dir="exp/s0")

After every completed iteration (by default; or at most every ``save_every_s`` seconds) it saves, atomically,
``state.pt`` (strategy state incl. controller weights and its numpy RNG, the query history, the evaluator's
``state_dict()`` when it has one, the global python/numpy/torch RNG states). Re-running with the same arguments resumes from
``state.pt`` and gives the same queries as an uninterrupted run; a finished run is just reloaded.
Outputs (see :mod:`speechnas.nas.results`): ``queries.jsonl`` (every query in order: architecture string,
key, metrics, cost, iteration), ``result.json`` (best architecture by the search metric, best-so-far curve,
cost, wall time) and ``best_so_far.png``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from speechnas.nas.budget import Budget, BudgetExhausted
from speechnas.nas.evaluator import Evaluator
from speechnas.nas.methods import METHODS, get_method
from speechnas.nas.results import write_results
from speechnas.nas.space import SearchSpace
from speechnas.nas.strategy import Strategy
from speechnas.utils.config import to_dict
from speechnas.utils.io import atomic_torch_save
from speechnas.utils.logging import TensorBoardLogger
from speechnas.utils.seed import get_rng_state, seed_everything, set_rng_state

log = logging.getLogger(__name__)

__all__ = ["METHODS", "SearchResult", "build_strategy", "run_search"]

Hook = Callable[[int, Strategy, Budget], None]


@dataclass
class SearchResult:
    method: str
    seed: int
    budget: Budget
    strategy: Strategy
    wall_s: float
    out_dir: Path | None


def build_strategy(space: SearchSpace, method: str, config: Any, seed: int) -> Strategy:
    """The registered method's strategy (:data:`speechnas.nas.methods.METHODS`) on ``space`` (which it sees only
    through a :class:`~speechnas.nas.view.SpaceView`), with ``config`` or the method's defaults."""
    m = get_method(method)
    if config is None:
        config = m.config()
    elif not isinstance(config, m.config_class):
        raise TypeError(f"method {method!r} takes a {m.config_class.__name__}, got a {type(config).__name__}")
    return m.strategy(space, config, seed)


def run_search(space: SearchSpace, evaluator: Evaluator, method: str, config: Any = None, budget: int = 100,
               seed: int = 0, out_dir: str | Path | None = None, hook: Hook | None = None,
               plot: bool = True, write_every_s: float = 30.0, tensorboard: bool = False,
               save_every_s: float = 0.0) -> SearchResult:
    """Run ``method`` until ``budget`` unique queries are used (or the strategy runs out of new architectures).

    ``config`` is the method's config dataclass (``None``: its defaults). The strategy sees the run only through
    ``Budget.view()`` (search metric, seen keys, budget left, query) and the space through a ``SpaceView``.
    ``hook(iteration, strategy, budget)`` runs after every completed iteration, before the state is saved
    (e.g. to train a supernet on the newly queried architectures, ``budget.queries_of(iteration)``); it is
    not re-run on resume for the iterations saved in ``state.pt``.
    ``state.pt`` is saved after an iteration when ``save_every_s`` seconds have passed since the last save
    (0: after every iteration, the default; a resume redoes the unsaved iterations exactly, hooks included)
    and always at the end; ``queries.jsonl``/``result.json`` are rewritten at the end and, with a save, at
    most every ``write_every_s`` seconds on the way. ``tensorboard`` logs the best search metric so far and the
    strategy's per-iteration diagnostics (e.g. controller losses) to ``out_dir/tb``.
    """
    seed_everything(seed)
    strategy = build_strategy(space, method, config, seed)
    wrapped = Budget(space, evaluator, budget)
    out = Path(out_dir) if out_dir is not None else None
    state_path = out / "state.pt" if out is not None else None
    meta = {"method": method, "seed": int(seed), "budget": int(budget), "config": to_dict(strategy.config)}
    done, elapsed = False, 0.0
    if state_path is not None and state_path.exists():
        done, elapsed = _restore(state_path, meta, strategy, wrapped, evaluator)
        log.info("resumed %s from iteration %d (%d queries%s)", state_path, strategy.iteration, wrapped.used,
                 ", finished" if done else "")
    start = last_write = last_save = time.perf_counter()
    tb = TensorBoardLogger(out / "tb") if tensorboard and out is not None else None

    def wall() -> float:
        return elapsed + time.perf_counter() - start

    view = wrapped.view()
    while not done:
        wrapped.iteration = strategy.iteration
        try:
            more = strategy.step(view)
        except BudgetExhausted:
            more = False
        done = not more or wrapped.exhausted
        if hook is not None and more:
            hook(wrapped.iteration, strategy, wrapped)
        if tb is not None and wrapped.used:
            tb.scalars(_iteration_scalars(strategy, wrapped), step=wrapped.used)
        if state_path is not None and (done or time.perf_counter() - last_save >= save_every_s):
            _save(state_path, meta, strategy, wrapped, evaluator, done, wall())
            last_save = time.perf_counter()
            if not done and last_save - last_write > write_every_s:
                write_results(out, space, wrapped, meta, wall(), final=False, plot=False)
                last_write = time.perf_counter()
    if tb is not None:
        tb.close()
    if out is not None:  # also on reload: a run killed between its last save and this write gets its outputs
        write_results(out, space, wrapped, meta, wall(), final=True, plot=plot)
    return SearchResult(method, int(seed), wrapped, strategy, wall(), out)


def _iteration_scalars(strategy: Strategy, budget: Budget) -> dict[str, float]:
    """Best search metric so far plus the numbers in the strategy's latest log entry (losses, step size)."""
    out = {f"search/best_{budget.search_metric}": budget.best().metrics[budget.search_metric],
           "search/iteration": float(strategy.iteration)}
    entry = strategy.log[-1] if getattr(strategy, "log", None) else {}
    for k, v in entry.items():
        for name, value in (v.items() if isinstance(v, dict) else [("", v)]):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[f"strategy/{k}{'_' + name if name else ''}"] = float(value)
    return out


def _save(path: Path, meta: dict, strategy: Strategy, budget: Budget, evaluator: Evaluator, done: bool, wall: float) -> None:
    state = {
        **meta,
        "done": done,
        "wall_s": wall,
        "strategy": strategy.state_dict(),
        "history": budget.state_dict(),
        "evaluator": evaluator.state_dict() if hasattr(evaluator, "state_dict") else None,
        "rng": get_rng_state(),
    }
    atomic_torch_save(state, path)


def _restore(path: Path, meta: dict, strategy: Strategy, budget: Budget, evaluator: Evaluator) -> tuple[bool, float]:
    state = torch.load(path, map_location="cpu", weights_only=False)
    for k in ("method", "seed", "budget", "config"):
        if state.get(k) != meta[k]:
            raise ValueError(f"{path} holds a run with a different {k} ({state.get(k)!r} != {meta[k]!r}); "
                             f"use another output directory or delete it")
    strategy.load_state_dict(state["strategy"])
    budget.load_state_dict(state["history"])
    if state.get("evaluator") is not None and hasattr(evaluator, "load_state_dict"):
        evaluator.load_state_dict(state["evaluator"])
    set_rng_state(state["rng"])
    return bool(state["done"]), float(state["wall_s"])

"""Honest query accounting: the one wrapper every strategy evaluates through.

One query is the first evaluation of a canonical architecture (``space.key``) in a run. Repeats are
served from a cache for free; a batch that would pass the budget is cut exactly at it (the first
``remaining`` new architectures, in order, are evaluated) and :class:`BudgetExhausted` is raised after
they are recorded. Strategies never get the Budget itself: the runner hands them :meth:`Budget.view`, which shows
only the search metric (report-only metrics stay in :attr:`Budget.history`).
"""
from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from typing import Sequence

from speechnas.nas.evaluator import Evaluator, Result
from speechnas.nas.space import Arch, SearchSpace
from speechnas.nas.view import SearchView


def best_so_far_indices(values: Sequence[float]) -> list[int]:
    """Index of the largest value among ``values[:i + 1]`` for each i, earliest wins ties (the one best-so-far rule
    that result.json, queries.jsonl, the curves and the reports all use)."""
    out: list[int] = []
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
        out.append(best)
    return out


class BudgetExhausted(Exception):
    """The run has used its whole query budget."""


@dataclass
class Query:
    """One first evaluation: its order, the architecture, its key, all metrics, cost, the strategy iteration, the
    evaluator's ``info`` and the strategy's ``origin`` (how the architecture came about, e.g. ``{"how": "ascent"}``)."""

    index: int
    arch: Arch
    key: str
    metrics: dict[str, float]
    cost: float
    iteration: int
    info: dict = field(default_factory=dict)
    origin: dict = field(default_factory=dict)


class Budget:
    """Wrap ``evaluator``: dedup by ``space.key``, cache, count first evaluations, stop exactly at ``budget``.

    The inner evaluator is called once per :meth:`query` call with only the new architectures (never once
    per architecture), so a batch evaluator (e.g. a supernet decoding many architectures together) keeps
    its batch. :attr:`iteration` is set by the runner and stamped on each query.
    """

    def __init__(self, space: SearchSpace, evaluator: Evaluator, budget: int):
        if budget < 1:
            raise ValueError(f"budget must be a positive number of queries, got {budget}")
        self.space = space
        self.evaluator = evaluator
        self.budget = int(budget)
        self.search_metric = evaluator.search_metric
        self.history: list[Query] = []
        self.iteration = 0
        self._by_key: dict[str, Query] = {}

    # -- accounting ---------------------------------------------------------------------------------------
    @property
    def used(self) -> int:
        return len(self.history)

    @property
    def remaining(self) -> int:
        return self.budget - len(self.history)

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    @property
    def total_cost(self) -> float:
        return float(sum(q.cost for q in self.history))

    def seen(self, arch: Arch) -> bool:
        """Whether ``arch`` (or another encoding of the same network) was already queried."""
        return self.space.key(arch) in self._by_key

    def seen_key(self, key: str) -> bool:
        return key in self._by_key

    # -- querying -----------------------------------------------------------------------------------------
    def query(self, archs: Sequence[Arch], origins: Sequence[dict] | None = None) -> list[float]:
        """Search-metric value of each architecture, in order; new ones cost one query each.

        ``origins`` (optional, one dict per architecture) says how each came about; it is stored with the query.
        Raises :class:`BudgetExhausted` when the budget is used up, after recording every query it allowed.
        """
        if self.exhausted:
            raise BudgetExhausted(f"budget of {self.budget} queries is used up")
        if origins is not None and len(origins) != len(archs):
            raise ValueError(f"{len(origins)} origins for {len(archs)} architectures")
        keys = []
        new_archs, new_keys, new_origins = [], [], []
        seen_now: set[str] = set()
        for i, arch in enumerate(archs):
            if not self.space.is_valid(arch):
                raise ValueError(f"strategy asked to evaluate an invalid architecture: {arch!r}")
            k = self.space.key(arch)
            keys.append(k)
            if k not in self._by_key and k not in seen_now:
                seen_now.add(k)
                new_keys.append(k)
                new_archs.append(arch)
                new_origins.append(dict(origins[i]) if origins is not None else {})
        cut = len(new_archs) > self.remaining
        if cut:
            new_archs, new_keys = new_archs[: self.remaining], new_keys[: self.remaining]
        if new_archs:
            results = list(self.evaluator.evaluate(new_archs))
            if len(results) != len(new_archs):
                raise RuntimeError(f"evaluator returned {len(results)} results for {len(new_archs)} architectures")
            for arch, k, res, origin in zip(new_archs, new_keys, results, new_origins):
                self._record(arch, k, res, origin)
        if cut:
            raise BudgetExhausted(f"budget of {self.budget} queries is used up")
        return [self._by_key[k].metrics[self.search_metric] for k in keys]

    def view(self) -> SearchView:
        """The read-only view a strategy gets: search-metric pairs, seen keys, budget left, query."""
        budget, metric = self, self.search_metric  # closures, not bound methods: no attribute leads back here

        def query(archs, origins=None):
            return budget.query(archs, origins)

        def labelled():
            return [q.arch for q in budget.history], [q.metrics[metric] for q in budget.history]

        def seen_key(key):
            return key in budget._by_key

        def counts():
            return budget.used, budget.remaining

        return SearchView(metric, query, labelled, seen_key, counts)

    def origin_counts(self, upto: int | None = None) -> dict[str, int]:
        """How many of the first ``upto`` queries came about each way (``origin["how"]``; "unknown" when unset)."""
        counts: dict[str, int] = {}
        for q in self.history[:upto]:
            how = q.origin.get("how", "unknown")
            counts[how] = counts.get(how, 0) + 1
        return counts

    def _record(self, arch: Arch, key: str, res: Result, origin: dict | None = None) -> None:
        if not isinstance(res, Result):
            raise TypeError(f"evaluator must return Result objects, got {type(res).__name__}")
        if self.search_metric not in res.metrics:
            raise KeyError(f"evaluator result for {self.space.to_str(arch)} lacks the search metric "
                           f"'{self.search_metric}' (has {sorted(res.metrics)})")
        value = float(res.metrics[self.search_metric])
        if math.isnan(value):
            raise ValueError(f"evaluator returned NaN '{self.search_metric}' for {self.space.to_str(arch)}")
        q = Query(len(self.history), arch, key, {k: float(v) for k, v in res.metrics.items()}, float(res.cost),
                  self.iteration, dict(res.info), dict(origin or {}))
        self.history.append(q)
        self._by_key[key] = q

    # -- views --------------------------------------------------------------------------------------------
    def labelled(self) -> tuple[list[Arch], list[float]]:
        """Every queried architecture and its search-metric value, in query order (what a strategy may learn from)."""
        return [q.arch for q in self.history], [q.metrics[self.search_metric] for q in self.history]

    def queries_of(self, iteration: int) -> list[Query]:
        """The first evaluations made during strategy iteration ``iteration`` (0 = the initial batch)."""
        return [q for q in self.history if q.iteration == iteration]

    def best(self, upto: int | None = None) -> Query | None:
        """Best query by the search metric among the first ``upto`` queries (earliest wins ties)."""
        hist = self.history[:upto] if upto is not None else self.history
        if not hist:
            return None
        return hist[best_so_far_indices([q.metrics[self.search_metric] for q in hist])[-1]]

    # -- resume -------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The query history, pickled as one blob (cheap to save after every iteration)."""
        rows = [(q.index, q.arch, q.key, q.metrics, q.cost, q.iteration, q.info, q.origin) for q in self.history]
        return {"budget": self.budget, "history": pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)}

    def load_state_dict(self, state: dict) -> None:
        if state["budget"] != self.budget:
            raise ValueError(f"saved run has a budget of {state['budget']} queries, this run {self.budget}")
        self.history = [Query(*row) for row in pickle.loads(state["history"])]  # rows of older runs lack origin
        self._by_key = {q.key: q for q in self.history}

"""Base class of search strategies: an explicit numpy Generator, one :meth:`step` per iteration, exact resume.

A strategy never evaluates directly: :meth:`step` asks a :class:`~speechnas.nas.view.SearchView` (the run's
budget, read-only) for search-metric values, once per batch of new architectures, and says how each came about
(``origin``). Its space is a :class:`~speechnas.nas.view.SpaceView`: the protocol, no benchmark behind it. The
runner calls :meth:`step` until the budget raises :class:`~speechnas.nas.budget.BudgetExhausted` or :meth:`step`
returns ``False`` (nothing new left to try), and saves :meth:`state_dict` after every completed step.

Budgets hold: no decision may depend on the total or remaining budget, so the first B queries of a run are exactly
the queries of a run with budget B (the budget cuts the last batch; ``tests/nas/test_budget_prefix.py`` checks it
for every registered method).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from speechnas.nas.space import Arch, SearchSpace
from speechnas.nas.view import SearchView, space_view


class Strategy:
    """Subclasses implement :meth:`step`; extend :meth:`state_dict` / :meth:`load_state_dict` with their own state."""

    name = "strategy"

    def __init__(self, space: SearchSpace, config: Any, seed: int):
        self.space = space_view(space)
        self.config = config
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.iteration = 0

    def step(self, view: SearchView) -> bool:
        """Run one iteration (query one batch); return ``False`` when the strategy cannot propose anything new."""
        raise NotImplementedError

    # -- helpers shared by strategies --------------------------------------------------------------------------
    def sample_new(self, budget: SearchView, n: int, exclude: set[str] | None = None,
                   max_tries: int | None = None) -> list[Arch]:
        """Up to ``n`` uniformly random architectures whose keys are neither queried nor in ``exclude``
        (``budget``: anything with ``seen_key``, a view or a Budget).

        Gives up after ``max_tries`` draws (default ``100 * n + 1000``), so a nearly exhausted space ends the
        search instead of looping forever; finite spaces with ``enumerate()`` fall back to the unseen rest.
        """
        exclude = set() if exclude is None else exclude
        out: list[Arch] = []
        tries = max_tries if max_tries is not None else 100 * n + 1000
        while len(out) < n and tries > 0:
            tries -= 1
            arch = self.space.sample(self.rng)
            k = self.space.key(arch)
            if not budget.seen_key(k) and k not in exclude:
                out.append(arch)
                exclude.add(k)
        if len(out) < n and hasattr(self.space, "enumerate"):
            rest = [a for a in unseen_representatives(self.space, budget) if self.space.key(a) not in exclude]
            take = self.rng.permutation(len(rest))[: n - len(out)]
            out.extend(rest[i] for i in take)
        return out

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "iteration": self.iteration}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.iteration = state["iteration"]


def origins(how: str, n: int, **extra) -> list[dict]:
    """``n`` copies of ``{"how": how, **extra}`` (the ``origin`` of each query of a batch made one way)."""
    return [{"how": how, **extra} for _ in range(n)]


def unseen_representatives(space: SearchSpace, budget: SearchView) -> list[Arch]:
    """One architecture per key of a finite space (``space.enumerate()``) that the run has not queried yet."""
    seen: set[str] = set()
    out = []
    for arch in space.enumerate():
        k = space.key(arch)
        if k not in seen and not budget.seen_key(k):
            seen.add(k)
            out.append(arch)
    return out

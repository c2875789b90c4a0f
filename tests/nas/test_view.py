"""Strategies cannot reach report-only metrics, the evaluator or the benchmark behind the space.

Every registered strategy runs on a space that carries a "benchmark table" and an evaluator whose report-only
metric holds marker values. Afterwards nothing reachable from the strategy or the view it was given, through
attributes, slots, containers and bound methods, is the Budget, a Query, the evaluator, the real space, the table
or a marker value; and the obvious ways in raise AttributeError. (Closure cells and the garbage collector are not
followed: the views keep their references there; see :mod:`speechnas.nas.view`.)
"""
from __future__ import annotations

import functools
import types
from collections import deque

import numpy as np
import pytest
import torch

from speechnas.nas.budget import Budget, Query
from speechnas.nas.evaluator import Result
from speechnas.nas.methods import METHODS
from speechnas.nas.run import run_search
from speechnas.nas.spaces.toy import ToySpace
from speechnas.nas.view import SearchView, SpaceView
from test_budget_prefix import quick_config

MARK = 1.0e6  # report-only values are MARK + something: a strategy must never hold one


class BenchmarkTable:
    def __init__(self):
        self.rows = {"secret_test_acc": MARK + 1}


class TableSpace(ToySpace):
    """A toy space holding its benchmark table, like NAS-Bench-101's catalog space."""

    def __init__(self):
        super().__init__([(1, 2, 3, 4, 5)] * 4)
        self.benchmark = BenchmarkTable()


class SecretEvaluator:
    search_metric = "score"

    def __init__(self, table: BenchmarkTable):
        self.table = table

    def evaluate(self, archs):
        return [Result({"score": float(sum(a)), "test_acc": MARK + sum(a)}) for a in archs]


def reachable(*roots):
    """Every object reachable from ``roots`` through instance dicts, slots, containers, bound methods and partials
    (functions are leaves: their closures and globals are not followed)."""
    seen, stack, out = set(), list(roots), []
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append(obj)
        if isinstance(obj, (str, bytes, int, float, bool, type(None), type, types.ModuleType, types.FunctionType,
                            types.BuiltinFunctionType, torch.Tensor, np.random.Generator)):
            continue
        if isinstance(obj, types.MethodType):
            stack.append(obj.__self__)
            continue
        if isinstance(obj, functools.partial):
            stack += [obj.func, *obj.args, *obj.keywords.values()]
            continue
        if isinstance(obj, dict):
            stack += list(obj.keys()) + list(obj.values())
            continue
        if isinstance(obj, (list, tuple, set, frozenset, deque)):
            stack += list(obj)
            continue
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack += list(obj.ravel())
            elif obj.dtype.kind == "f":
                out.extend(float(v) for v in obj.ravel())
            continue
        if hasattr(obj, "__dict__"):
            stack.append(vars(obj))
        for cls in type(obj).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if hasattr(obj, slot):
                    stack.append(getattr(obj, slot))
    return out


@pytest.mark.parametrize("method", list(METHODS))
def test_a_strategy_reaches_neither_report_metrics_nor_evaluator_nor_table(method):
    space = TableSpace()
    evaluator = SecretEvaluator(space.benchmark)
    views = []

    def hook(it, strategy, budget):  # the runner hands the strategy this budget's view
        views.append(strategy)

    res = run_search(space, evaluator, method, quick_config(method), budget=25, seed=0, hook=hook)
    assert res.budget.used == 25 and res.budget.history[0].metrics["test_acc"] >= MARK  # the runner kept them
    strategy = res.strategy
    found = reachable(strategy, res.budget.view())
    forbidden = (Budget, Query, SecretEvaluator, BenchmarkTable, TableSpace)
    assert not [o for o in found if isinstance(o, forbidden)], method
    assert not [o for o in found if isinstance(o, float) and o >= MARK], method
    assert not [o for o in found if isinstance(o, str) and o in ("test_acc", "secret_test_acc")], method
    assert isinstance(strategy.space, SpaceView)
    for name in ("benchmark", "_inner", "__dict__", "evaluate"):
        with pytest.raises(AttributeError):
            getattr(strategy.space, name)


def test_the_view_shows_the_search_metric_only_and_cannot_be_changed():
    space = TableSpace()
    budget = Budget(space, SecretEvaluator(space.benchmark), budget=5)
    view = budget.view()
    assert isinstance(view, SearchView) and view.search_metric == "score"
    assert view.query([(1, 1, 1, 1), (2, 1, 1, 1)], [{"how": "initial"}] * 2) == [4.0, 5.0]
    assert view.labelled() == ([(1, 1, 1, 1), (2, 1, 1, 1)], [4.0, 5.0])
    assert view.seen_key(space.key((2, 1, 1, 1))) and not view.seen_key(space.key((3, 1, 1, 1)))
    assert (view.used, view.remaining, view.exhausted) == (2, 3, False)
    assert budget.history[0].origin == {"how": "initial"} and budget.history[0].metrics["test_acc"] == MARK + 4
    for name in ("budget", "_budget", "history", "evaluator", "space", "best", "__dict__"):
        with pytest.raises(AttributeError):
            getattr(view, name)
    with pytest.raises(AttributeError, match="read-only"):
        view.search_metric = "test_acc"
    with pytest.raises(AttributeError, match="read-only"):
        view._query = None
    with pytest.raises(ValueError, match="2 origins for 1 architectures"):
        view.query([(3, 3, 3, 3)], [{}, {}])


def test_the_space_view_is_the_protocol_and_forwards_it():
    space = TableSpace()
    sv = SpaceView(space)
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    assert sv.sample(rng_a) == space.sample(rng_b) and sv.key((2, 1, 1, 1)) == space.key((2, 1, 1, 1))
    assert (sv.name, sv.seq_len, sv.vocab_size, sv.size()) == ("toy", 4, space.vocab_size, 625)
    assert sv.encode((1, 2, 3, 4)) == [1, 2, 3, 4] and sv.decode([1, 2, 3, 4]) == (1, 2, 3, 4)
    assert len(list(sv.enumerate())) == 625 and sv.to_str((1, 2, 3, 4)) == "1-2-3-4"
    with pytest.raises(AttributeError, match="only the search-space protocol"):
        sv.benchmark
    with pytest.raises(AttributeError, match="read-only"):
        sv.benchmark = 1
    with pytest.raises(TypeError, match="cannot be pickled"):
        __import__("pickle").dumps(sv)

    class Infinite(ToySpace):  # no size()/enumerate(): the view must not invent them
        size = enumerate = property(lambda self: (_ for _ in ()).throw(AttributeError("none")))

    inf = SpaceView(Infinite())
    assert not hasattr(inf, "enumerate") and not hasattr(inf, "size") and hasattr(inf, "sample")

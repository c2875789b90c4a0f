"""Budget accounting: one query per canonical architecture, one evaluator call per batch, exact stop."""
from __future__ import annotations

import pytest

from speechnas.nas.budget import Budget, BudgetExhausted
from speechnas.nas.evaluator import FunctionalEvaluator, Result
from speechnas.nas.spaces.toy import ToySpace


class CountingEvaluator:
    search_metric = "score"

    def __init__(self):
        self.calls: list[list] = []

    def evaluate(self, archs):
        self.calls.append(list(archs))
        return [Result({"score": float(sum(a)), "secret": -1.0}, cost=0.5) for a in archs]


def test_duplicates_and_equivalent_encodings_count_once():
    space, ev = ToySpace([(1, 2, 3)] * 3, commutative=True), CountingEvaluator()
    b = Budget(space, ev, budget=10)
    assert b.query([(1, 2, 3), (3, 2, 1), (1, 2, 3), (1, 1, 1)]) == [6.0, 6.0, 6.0, 3.0]
    assert ev.calls == [[(1, 2, 3), (1, 1, 1)]]  # one call, only the new keys
    assert b.query([(2, 1, 3), (1, 1, 1)]) == [6.0, 3.0] and len(ev.calls) == 1  # cache hits cost nothing
    assert b.used == 2 and b.remaining == 8 and b.total_cost == pytest.approx(1.0)
    assert b.seen((3, 1, 2)) and not b.seen((2, 2, 2))
    assert [q.index for q in b.history] == [0, 1] and b.best().arch == (1, 2, 3)


def test_stops_exactly_at_the_budget_mid_batch():
    space, ev = ToySpace([(1, 2, 3, 4)] * 2), CountingEvaluator()
    b = Budget(space, ev, budget=5)
    b.query([(1, 1), (1, 2), (1, 3)])
    with pytest.raises(BudgetExhausted):
        b.query([(1, 1), (2, 1), (2, 2), (2, 3), (2, 4)])
    assert ev.calls[-1] == [(2, 1), (2, 2)]  # only what fits is evaluated, in order
    assert b.used == 5 and b.exhausted
    with pytest.raises(BudgetExhausted):
        b.query([(1, 1)])
    assert len(ev.calls) == 2


def test_exactly_filling_the_budget_returns_values_then_stops():
    space, ev = ToySpace([(1, 2)] * 2), CountingEvaluator()
    b = Budget(space, ev, budget=2)
    assert b.query([(1, 1), (2, 2)]) == [2.0, 4.0] and b.exhausted
    with pytest.raises(BudgetExhausted):
        b.query([(1, 2)])


def test_strategies_see_only_the_search_metric_and_bad_results_fail_clearly():
    space = ToySpace([(1, 2)] * 2)
    b = Budget(space, CountingEvaluator(), budget=3)
    assert b.query([(1, 2)]) == [3.0] and b.labelled() == ([(1, 2)], [3.0])
    assert b.history[0].metrics == {"score": 3.0, "secret": -1.0}  # report-only metrics kept for the record
    with pytest.raises(ValueError, match="invalid architecture"):
        b.query([(1, 5)])
    wrong = Budget(space, FunctionalEvaluator(lambda archs: [Result({"other": 1.0}) for _ in archs], "score"), 3)
    with pytest.raises(KeyError, match="lacks the search metric 'score'"):
        wrong.query([(1, 1)])
    short = Budget(space, FunctionalEvaluator(lambda archs: [], "score"), 3)
    with pytest.raises(RuntimeError, match="0 results for 1"):
        short.query([(1, 1)])


def test_state_round_trip():
    space = ToySpace([(1, 2, 3)] * 2)
    b = Budget(space, CountingEvaluator(), budget=4)
    b.iteration = 3
    b.query([(1, 2), (3, 3)])
    c = Budget(space, CountingEvaluator(), budget=4)
    c.load_state_dict(b.state_dict())
    assert c.history == b.history and c.seen((3, 3)) and c.remaining == 2 and c.history[0].iteration == 3
    with pytest.raises(ValueError, match="budget of 4"):
        Budget(space, CountingEvaluator(), budget=5).load_state_dict(b.state_dict())

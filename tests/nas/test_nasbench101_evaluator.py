"""NAS-Bench-101 query rules: a seeded random repeat's validation accuracy, mean test for reports, time counters."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_path
from speechnas.nas.evaluator import Evaluator
from speechnas.nas.evaluators.nasbench101 import NasBench101Evaluator
from speechnas.nas.nasbench101 import NasBench101, NotInBenchmark, from_str
from speechnas.nas.spaces.nasbench101 import NasBench101CatalogSpace


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> NasBench101:
    path = tmp_path_factory.mktemp("nb101") / "nasbench_only108.tfrecord"
    path.write_bytes(shared_path("data", "nasbench", "nb101_fixture_only108.tfrecord").read_bytes())
    return NasBench101.load(path)


def _draws(bench, seed, n=5):
    ev = NasBench101Evaluator(bench, seed=seed)
    cells = [bench.cell(r) for r in range(len(bench))] * n
    return [r.metrics["valid_acc"] for r in ev.evaluate(cells)], ev


def test_queries_are_reproducible_with_a_seed(bench):
    a, _ = _draws(bench, 7)
    b, _ = _draws(bench, 7)
    c, _ = _draws(bench, 8)
    assert a == b and a != c


def test_a_query_returns_one_repeat_and_the_mean_test(bench):
    ev = NasBench101Evaluator(bench, seed=0)
    assert isinstance(ev, Evaluator) and ev.search_metric == "valid_acc"
    seen: dict[int, set] = {}
    for _ in range(20):
        for row in range(len(bench)):
            res = ev.evaluate([bench.cell(row)])[0]
            reps = bench.repeats(row)
            k = res.info["repeat"]
            assert res.metrics["valid_acc"] == 100 * reps[k, 2] and res.cost == reps[k, 0]
            assert res.metrics["test_acc"] == pytest.approx(100 * reps[:, 3].mean(), abs=1e-9)
            assert res.info["hash"] == bench.hash_of(row)
            seen.setdefault(row, set()).add(k)
    assert all(s == {0, 1, 2} for s in seen.values())  # every repeat gets drawn
    counters = ev.budget_counters()
    assert counters["queries"] == 600 and counters["unique_hashes"] == 30 and counters["epochs_spent"] == 600 * 108


def test_isomorphic_queries_hit_the_same_record_and_budget_counts_hashes(bench):
    budget_mod = pytest.importorskip("speechnas.nas.budget")
    space = NasBench101CatalogSpace(bench)
    ev = NasBench101Evaluator(bench, seed=1)
    budget = budget_mod.Budget(space, ev, budget=40)
    cell = bench.cell(0)
    renamed = space.decode(space.encode(cell))  # the 7-vertex embedding: another encoding of the same network
    budget.query([cell, renamed, cell])
    assert budget.used == 1 and ev.queries == 1
    budget.query([bench.cell(r) for r in range(len(bench))])
    assert budget.used == 30 and budget.total_cost == pytest.approx(ev.training_time_spent)


def test_resume_continues_the_same_draws(bench):
    cells = [bench.cell(r) for r in range(len(bench))]
    ev = NasBench101Evaluator(bench, seed=4)
    ev.evaluate(cells)
    state = ev.state_dict()
    rest = [r.metrics["valid_acc"] for r in ev.evaluate(cells)]
    other = NasBench101Evaluator(bench, seed=99)
    other.load_state_dict(state)
    assert [r.metrics["valid_acc"] for r in other.evaluate(cells)] == rest


def test_errors(bench):
    with pytest.raises(ValueError, match="epochs=12"):
        NasBench101Evaluator(bench, epochs=12)
    with pytest.raises(NotInBenchmark, match="423,624"):
        NasBench101Evaluator(bench).evaluate([from_str("0100|input,output")])


def test_whole_space_statistics(bench):
    test = bench.mean("test_accuracy")
    best_row, best = bench.best()
    assert best == test.max() and bench.rank_of(best_row) == 1
    ranks = sorted(bench.rank_of(r) for r in range(len(bench)))
    assert ranks[0] == 1 and ranks[-1] <= 30 and np.isfinite(test).all()

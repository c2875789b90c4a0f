"""NAS-Bench-101 query rules: a seeded random repeat's validation accuracy, mean test for reports, cost = time."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_path
from speechnas.nas.budget import Budget
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
    # accuracies in percent only: nothing of another scale (params, seconds) shares the best-so-far plot's axis
    assert set(res.metrics) == {"valid_acc", "test_acc", "valid_mean_acc", "train_acc", "repeat_test_acc"}
    assert all(0 < v <= 100 for v in res.metrics.values())


def test_isomorphic_queries_hit_the_same_record_and_budget_counts_hashes(bench):
    space = NasBench101CatalogSpace(bench)
    budget = Budget(space, NasBench101Evaluator(bench, seed=1), budget=40)
    row = next(r for r in range(len(bench)) if bench.cell(r).num_vertices < 7)
    cell = bench.cell(row)
    renamed = space.decode(space.encode(cell))  # the 7-vertex embedding: another encoding of the same network
    assert renamed != cell
    budget.query([cell, renamed, cell])
    assert budget.used == 1 and budget.history[0].info["hash"] == bench.hash_of(row)
    budget.query([bench.cell(r) for r in range(len(bench))])
    # the official counters: unique hashes and the summed training time of the drawn repeats
    assert budget.used == 30 and len({q.info["hash"] for q in budget.history}) == 30
    times = [bench.repeats(bench.row_of_hash(q.key))[q.info["repeat"], 0] for q in budget.history]
    assert budget.total_cost == pytest.approx(sum(times)) and budget.total_cost > 0


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
    assert np.isfinite(test).all()
    ranks = np.array([bench.rank_of(r) for r in range(len(bench))])
    by_mean = np.argsort(-test, kind="stable")  # best mean first
    assert ranks[by_mean[0]] == 1 and np.all(np.diff(ranks[by_mean]) >= 0)  # ranks follow the means ...
    for a, b in zip(by_mean, by_mean[1:]):  # ... strictly where the means differ, shared where they tie
        assert (ranks[a] < ranks[b]) == (test[a] > test[b])

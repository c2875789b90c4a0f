"""Budgets hold: for every method in the registry, the first B queries of a run are exactly what a run of budget B
returns (architectures and origins), so one run at the largest budget serves every smaller one. And the whole
unqueried space as the unlabelled set is refused, before any query, on a space above the limit."""
from __future__ import annotations

from dataclasses import replace

import pytest

from speechnas.nas.controller import ControllerConfig
from speechnas.nas.controller_train import AscentConfig
from speechnas.nas.evaluator import Result
from speechnas.nas.methods import METHODS
from speechnas.nas.run import run_search
from speechnas.nas.semi_predictor import WHOLE_SPACE_LIMIT
from speechnas.nas.spaces.toy import ToySpace, sum_evaluator

# small, quick settings for whatever a registered method's config has; batches of 4-5 so budgets cut them mid-way.
# A controller this small often decodes only what it was trained on, so random cells fill in (fill_random): they are
# drawn in order from the strategy's generator, part of what must not depend on the budget.
QUICK = dict(pretrain_epochs=40, train_epochs=5, semi_epochs=2, initial=8, new_per_iteration=5, top_k=12,
             population=8, tournament=3, children_per_iteration=4, batch_size=5, fill_random=True)


def quick_config(method: str, **extra):
    """The registry's default config of ``method`` shrunk to test size (fields it lacks are skipped)."""
    cfg = METHODS[method].config()
    for name, value in {**QUICK, **extra}.items():
        if hasattr(cfg, name):
            setattr(cfg, name, value)
    if getattr(cfg, "unlabelled", 0) > 0:
        cfg.unlabelled = 40
    if hasattr(cfg, "ascent"):
        cfg.ascent = AscentConfig(step_start=1.0, step_growth=1.0, step_max=6.0)
    if hasattr(cfg, "controller"):
        cfg.controller = ControllerConfig(hidden_size=8, mlp_hidden=8)
    return cfg


def queries(res):
    return [(q.arch, q.origin) for q in res.budget.history]


SPACE = ToySpace([(1, 2, 3, 4, 5)] * 4)  # 625 architectures, every key distinct


@pytest.mark.parametrize("method", list(METHODS))
def test_first_b_queries_are_a_budget_b_run(method):
    cfg = quick_config(method)
    long = run_search(SPACE, sum_evaluator(), method, cfg, budget=31, seed=3)
    assert long.budget.used == 31
    for b in (6, 13, 22):  # inside the initial batch, and inside later batches
        short = run_search(SPACE, sum_evaluator(), method, quick_config(method), budget=b, seed=3)
        assert queries(short) == queries(long)[:b], (method, b)


@pytest.mark.parametrize("method, extra", [("seminas", {"candidate_factor": 3.0}), ("seminas", {"fill_random": True}),
                                           ("seminas_screen", {"candidate_factor": 2.0}),
                                           ("seminas_re", {"screen_factor": 6, "children_per_iteration": 7}),
                                           ("re", {"children_per_iteration": 6})])
def test_budgets_hold_with_screening_and_larger_batches(method, extra):
    long = run_search(SPACE, sum_evaluator(), method, quick_config(method, **extra), budget=30, seed=5)
    short = run_search(SPACE, sum_evaluator(), method, quick_config(method, **extra), budget=19, seed=5)
    assert long.budget.used == 30 and queries(short) == queries(long)[:19]


def test_every_query_records_how_it_came_about():
    gen = {"initial", "ascent", "seed_decoding", "random_fill"}
    expected = {"seminas": gen, "seminas_screen": gen, "nao": gen, "seminas_re": {"initial", "mutation", "random_fill"},
                "re": {"initial", "mutation", "random_fill"}, "random": {"random"}}
    assert set(expected) == set(METHODS)
    for method in METHODS:
        res = run_search(SPACE, sum_evaluator(), method, quick_config(method), budget=25, seed=1)
        hows = [q.origin["how"] for q in res.budget.history]
        assert set(hows) <= expected[method], method
        if method in ("seminas", "seminas_screen", "nao"):
            assert {"ascent", "seed_decoding"} & set(hows), method  # the controller did generate some
        assert sum(res.budget.origin_counts().values()) == res.budget.used
        if method not in ("random",):
            assert hows[:8] == ["initial"] * 8  # N or P random ones first
        for q in res.budget.history:  # ascent origins say from which seed and at which step
            if q.origin["how"] in ("ascent", "seed_decoding"):
                assert q.origin["eta"] > 0 and q.origin["seed_rank"] >= 0


def test_fill_random_is_off_by_default_and_counted_when_on():
    assert METHODS["seminas"].config().fill_random is False and METHODS["seminas_screen"].config().fill_random is False

    class Stuck(ToySpace):  # no decoding is valid, so ascent never finds anything new
        def decode(self, tokens):
            return None

    space = Stuck([(1, 2, 3, 4, 5)] * 4)
    off = run_search(space, sum_evaluator(), "seminas", quick_config("seminas", fill_random=False), budget=30, seed=0)
    assert off.budget.used == 8 and off.budget.origin_counts() == {"initial": 8}  # 3 empty iterations, then it ends
    on = run_search(space, sum_evaluator(), "seminas", quick_config("seminas", fill_random=True), budget=30, seed=0)
    assert on.budget.used == 30 and on.budget.origin_counts() == {"initial": 8, "random_fill": 22}
    assert [e["origins"]["random_fill"] for e in on.strategy.log] == [5, 5, 5, 5, 5]


class Big(ToySpace):
    """A finite space above the whole-space limit (10**6 cells)."""

    def __init__(self):
        super().__init__([tuple(range(1, 11))] * 6)


class Counting:
    search_metric = "score"

    def __init__(self):
        self.calls = 0

    def evaluate(self, archs):
        self.calls += 1
        return [Result({"score": float(sum(a))}) for a in archs]


@pytest.mark.parametrize("method", ["seminas_screen", "seminas_re"])
def test_whole_space_on_a_space_above_the_limit_is_refused_before_any_query(method):
    assert Big().size() > WHOLE_SPACE_LIMIT
    ev = Counting()
    with pytest.raises(ValueError, match=rf"{method}.unlabelled = -1 would pseudo-label every unqueried architecture "
                                         r"of toy \(1,000,000 > 100,000\).*set unlabelled to a number"):
        run_search(Big(), ev, method, replace(quick_config(method), unlabelled=-1), budget=20, seed=0)
    assert ev.calls == 0
    res = run_search(Big(), ev, method, replace(quick_config(method), unlabelled=30), budget=12, seed=0)
    assert res.budget.used == 12


def test_nasbench101_space_refuses_the_whole_space():
    from speechnas.nas.spaces.nasbench101 import NasBench101CatalogSpace

    class Table:  # only its size matters here: the real file's 423,624 cells
        source = "nasbench_only108.tfrecord"

        def __len__(self):
            return 423_624

    space = NasBench101CatalogSpace(Table())
    with pytest.raises(ValueError, match=r"seminas_re.unlabelled = -1 .* nasbench101 \(423,624 > 100,000\)"):
        run_search(space, Counting(), "seminas_re", replace(quick_config("seminas_re"), unlabelled=-1), budget=5)


@pytest.mark.parametrize("method, value, message", [
    ("seminas", -1, "every unqueried architecture .* is the method seminas_screen"),
    ("seminas", 0, "this is the method nao"), ("seminas_screen", 0, "this is the method nao"),
    ("nao", 100, "NAO has no pseudo-labelled architectures")])
def test_each_name_means_one_method(method, value, message):
    with pytest.raises(ValueError, match=message):
        run_search(SPACE, Counting(), method, replace(quick_config(method), unlabelled=value), budget=5)

"""Every strategy on a toy arithmetic space (score = sum of the values): finds the optimum, batches its
queries, stops when the space is exhausted, and its first B queries do not depend on the total budget."""
from __future__ import annotations

import pytest
import torch

from speechnas.nas.controller import ControllerConfig
from speechnas.nas.controller_train import AscentConfig, TrainConfig
from speechnas.nas.evaluator import Result
from speechnas.nas.evolution import EvolutionConfig, SemiNASREConfig
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.nas.methods import METHODS
from speechnas.nas.run import run_search
from speechnas.nas.seminas import SemiNASConfig, SemiNASScreenConfig
from speechnas.nas.spaces.toy import ToySpace, sum_evaluator

SMALL = dict(pretrain_epochs=60, train_epochs=10, semi_epochs=1, semi_batch_size=100,
             controller=ControllerConfig(hidden_size=16), train=TrainConfig(lr=5e-3))
FILL = dict(fill_random=True)  # a controller this small decodes mostly what it was trained on: random cells fill in
ASCENT = AscentConfig(step_start=1.0, step_growth=1.0, step_max=10.0)


def small_config(method: str):
    return {
        "seminas": SemiNASConfig(initial=10, new_per_iteration=5, top_k=20, ascent=ASCENT, unlabelled=50, **SMALL, **FILL),
        "seminas_screen": SemiNASScreenConfig(initial=10, new_per_iteration=5, top_k=20, ascent=ASCENT, **SMALL, **FILL),
        "nao": SemiNASConfig(initial=10, new_per_iteration=5, top_k=20, ascent=ASCENT, unlabelled=0, **SMALL, **FILL),
        "seminas_re": SemiNASREConfig(population=10, tournament=3, children_per_iteration=5, screen_factor=4, **SMALL),
        "re": EvolutionConfig(population=10, tournament=3),
        "random": RandomSearchConfig(batch_size=5),
    }[method]


class Recording:
    search_metric = "score"

    def __init__(self):
        self.calls = []

    def evaluate(self, archs):
        self.calls.append(len(archs))
        return [Result({"score": float(sum(a))}) for a in archs]


def test_every_method_is_in_the_registry():
    assert list(METHODS) == ["seminas", "seminas_screen", "nao", "seminas_re", "re", "random"]
    with pytest.raises(ValueError, match="unknown search method 'bo'.*nao"):
        run_search(ToySpace(), sum_evaluator(), "bo", None, 5)
    with pytest.raises(TypeError, match="'seminas_screen' takes a SemiNASScreenConfig, got a SemiNASConfig"):
        run_search(ToySpace(), sum_evaluator(), "seminas_screen", SemiNASConfig(), 5)


# evaluator calls of a 70-query run with small_config: the initial batch (N or P = 10), then one batch per iteration
CALLS = {"seminas": [10] + [5] * 12, "seminas_screen": [10] + [5] * 12, "nao": [10] + [5] * 12,
         "seminas_re": [10] + [5] * 12, "re": [10] + [1] * 60}


@pytest.mark.parametrize("method", ["seminas", "seminas_screen", "nao", "seminas_re", "re"])
def test_finds_the_optimum_of_the_toy_space(method):
    space = ToySpace([(1, 2, 3, 4)] * 4)  # 256 architectures, unique optimum (4, 4, 4, 4)
    ev = Recording()
    res = run_search(space, ev, method, small_config(method), budget=70, seed=0)
    assert res.budget.used == 70 and res.budget.best().arch == (4, 4, 4, 4)
    assert ev.calls == CALLS[method]  # one evaluator call per iteration, each with the configured batch
    assert [len(res.budget.queries_of(i)) for i in range(len(CALLS[method]))] == CALLS[method]


class WithoutEnumerate:
    """A ToySpace that hides ``enumerate``/``size``, like an infinite space."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        if name in ("enumerate", "size"):
            raise AttributeError(name)
        return getattr(self._inner, name)


@pytest.mark.parametrize("method", ["seminas_screen", "seminas_re"])
def test_whole_space_unlabelled_needs_enumerate_and_fails_before_any_query(method):
    ev = Recording()
    cfg = small_config(method)
    assert cfg.unlabelled == (-1 if method == "seminas_screen" else 1000)  # SemiNAS(RE): M = 1,000 by default
    cfg.unlabelled = -1
    with pytest.raises(ValueError, match=f"{method}.unlabelled = -1 .*enumerate.*set unlabelled to a number"):
        run_search(WithoutEnumerate(ToySpace()), ev, method, cfg, budget=30, seed=0)
    assert ev.calls == []
    cfg.unlabelled = 8  # a number works on such a space
    res = run_search(WithoutEnumerate(ToySpace()), ev, method, cfg, budget=20, seed=0)
    assert res.budget.used == 20 and all(e["unlabelled"] == 8 for e in res.strategy.log)


def test_random_search_covers_a_finite_space_and_stops():
    space = ToySpace([(1, 2, 3, 4)] * 3)
    res = run_search(space, sum_evaluator(), "random", small_config("random"), budget=1000, seed=0)
    assert res.budget.used == 64 and res.budget.best().arch == (4, 4, 4)


@pytest.mark.parametrize("method", list(METHODS))
def test_stops_when_every_key_is_queried(method):
    space = ToySpace([(1, 2)] * 3, commutative=True)  # 4 keys
    res = run_search(space, sum_evaluator(), method, small_config(method), budget=50, seed=1)
    assert res.budget.used == 4 and res.budget.best().metrics["score"] == 6.0


def test_ascent_orders_candidates_per_round_or_per_seed():
    """Seed 0 (best) decodes to an already-queried cell at eta=1 and to a new one at eta=2; seed 1 is new at eta=1."""
    from speechnas.nas.budget import Budget
    from speechnas.nas.seminas import SemiNAS

    space = ToySpace([(1, 2, 3)] * 2)
    budget = Budget(space, sum_evaluator(), 10)
    budget.query([(1, 1)])
    view = budget.view()
    rounds = [(1.0, torch.tensor([[1, 1], [2, 2]])), (2.0, torch.tensor([[3, 1], [2, 3]]))]
    strategy = SemiNAS(space, small_config("seminas"), seed=0)
    # (architecture, seed index, step size) of each new key, in the order found, and the last step size tried
    assert strategy._per_round(iter(rounds), 2, view) == ([((2, 2), 1, 1.0), ((3, 1), 0, 2.0)], 2.0)
    assert strategy._per_round(iter(rounds), 1, view) == ([((2, 2), 1, 1.0)], 1.0)
    assert strategy._per_seed(iter(rounds), 2, view) == ([((3, 1), 0, 2.0), ((2, 2), 1, 1.0)], 2.0)
    assert strategy._per_seed(iter(rounds), 1, view) == ([((3, 1), 0, 2.0)], 2.0)

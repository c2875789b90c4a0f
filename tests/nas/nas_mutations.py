"""Deliberate breakages of the SemiNAS search, for checking that the tests notice them (mutation testing).

A pytest plugin: ``SPEECHNAS_MUTATION=<name> python -m pytest -p nas_mutations tests/nas/...`` (with ``tests/nas`` on
``PYTHONPATH``) applies one mutation before the tests run. ``benchmarks/nas/mutation_check.py`` runs every mutation
and reports which tests failed. Each mutation patches the function the search calls through its module, so the
whole search (and the unit tests of that function) see the broken version:

- ``random_only``: no generation; the controller's "generated" architectures are uniformly random (and labelled as
  if ascent had found them, so only behaviour can tell).
- ``ascent_downhill``: gradient ascent moves against the predictor's gradient.
- ``seeds_worst_first``: the top-K seeds are the K lowest-scored instead of the highest.
- ``no_pseudo_phase``: the semi-supervised training on labelled + pseudo-labelled architectures is skipped.
- ``pseudo_true_labels``: pseudo-labels are the architectures' true search-metric values (an oracle: what a
  strategy that reached the evaluator could do), scaled like the labelled targets.
"""
from __future__ import annotations

import os

import numpy as np
import torch

MUTATIONS: dict = {}


def mutation(fn):
    MUTATIONS[fn.__name__] = fn
    return fn


@mutation
def random_only() -> None:
    from speechnas.nas.seminas import SemiNAS

    def generate(self, seeds, n_new, view):
        new = self.sample_new(view, n_new)
        return new, [{"how": "ascent", "eta": 1.0, "seed_rank": 0} for _ in new], 1.0

    SemiNAS.generate = generate


@mutation
def ascent_downhill() -> None:
    from speechnas.nas import controller_train as ct

    original = ct.ascent_direction

    def downhill(model, seeds):
        outputs, grad = original(model, seeds)
        return outputs, -grad

    ct.ascent_direction = downhill


@mutation
def seeds_worst_first() -> None:
    from speechnas.nas import seminas

    seminas.select_seeds = lambda scores, k: np.argsort(np.asarray(scores), kind="stable")[:k]


@mutation
def no_pseudo_phase() -> None:
    from speechnas.nas.semi_predictor import SemiSupervisedPredictor

    SemiSupervisedPredictor.semi_train = lambda self, tokens, targets: {}


@mutation
def pseudo_true_labels() -> None:
    from speechnas.nas import budget as budget_module
    from speechnas.nas.semi_predictor import SemiSupervisedPredictor

    oracle: dict = {}
    init = budget_module.Budget.__init__

    def remember(self, space, evaluator, budget):  # the evaluator of the run being made (what the view hides)
        init(self, space, evaluator, budget)
        oracle["evaluator"] = evaluator

    budget_module.Budget.__init__ = remember
    fit = SemiSupervisedPredictor.fit

    def fit_with_truth(self, archs, values, unlabelled=()):
        ev = oracle.get("evaluator")
        if ev is None or not len(unlabelled):
            return fit(self, archs, values, unlabelled)
        truth = np.array([r.metrics[ev.search_metric] for r in ev.evaluate(list(unlabelled))])
        v = np.asarray(values, dtype=np.float64)
        scaled = (truth - v.mean()) / (v.std() + 1e-8)
        if self.cfg.target_clip > 0:
            scaled = np.maximum(scaled, -self.cfg.target_clip)
        self.pseudo_label = lambda archs_, tokens: torch.tensor(scaled, dtype=torch.float32, device=self.device)
        try:
            return fit(self, archs, values, unlabelled)
        finally:
            del self.pseudo_label

    SemiSupervisedPredictor.fit = fit_with_truth


def pytest_configure(config) -> None:
    name = os.environ.get("SPEECHNAS_MUTATION", "")
    if not name:
        return
    if name not in MUTATIONS:
        raise ValueError(f"SPEECHNAS_MUTATION={name!r}: unknown mutation; choose one of {sorted(MUTATIONS)}")
    MUTATIONS[name]()

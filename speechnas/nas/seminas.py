"""SemiNAS (Luo et al., 2020, Algorithm 1); NAO is the same loop with no unlabelled architectures (M = 0).

Iteration 0 queries N random architectures. Every later iteration:
1. trains the controller on the labelled set, pseudo-labels M fresh unlabelled architectures (M = -1:
   every unqueried key of a finite space, which the paper allows for small spaces) and trains on the
   labelled set repeated ``upsample`` times plus the pseudo-labelled set
   (:class:`~speechnas.nas.semi_predictor.SemiSupervisedPredictor`);
2. takes the top-K of labelled and pseudo-labelled architectures by (true or predicted) score, highest
   first, and moves them along the predictor's gradient with a growing step size until
   ``new_per_iteration`` valid, never-queried architectures are found (dedup by canonical key);
3. queries them, in one evaluator call.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from speechnas.nas.budget import Budget
from speechnas.nas.controller_train import AscentConfig, allowed_mask, ascent_candidates
from speechnas.nas.semi_predictor import PredictorConfig, PredictorStrategyMixin, SemiSupervisedPredictor
from speechnas.nas.space import Arch, SearchSpace
from speechnas.nas.strategy import Strategy, unseen_representatives


@dataclass
class SemiNASConfig(PredictorConfig):
    """Every knob of SemiNAS (the controller's training knobs come from :class:`PredictorConfig`)."""

    initial: int = 30  # N: random architectures queried first
    new_per_iteration: int = 15  # architectures generated and queried per iteration
    top_k: int = 100  # K: seeds of gradient ascent
    iterations: int = 0  # L: iterations after the initial one; 0 = until the budget is used up
    candidate_factor: float = 1.0  # generate this many times the quota, keep the best-predicted (1 = paper)
    fill_random: bool = True  # top up with random architectures when ascent finds too few new ones
    ascent: AscentConfig = field(default_factory=AscentConfig)


def nao_config() -> SemiNASConfig:
    """NAO as a preset of SemiNAS: no pseudo-labelled architectures."""
    return SemiNASConfig(unlabelled=0)


def draw_unlabelled(strategy: Strategy, budget: Budget, m: int) -> list[Arch]:
    """M fresh random unqueried architectures (distinct keys); all of them when M = -1 or M covers the space.

    ``size()`` counts cells, at least as many as keys, so ``M >= size() - used`` surely covers every unqueried
    key without enumerating the space (NAS-Bench-101: 423k cells); an M between the unqueried keys and cells
    gets the same set from :meth:`Strategy.sample_new`, which ends with the unqueried rest. ``M = -1`` on a
    space without ``enumerate()`` is refused when the predictor is built, before any query.
    """
    space = strategy.space
    if m == 0:
        return []
    if m < 0 or (hasattr(space, "enumerate") and m >= space.size() - budget.used):
        return unseen_representatives(space, budget)
    return strategy.sample_new(budget, m)


class SemiNAS(PredictorStrategyMixin, Strategy):
    name = "seminas"

    def __init__(self, space: SearchSpace, config: SemiNASConfig, seed: int):
        super().__init__(space, config, seed)
        self.predictor = SemiSupervisedPredictor(space, config)
        self.mask = allowed_mask(space, self.predictor.device)
        self.log: list[dict] = []  # per-iteration diagnostics (losses, ascent step size reached)

    def step(self, budget: Budget) -> bool:
        cfg = self.config
        if self.iteration == 0:
            archs = self.sample_new(budget, min(cfg.initial, budget.remaining))
            if archs:
                budget.query(archs)
            self.iteration += 1
            return bool(archs)
        if cfg.iterations and self.iteration > cfg.iterations:
            return False
        archs, values = budget.labelled()
        unlabelled = draw_unlabelled(self, budget, cfg.unlabelled)
        z, pseudo, info = self.predictor.fit(archs, values, unlabelled)
        pool, scores = list(archs) + list(unlabelled), np.concatenate([z, pseudo])
        n_new = min(cfg.new_per_iteration, budget.remaining)
        order = np.argsort(-scores, kind="stable")[: cfg.top_k]
        new, info["last_eta"] = self.generate([pool[i] for i in order], n_new, budget)
        if len(new) < n_new and cfg.fill_random:
            info["random_fill"] = n_new - len(new)
            new += self.sample_new(budget, n_new - len(new), exclude={self.space.key(a) for a in new})
        self.log.append({"iteration": self.iteration, **info})
        if not new:
            return False
        budget.query(new)
        self.iteration += 1
        return True

    def generate(self, seeds: list[Arch], n_new: int, budget: Budget) -> tuple[list[Arch], float | None]:
        """Up to ``n_new`` new architectures by gradient ascent from ``seeds`` (best seed first), and the last step size."""
        if n_new <= 0 or not seeds:
            return [], None
        want = max(n_new, int(round(n_new * self.config.candidate_factor)))
        rounds = ascent_candidates(self.predictor.model, self.predictor.tokens(seeds), self.mask, self.config.ascent)
        pick = self._per_seed if self.config.ascent.per_seed else self._per_round
        new, eta = pick(rounds, want, budget)
        if len(new) > n_new:  # screening: keep the best-predicted candidates
            new = [new[i] for i in np.argsort(-self.predictor.predict(new), kind="stable")[:n_new]]
        return new, eta

    def _new_key(self, row: list[int], budget: Budget) -> tuple[str, Arch] | None:
        arch = self.space.decode(row)
        if arch is None:
            return None
        k = self.space.key(arch)
        return None if budget.seen_key(k) else (k, arch)

    def _per_round(self, rounds, want: int, budget: Budget) -> tuple[list[Arch], float | None]:
        """The paper's order: all seeds at step size eta, best seed first, then eta grows."""
        found: dict[str, Arch] = {}
        eta = None
        for eta, tokens in rounds:
            for row in tokens.tolist():
                hit = self._new_key(row, budget)
                if hit is not None and hit[0] not in found:
                    found[hit[0]] = hit[1]
                    if len(found) >= want:
                        return list(found.values()), eta
        return list(found.values()), eta

    def _per_seed(self, rounds, want: int, budget: Budget) -> tuple[list[Arch], float | None]:
        """Each seed moves until its decoding is new (smallest step that changes it); candidates in seed order.

        A queried seed thus yields its nearest new architecture along the gradient (a guided neighbour) instead
        of being skipped while unqueried seeds are decoded back unchanged.
        """
        per_seed: list[tuple[str, Arch] | None] = []
        eta = None
        for eta, tokens in rounds:
            rows = tokens.tolist()
            if not per_seed:
                per_seed = [None] * len(rows)
            for i, row in enumerate(rows):
                if per_seed[i] is None:
                    per_seed[i] = self._new_key(row, budget)
            keys: set[str] = set()
            for hit in per_seed:  # settled once the best seeds up to `want` distinct candidates are all resolved
                if hit is None:
                    break
                keys.add(hit[0])
            if len(keys) >= want or all(h is not None for h in per_seed):
                break
        found: dict[str, Arch] = {}
        for hit in per_seed:
            if hit is not None and hit[0] not in found:
                found[hit[0]] = hit[1]
        return list(found.values())[:want], eta

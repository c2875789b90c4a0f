"""Regularized (aging) evolution (Real et al., 2019) and SemiNAS(RE), its predictor-screened variant.

RE: query a random population of P; then each child comes from a tournament (best of S random members,
by the search metric), mutated by ``space.mutate`` until its key is new; it joins the population and the
oldest member leaves. ``children_per_iteration`` children are queried per evaluator call (1 = the
classic sequential algorithm).

SemiNAS(RE): the same loop, but each iteration trains the semi-supervised predictor (labelled +
pseudo-labelled, as in SemiNAS) and mutates ``screen_factor`` times more children than it queries,
keeping only the best-predicted ones.

Queries carry their origin: ``initial`` (the random population), ``mutation`` (a tournament winner's mutant) or
``random_fill`` (a random architecture when ``mutation_tries`` mutants were all seen). Every batch is made for the
full ``children_per_iteration`` whatever the budget left; the budget cuts it, so budgets hold.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from speechnas.nas.semi_predictor import (PredictorConfig, PredictorStrategyMixin, SemiSupervisedPredictor,
                                          check_unlabelled)
from speechnas.nas.seminas import draw_unlabelled
from speechnas.nas.space import Arch, SearchSpace
from speechnas.nas.strategy import Strategy, origins
from speechnas.nas.view import SearchView


@dataclass
class EvolutionConfig:
    """Knobs of regularized evolution."""

    population: int = 30  # P: population size (also the number of random architectures queried first)
    tournament: int = 10  # S: members drawn per tournament
    children_per_iteration: int = 1  # children queried per evaluator call
    mutation_tries: int = 50  # re-mutations before a child whose key was seen is replaced by a random one


@dataclass
class SemiNASREConfig(EvolutionConfig, PredictorConfig):
    """Regularized evolution's knobs plus the predictor's; only the batching differs from plain RE.

    Defaults measured on NAS-Bench-201 (README): an ensemble of 3 controllers ranks children better when the search
    signal is noisy (CIFAR-100 low fidelity), and M = 1,000 random pseudo-labelled cells do as well as the whole space.
    """

    children_per_iteration: int = 15  # children queried per iteration (the predictor is retrained per iteration)
    screen_factor: int = 5  # mutated candidates per queried child; the best-predicted are queried
    unlabelled: int = 1000  # M: pseudo-labelled architectures per iteration; -1 = every unqueried one (finite spaces)
    ensemble: int = 3  # controllers whose mean prediction screens the children


class RegularizedEvolution(Strategy):
    name = "re"

    def __init__(self, space: SearchSpace, config: EvolutionConfig, seed: int):
        super().__init__(space, config, seed)
        for name in ("population", "tournament", "children_per_iteration", "mutation_tries"):
            if getattr(config, name) < 1:
                raise ValueError(f"{self.name}.{name} must be at least 1, got {getattr(config, name)}")
        self.population: deque = deque()  # (arch, value), oldest first

    def step(self, view: SearchView) -> bool:
        cfg = self.config
        if self.iteration == 0:
            archs = self.sample_new(view, cfg.population)
            how = origins("initial", len(archs))
        else:
            archs, how = self.children(view, cfg.children_per_iteration)
        if not archs:
            return False
        values = view.query(archs, how)
        self.add(archs, values)
        self.iteration += 1
        return True

    def add(self, archs, values) -> None:
        for a, v in zip(archs, values):
            self.population.append((a, float(v)))
            while len(self.population) > self.config.population:
                self.population.popleft()

    def tournament_parent(self) -> Arch:
        members = list(self.population)
        size = min(self.config.tournament, len(members))
        picks = self.rng.choice(len(members), size=size, replace=False)
        return max((members[i] for i in picks), key=lambda m: m[1])[0]

    def children(self, view: SearchView, n: int) -> tuple[list[Arch], list[dict]]:
        """``n`` mutated children with keys new to the run and to each other (random ones when mutation fails),
        and their origins."""
        out, how, keys = [], [], set()
        for _ in range(n):
            child, origin = None, "mutation"
            for _ in range(self.config.mutation_tries):
                cand = self.space.mutate(self.tournament_parent(), self.rng)
                k = self.space.key(cand)
                if not view.seen_key(k) and k not in keys:
                    child = cand
                    break
            if child is None:
                extra = self.sample_new(view, 1, exclude=keys)
                if not extra:
                    break
                child, origin = extra[0], "random_fill"
            keys.add(self.space.key(child))
            out.append(child)
            how.append({"how": origin})
        return out, how

    def state_dict(self) -> dict:
        return {**super().state_dict(), "population": list(self.population)}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.population = deque(state["population"])


class SemiNASRE(PredictorStrategyMixin, RegularizedEvolution):
    name = "seminas_re"

    def __init__(self, space: SearchSpace, config: SemiNASREConfig, seed: int):
        super().__init__(space, config, seed)
        if config.screen_factor < 1:
            raise ValueError(f"{self.name}.screen_factor must be at least 1, got {config.screen_factor}")
        check_unlabelled(self.space, config.unlabelled, self.name)
        self.predictor = SemiSupervisedPredictor(self.space, config, where=self.name)
        self.log: list[dict] = []

    def step(self, view: SearchView) -> bool:
        if self.iteration == 0:
            return super().step(view)
        cfg = self.config
        n = cfg.children_per_iteration  # never fewer near the end: the budget cuts the batch (budgets hold)
        archs, values = view.labelled()
        _, _, info = self.predictor.fit(archs, values, draw_unlabelled(self, view, cfg.unlabelled))
        candidates, how = self.children(view, n * cfg.screen_factor)
        if not candidates:
            return False
        best = sorted(np.argsort(-self.predictor.predict(candidates), kind="stable")[:n])
        chosen = [candidates[i] for i in best]  # keep generation order (older tournaments first)
        self.log.append({"iteration": self.iteration, "candidates": len(candidates), **info})
        values = view.query(chosen, [how[i] for i in best])
        self.add(chosen, values)
        self.iteration += 1
        return True

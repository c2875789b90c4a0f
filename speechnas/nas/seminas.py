"""SemiNAS (Luo et al., 2020, Algorithm 1), its whole-space screening variant, and NAO (the loop with M = 0).

Iteration 0 queries N random architectures. Every later iteration:
1. trains the controller on the labelled set, pseudo-labels the unlabelled architectures and trains on the labelled
   set repeated ``upsample`` times plus the pseudo-labelled set
   (:class:`~speechnas.nas.semi_predictor.SemiSupervisedPredictor`);
2. takes the top-K of labelled and pseudo-labelled architectures by (true or predicted) score, best first, and
   moves them along the predictor's gradient with a growing step size until ``new_per_iteration`` valid,
   never-queried architectures are found (dedup by canonical key);
3. queries them, in one evaluator call, each with its origin: ``ascent`` (found at a step eta > 0 and different
   from the seed's own decoding), ``seed_decoding`` (equal to what the seed decodes to with no step, i.e. the seed
   itself screened by the predictor), or ``random_fill`` (``fill_random``: random architectures when ascent found
   too few).

The methods differ only in the unlabelled set:

- ``seminas`` (:class:`SemiNAS`): the paper's M random unqueried architectures, redrawn every iteration.
- ``seminas_screen`` (:class:`SemiNASScreen`): every unqueried architecture of a finite space (``unlabelled: -1``,
  refused above :data:`~speechnas.nas.semi_predictor.WHOLE_SPACE_LIMIT`), or a large random set. The top-K seeds
  are then mostly unqueried architectures with the best predictions, and most new ones are seed decodings: this
  ranks the space by the predictor rather than generating by ascent.
- ``nao`` (:class:`NAO`): no unlabelled architectures (M = 0).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from speechnas.nas import controller_train as ct
from speechnas.nas.controller_train import AscentConfig, allowed_mask
from speechnas.nas.semi_predictor import (PredictorConfig, PredictorStrategyMixin, SemiSupervisedPredictor,
                                          check_unlabelled)
from speechnas.nas.space import Arch, SearchSpace
from speechnas.nas.strategy import Strategy, origins, unseen_representatives
from speechnas.nas.view import SearchView

log = logging.getLogger(__name__)


@dataclass
class SemiNASLoopConfig(PredictorConfig):
    """The loop's knobs shared by ``seminas``, ``seminas_screen`` and ``nao`` (the controller's from PredictorConfig)."""

    initial: int = 30  # N: random architectures queried first
    new_per_iteration: int = 15  # architectures generated and queried per iteration
    top_k: int = 100  # K: seeds of gradient ascent
    iterations: int = 0  # L: iterations after the initial one; 0 = until the budget is used up
    candidate_factor: float = 1.0  # generate this many times the quota, keep the best-predicted (1 = paper)
    fill_random: bool = False  # top up with random architectures when ascent finds too few (counted as random_fill)
    ascent: AscentConfig = field(default_factory=AscentConfig)


@dataclass
class SemiNASConfig(SemiNASLoopConfig):
    """``seminas``: the paper's algorithm."""

    unlabelled: int = 1000  # M: random unqueried architectures pseudo-labelled per iteration, redrawn each time


@dataclass
class SemiNASScreenConfig(SemiNASLoopConfig):
    """``seminas_screen``: pseudo-label every unqueried architecture (or a large random set) each iteration."""

    unlabelled: int = -1  # -1 = every unqueried architecture (finite spaces up to 100,000); or a count


def nao_config() -> SemiNASConfig:
    """NAO as a preset of the SemiNAS loop: no pseudo-labelled architectures."""
    return SemiNASConfig(unlabelled=0)


def select_seeds(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest ``scores``, best first (ties: earlier index first)."""
    return np.argsort(-np.asarray(scores), kind="stable")[:k]


def draw_unlabelled(strategy: Strategy, view: SearchView, m: int) -> list[Arch]:
    """M fresh random unqueried architectures (distinct keys); all of them when M = -1 or M covers the space.

    ``size()`` counts cells, at least as many as keys, so ``M >= size() - used`` surely covers every unqueried
    key without enumerating the space; an M between the unqueried keys and cells gets the same set from
    :meth:`Strategy.sample_new`, which ends with the unqueried rest. ``M = -1`` is checked when the strategy is
    built (:func:`~speechnas.nas.semi_predictor.check_unlabelled`), before any query.
    """
    space = strategy.space
    if m == 0:
        return []
    if m < 0 or (hasattr(space, "enumerate") and m >= space.size() - view.used):
        return unseen_representatives(space, view)
    return strategy.sample_new(view, m)


class SemiNAS(PredictorStrategyMixin, Strategy):
    """The SemiNAS loop (see the module docstring); ``unlabelled`` must be a count (>= 1 for ``seminas``)."""

    name = "seminas"
    max_empty = 3  # iterations in a row in which ascent finds nothing new before the run ends (fill_random off)

    def __init__(self, space: SearchSpace, config: SemiNASLoopConfig, seed: int):
        super().__init__(space, config, seed)
        self.check_config(config)
        self.predictor = SemiSupervisedPredictor(self.space, config, where=self.name)
        self.mask = allowed_mask(self.space, self.predictor.device)
        self.log: list[dict] = []  # per-iteration diagnostics (losses, what generation found, step size reached)
        self.empty = 0  # iterations in a row that found nothing new

    def state_dict(self) -> dict:
        return {**super().state_dict(), "empty": self.empty}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.empty = int(state.get("empty", 0))

    def check_config(self, cfg: SemiNASLoopConfig) -> None:
        """ValueError naming the field for settings the loop cannot run."""
        for name in ("initial", "new_per_iteration", "top_k"):
            if getattr(cfg, name) < 1:
                raise ValueError(f"{self.name}.{name} must be at least 1, got {getattr(cfg, name)}")
        if cfg.candidate_factor < 1:
            raise ValueError(f"{self.name}.candidate_factor must be at least 1, got {cfg.candidate_factor}")
        self.check_unlabelled(cfg)

    def check_unlabelled(self, cfg: SemiNASLoopConfig) -> None:
        if cfg.unlabelled < 0:
            raise ValueError(f"{self.name}.unlabelled = {cfg.unlabelled}: seminas pseudo-labels M random architectures "
                             f"(M >= 1); every unqueried architecture (-1) is the method seminas_screen")
        if cfg.unlabelled == 0:
            raise ValueError(f"{self.name}.unlabelled = 0: without pseudo-labelled architectures this is the method nao")

    def step(self, view: SearchView) -> bool:
        cfg = self.config
        if self.iteration == 0:
            archs = self.sample_new(view, cfg.initial)
            if archs:
                view.query(archs, origins("initial", len(archs)))
            self.iteration += 1
            return bool(archs)
        if cfg.iterations and self.iteration > cfg.iterations:
            return False
        archs, values = view.labelled()
        unlabelled = draw_unlabelled(self, view, cfg.unlabelled)
        z, pseudo, info = self.predictor.fit(archs, values, unlabelled)
        pool, scores = list(archs) + list(unlabelled), np.concatenate([z, pseudo])
        seeds = [pool[i] for i in select_seeds(scores, cfg.top_k)]
        new, how, info["last_eta"] = self.generate(seeds, cfg.new_per_iteration, view)
        if len(new) < cfg.new_per_iteration and cfg.fill_random:
            fill = self.sample_new(view, cfg.new_per_iteration - len(new), exclude={self.space.key(a) for a in new})
            new, how = new + fill, how + origins("random_fill", len(fill))
        info["origins"] = {h: sum(o["how"] == h for o in how) for h in ("ascent", "seed_decoding", "random_fill")}
        self.log.append({"iteration": self.iteration, **info})
        self.iteration += 1
        if not new:  # the controller trains again next iteration (and seminas redraws M); give up after a few
            self.empty += 1
            log.warning("%s: ascent found no new architecture in iteration %d (fill_random is off)%s", self.name,
                        self.iteration - 1, "" if self.empty < self.max_empty else
                        f"; {self.empty} such iterations in a row: the run ends with {view.used} queries")
            return self.empty < self.max_empty
        self.empty = 0
        view.query(new, how)
        return True

    # -- generation ------------------------------------------------------------------------------------------
    def generate(self, seeds: list[Arch], n_new: int, view: SearchView) -> tuple[list[Arch], list[dict], float | None]:
        """Up to ``n_new`` new architectures by gradient ascent from ``seeds`` (best seed first), their origins and
        the last step size tried.

        With ``candidate_factor > 1``, ``n_new * candidate_factor`` are found and the best-predicted ``n_new`` kept,
        best first. Nothing here depends on the budget left: the budget cuts the batch.
        """
        if n_new <= 0 or not seeds:
            return [], [], None
        want = max(n_new, int(round(n_new * self.config.candidate_factor)))
        model = self.predictor.model
        outputs, grad = ct.ascent_direction(model, self.predictor.tokens(seeds))
        own = [self._key_of(row) for row in ct.move_and_decode(model, outputs, grad, 0.0, self.mask).tolist()]
        rounds = ((eta, ct.move_and_decode(model, outputs, grad, eta, self.mask)) for eta in eta_schedule(self.config.ascent))
        pick = self._per_seed if self.config.ascent.per_seed else self._per_round
        found, eta = pick(rounds, want, view)
        new = [arch for arch, _, _ in found]
        how = [{"how": "seed_decoding" if self.space.key(arch) == own[i] else "ascent", "eta": float(e), "seed_rank": i}
               for arch, i, e in found]
        if len(new) > n_new:  # screening: keep the best-predicted candidates, best first
            keep = np.argsort(-self.predictor.predict(new), kind="stable")[:n_new]
            new, how = [new[i] for i in keep], [how[i] for i in keep]
        return new, how, eta

    def _key_of(self, row: list[int]) -> str | None:
        arch = self.space.decode(row)
        return None if arch is None else self.space.key(arch)

    def _new_key(self, row: list[int], view: SearchView) -> tuple[str, Arch] | None:
        arch = self.space.decode(row)
        if arch is None:
            return None
        k = self.space.key(arch)
        return None if view.seen_key(k) else (k, arch)

    def _per_round(self, rounds, want: int, view: SearchView) -> tuple[list[tuple[Arch, int, float]], float | None]:
        """The paper's order: all seeds at step size eta, best seed first, then eta grows.

        Returns (architecture, seed index, eta) of each new key, in the order found, and the last eta tried."""
        found: dict[str, tuple[Arch, int, float]] = {}
        eta = None
        for eta, tokens in rounds:
            for i, row in enumerate(tokens.tolist()):
                hit = self._new_key(row, view)
                if hit is not None and hit[0] not in found:
                    found[hit[0]] = (hit[1], i, eta)
                    if len(found) >= want:
                        return list(found.values()), eta
        return list(found.values()), eta

    def _per_seed(self, rounds, want: int, view: SearchView) -> tuple[list[tuple[Arch, int, float]], float | None]:
        """Each seed moves until its decoding is new (smallest step that changes it); candidates in seed order.

        A queried seed thus yields its nearest new architecture along the gradient (a guided neighbour) instead
        of being skipped while unqueried seeds are decoded back unchanged.
        """
        per_seed: list[tuple[str, Arch, float] | None] = []
        eta = None
        for eta, tokens in rounds:
            rows = tokens.tolist()
            if not per_seed:
                per_seed = [None] * len(rows)
            for i, row in enumerate(rows):
                if per_seed[i] is None:
                    hit = self._new_key(row, view)
                    per_seed[i] = None if hit is None else (hit[0], hit[1], eta)
            keys: set[str] = set()
            for hit in per_seed:  # settled once the best seeds up to `want` distinct candidates are all resolved
                if hit is None:
                    break
                keys.add(hit[0])
            if len(keys) >= want or all(h is not None for h in per_seed):
                break
        found: dict[str, tuple[Arch, int, float]] = {}
        for i, hit in enumerate(per_seed):
            if hit is not None and hit[0] not in found:
                found[hit[0]] = (hit[1], i, hit[2])
        return list(found.values())[:want], eta


class SemiNASScreen(SemiNAS):
    """``seminas_screen``: the SemiNAS loop whose unlabelled set is every unqueried architecture (``-1``) or a large
    random set; see the module docstring."""

    name = "seminas_screen"

    def check_unlabelled(self, cfg: SemiNASLoopConfig) -> None:
        if cfg.unlabelled == 0:
            raise ValueError(f"{self.name}.unlabelled = 0: without pseudo-labelled architectures this is the method nao")
        check_unlabelled(self.space, cfg.unlabelled, self.name)


class NAO(SemiNAS):
    """``nao``: the loop without pseudo-labelled architectures (``unlabelled`` must be 0)."""

    name = "nao"

    def check_unlabelled(self, cfg: SemiNASLoopConfig) -> None:
        if cfg.unlabelled != 0:
            raise ValueError(f"{self.name}.unlabelled = {cfg.unlabelled}: NAO has no pseudo-labelled architectures "
                             f"(set 0); with them it is seminas or seminas_screen")


def eta_schedule(cfg: AscentConfig):
    """Step sizes ``step_start, step_start + step_growth, ...`` up to ``step_max``."""
    if cfg.step_growth <= 0:
        raise ValueError(f"ascent.step_growth must be positive, got {cfg.step_growth}")
    eta = cfg.step_start
    while eta <= cfg.step_max + 1e-9:
        yield eta
        eta += cfg.step_growth

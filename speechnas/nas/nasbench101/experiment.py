"""The NAS-Bench-101 experiment: its config schema and what the core grid runner needs to run it.

The method x seed runs go through :func:`speechnas.nas.grid.run_grid` (parallel processes, finished runs
skipped, interrupted ones resumed) with :func:`build_run` as its ``build(seed)`` and :func:`write_run_json` as its
``after`` hook. Each run writes the core's ``queries.jsonl``/``result.json`` into ``<exp_dir>/<method>/seed<k>/``
and adds ``run.json`` with the benchmark's counters (unique hashes, simulated training time and epochs, all from
the run's Budget) and the found cell.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from speechnas.nas.evolution import SemiNASREConfig
from speechnas.nas.grid import Job, SearchConfig
from speechnas.nas.run import SearchResult
from speechnas.nas.seminas import SemiNASConfig, SemiNASScreenConfig

log = logging.getLogger(__name__)


@dataclass
class BenchmarkConfig:
    file: str = "downloads/nasbench_only108.tfrecord"  # the official file (or any file in its format)
    cache: str = ""  # binary cache path; empty: <file>.cache.npz
    epochs: int = 108  # training budget whose numbers are queried (108 in nasbench_only108)
    sampling: str = "uniform"  # uniform: over the file's unique cells; adjacency: NB101-notebook Bernoulli edges
    restrict: bool = False  # only cells the file holds are valid (for partial files such as the demo)
    mutation_rate: float = 1.0  # NB101 evolution mutation: expected edge flips = rate * 3, op changes = rate


@dataclass
class ReportConfig:
    metric: str = "test_acc"  # reported for the best-by-validation cell: test_acc or valid_mean_acc (repeat means)
    budgets: list[int] = field(default_factory=list)  # budgets reported besides the full one (same runs)
    reference: float = 94.32  # regret = reference - reported (percent); <= 0: the best mean in the file


@dataclass
class ExperimentConfig(SearchConfig):
    """The core's :class:`~speechnas.nas.grid.SearchConfig` (budget in unique hashes, one section per method)
    plus the runs to make, the benchmark file and the report."""

    methods: list[str] = field(default_factory=lambda: ["seminas", "seminas_screen", "nao", "re", "random"])
    seeds: int = 10  # runs per method: seeds first_seed .. first_seed + seeds - 1
    first_seed: int = 0
    benchmark: BenchmarkConfig = field(default_factory=BenchmarkConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    # never the whole 423,624 cells (unlabelled: -1 is refused above 100,000): the paper's M, and a large screen
    seminas: SemiNASConfig = field(default_factory=lambda: SemiNASConfig(unlabelled=10_000))
    seminas_screen: SemiNASScreenConfig = field(default_factory=lambda: SemiNASScreenConfig(unlabelled=100_000))
    seminas_re: SemiNASREConfig = field(default_factory=lambda: SemiNASREConfig(unlabelled=10_000))

    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))


def load_benchmark(cfg: BenchmarkConfig):
    from speechnas.nas.nasbench101.benchmark import NasBench101

    return NasBench101.load(cfg.file, cfg.cache or None)


_LOADED: dict = {}  # per process: (file, cache) -> NasBench101


def cached_benchmark(cfg: BenchmarkConfig):
    """:func:`load_benchmark` once per process and file: the runs of one grid worker share the loaded table."""
    key = (cfg.file, cfg.cache)
    if key not in _LOADED:
        _LOADED[key] = load_benchmark(cfg)
    return _LOADED[key]


def build_space(cfg: BenchmarkConfig, bench):
    from speechnas.nas.spaces.nasbench101 import NasBench101CatalogSpace

    if cfg.sampling not in ("uniform", "adjacency"):
        raise ValueError(f"benchmark.sampling must be 'uniform' or 'adjacency', got {cfg.sampling!r}")
    return NasBench101CatalogSpace(bench, restrict=cfg.restrict, mutation_rate=cfg.mutation_rate,
                                   sampling=cfg.sampling)


def build_run(cfg: BenchmarkConfig, seed: int):
    """The grid's ``build(seed)`` (pass ``functools.partial(build_run, cfg.benchmark)``): the process's loaded
    benchmark, a fresh space and an evaluator drawing repeats with its own generator (seed + 1,000,003)."""
    from speechnas.nas.evaluators.nasbench101 import NasBench101Evaluator

    bench = cached_benchmark(cfg)
    return build_space(cfg, bench), NasBench101Evaluator(bench, seed=seed + 1_000_003, epochs=cfg.epochs)


def write_run_json(cfg: BenchmarkConfig, job: Job, res: SearchResult) -> dict:
    """The grid's ``after`` hook (``functools.partial(write_run_json, cfg.benchmark)``): writes and returns
    ``run.json`` of a run that just ran (or reloaded as finished)."""
    from speechnas.utils.io import atomic_write_json

    bench = cached_benchmark(cfg)
    budget = res.budget
    best = budget.best()
    row = bench.row_of_hash(best.key) if best is not None else None
    summary = {
        # the official budget counters: unique hashes queried, their simulated training time and epochs
        "method": job.method, "seed": job.seed, "queries": budget.used, "budget": budget.budget,
        "simulated_training_time_s": budget.total_cost, "epochs_spent": budget.used * cfg.epochs,
        "wall_s": res.wall_s, "best_hash": best.key if best else None,
        "best_valid_acc": best.metrics["valid_acc"] if best else None,
        "best_cell": budget.space.to_str(bench.cell(row)) if row is not None else None,
    }
    atomic_write_json(res.out_dir / "run.json", summary)
    return summary

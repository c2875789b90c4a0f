"""The NAS-Bench-101 experiment: its config schema and the method x seed runs (in parallel processes).

Each run goes through the core's :func:`~speechnas.nas.run.run_search` (budget, resume, queries.jsonl,
result.json) into ``<exp_dir>/<method>/seed<k>/`` and adds ``run.json`` with the benchmark's
counters (unique hashes, simulated training time and epochs, all from the run's Budget) and the found cell.
"""
from __future__ import annotations

import logging
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from speechnas.nas.evolution import EvolutionConfig, SemiNASREConfig
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.nas.seminas import SemiNASConfig, nao_config

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
class ExperimentConfig:
    budget: int = 300  # unique cells (hashes) queried per run
    methods: list[str] = field(default_factory=lambda: ["seminas", "nao", "re", "random"])
    seeds: int = 10  # runs per method: seeds first_seed .. first_seed + seeds - 1
    first_seed: int = 0
    benchmark: BenchmarkConfig = field(default_factory=BenchmarkConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    seminas: SemiNASConfig = field(default_factory=lambda: SemiNASConfig(unlabelled=10_000))  # never the whole 423k
    nao: SemiNASConfig = field(default_factory=nao_config)
    re: EvolutionConfig = field(default_factory=EvolutionConfig)
    random: RandomSearchConfig = field(default_factory=RandomSearchConfig)
    seminas_re: SemiNASREConfig = field(default_factory=SemiNASREConfig)


def load_benchmark(cfg: BenchmarkConfig):
    from speechnas.nas.nasbench101.benchmark import NasBench101

    return NasBench101.load(cfg.file, cfg.cache or None)


def build_space(cfg: BenchmarkConfig, bench):
    from speechnas.nas.spaces.nasbench101 import NasBench101CatalogSpace

    if cfg.sampling not in ("uniform", "adjacency"):
        raise ValueError(f"benchmark.sampling must be 'uniform' or 'adjacency', got {cfg.sampling!r}")
    return NasBench101CatalogSpace(bench, restrict=cfg.restrict, mutation_rate=cfg.mutation_rate,
                                   sampling=cfg.sampling)


def run_one(cfg: ExperimentConfig, method: str, seed: int, exp_dir: str | Path) -> dict:
    """One search; returns (and writes) ``run.json``. Re-running resumes or reloads a finished run."""
    import torch

    from speechnas.nas.evaluators.nasbench101 import NasBench101Evaluator
    from speechnas.nas.run import run_search
    from speechnas.utils.io import atomic_write_json

    torch.set_num_threads(1)
    if method not in ("seminas", "nao", "re", "random", "seminas_re"):
        raise ValueError(f"unknown method {method!r}; choose from seminas, nao, re, random, seminas_re")
    bench = load_benchmark(cfg.benchmark)
    space = build_space(cfg.benchmark, bench)
    evaluator = NasBench101Evaluator(bench, seed=seed + 1_000_003, epochs=cfg.benchmark.epochs)
    out = Path(exp_dir) / method / f"seed{seed}"
    res = run_search(space, evaluator, method, getattr(cfg, method), cfg.budget, seed, out)
    best = res.budget.best()
    row = bench.row_of_hash(best.key) if best is not None else None
    summary = {
        # the official budget counters: unique hashes queried, their simulated training time and epochs
        "method": method, "seed": seed, "queries": res.budget.used, "budget": cfg.budget,
        "simulated_training_time_s": res.budget.total_cost, "epochs_spent": res.budget.used * evaluator.epochs,
        "wall_s": res.wall_s, "best_hash": best.key if best else None,
        "best_valid_acc": best.metrics["valid_acc"] if best else None,
        "best_cell": space.to_str(bench.cell(row)) if row is not None else None,
    }
    atomic_write_json(out / "run.json", summary)
    return summary


def _job(args) -> tuple[str, int, dict | None, str | None]:
    cfg, method, seed, exp_dir = args
    try:
        return method, seed, run_one(cfg, method, seed, exp_dir), None
    except Exception:  # reported by the parent, the other runs go on
        return method, seed, None, traceback.format_exc()


def run_all(cfg: ExperimentConfig, exp_dir: str | Path, nj: int = 1, methods: list[str] | None = None) -> list[dict]:
    """Every method x seed; ``nj`` runs at a time in separate processes. Raises after all ran if any failed."""
    load_benchmark(cfg.benchmark)  # build the cache once, before the workers read it
    jobs = [(cfg, m, s, str(exp_dir)) for m in (methods or cfg.methods)
            for s in range(cfg.first_seed, cfg.first_seed + cfg.seeds)]
    done, failed = [], []
    if nj <= 1:
        results = map(_job, jobs)
    else:
        pool = ProcessPoolExecutor(max_workers=nj, mp_context=get_context("spawn"))
        results = (f.result() for f in as_completed([pool.submit(_job, j) for j in jobs]))
    for method, seed, summary, error in results:
        if error:
            log.error("%s seed %d failed:\n%s", method, seed, error)
            failed.append(f"{method}/seed{seed}")
        else:
            log.info("%s seed %d: %d queries, best valid %.2f", method, seed, summary["queries"],
                     summary["best_valid_acc"])
            done.append(summary)
    if nj > 1:
        pool.shutdown()
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(jobs)} runs failed: {', '.join(failed)} (see the log above)")
    return done

"""Many searches at once: methods x seeds on one benchmark, ``nj`` worker processes, resumable.

The one grid runner of the toolkit (NAS-Bench-201 through :mod:`speechnas.bin.nas_search`, NAS-Bench-101 through
:mod:`speechnas.bin.nasbench101_search`). A benchmark comes in as ``build(seed) -> (space, evaluator)``, a
picklable callable (a module-level function or a :func:`functools.partial` of one) that every worker process
calls once per job; what is expensive (a loaded table) it caches per process itself, e.g.
:func:`speechnas.nas.benchmarks.grid_builder`. An optional picklable ``after(job, result)`` runs in the worker
after each search run now (e.g. to write a benchmark's own per-run summary from the
:class:`~speechnas.nas.run.SearchResult`).

Each job writes ``<exp_dir>/<method>/seed<k>/`` through :func:`speechnas.nas.run.run_search`; a finished
job is skipped on re-run and an interrupted one resumes from its last saved iteration. A job directory whose
``result.json`` records another method config, seed or budget is refused before anything runs. One run at
the largest budget serves every smaller budget: no strategy decision depends on the total or remaining budget
(the budget cuts the last batch), so the first B queries of a 300-query run are exactly the queries of a B-query
run; ``tests/nas/test_budget_prefix.py`` checks this for every method in the registry.
"""
from __future__ import annotations

import json
import logging
import multiprocessing as mp
import time
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Callable, Sequence

from speechnas.nas.evaluator import Evaluator
from speechnas.nas.methods import METHODS
from speechnas.nas.run import SearchResult
from speechnas.nas.space import SearchSpace
from speechnas.utils.config import to_dict
from speechnas.utils.progress import progress

log = logging.getLogger(__name__)


def _search_config_class() -> type:
    """The grid's config dataclass: the query budget and run options, then one section per registered method."""
    fields = [
        ("budget", int, field(default=300)),  # unique queries per run (the largest budget reported)
        ("tensorboard", bool, field(default=True)),  # per-run TensorBoard logs in <run>/tb
        ("save_every_s", float, field(default=5.0)),  # state.pt at most this often (and at the end); 0 = every iteration
    ]
    fields += [(m.name, m.config_class, field(default_factory=m.config)) for m in METHODS.values()]
    cls = make_dataclass("SearchConfig", fields)
    cls.__module__ = __name__  # picklable as speechnas.nas.grid.SearchConfig (spawned grid workers)
    cls.__doc__ = ("The query budget (``budget``: unique queries per run, the largest reported), per-run TensorBoard "
                   "logs (``tensorboard``), how often ``state.pt`` is saved (``save_every_s``), and one section per "
                   "method of :data:`speechnas.nas.methods.METHODS`, built from the registry.")
    return cls


SearchConfig = _search_config_class()


@dataclass(frozen=True)
class Job:
    method: str
    seed: int


def job_dir(exp_dir: str | Path, job: Job) -> Path:
    return Path(exp_dir) / job.method / f"seed{job.seed}"


Build = Callable[[int], tuple[SearchSpace, Evaluator]]  # seed -> (space, evaluator) of one job
After = Callable[[Job, SearchResult], None]  # per job run now, in the worker, after run_search returned


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)
    # one-time imports here (plotting, TensorBoard, and what torch loads lazily on the first optimizer step),
    # so that a run's wall time is its own work
    param = torch.zeros(1, requires_grad=True)
    torch.optim.Adam([param], foreach=True).step()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import torch.utils.tensorboard  # noqa: F401


def _run_job(args: tuple[Job, SearchConfig, str, Build, After | None]) -> tuple[Job, float, int]:
    from speechnas.nas.run import run_search

    job, cfg, exp_dir, build, after = args
    space, evaluator = build(job.seed)
    res = run_search(space, evaluator, job.method, getattr(cfg, job.method), cfg.budget, job.seed, job_dir(exp_dir, job),
                     tensorboard=cfg.tensorboard, save_every_s=cfg.save_every_s)
    if after is not None:
        after(job, res)
    return job, res.wall_s, res.budget.used


def pending_jobs(cfg: SearchConfig, methods: Sequence[str], seeds: Sequence[int], exp_dir: str | Path) -> tuple[list[Job], int]:
    """The (method, seed) jobs still to run and how many are already finished; raises ValueError for an unknown
    method or a job directory holding a run with another config, seed or budget (checked before anything runs)."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown search method(s) {unknown or methods!r}; choose from {list(METHODS)}")
    jobs = [Job(m, s) for s in seeds for m in methods]  # seed-major: a partial grid already compares all methods
    todo = [j for j in jobs if not _finished(job_dir(exp_dir, j), job_meta(cfg, j))]
    return todo, len(jobs) - len(todo)


def job_meta(cfg: SearchConfig, job: Job) -> dict:
    """What ``result.json`` records about a job's settings (the runner's ``meta``), in its JSON form."""
    return json.loads(json.dumps({"method": job.method, "seed": job.seed, "budget": cfg.budget,
                                  "config": to_dict(getattr(cfg, job.method))}))


def run_grid(build: Build, cfg: SearchConfig, methods: Sequence[str], seeds: Sequence[int], exp_dir: str | Path,
             nj: int = 1, after: After | None = None) -> list[tuple[Job, float, int]]:
    """Run every (method, seed) job not finished yet; returns (job, wall seconds, queries) per job run now.

    ``build(seed)`` gives a job's (space, evaluator) and ``after(job, result)`` runs after each job; with
    ``nj > 1`` both are pickled into spawned workers, so they must be module-level (or partials of such).
    """
    if nj < 1:
        raise ValueError(f"nj (parallel worker processes) must be at least 1, got {nj}")
    todo, finished = pending_jobs(cfg, methods, seeds, exp_dir)
    log.info("%d jobs, %d already finished, %d to run with %d worker(s)", len(todo) + finished, finished, len(todo), nj)
    out = []
    start = time.perf_counter()
    args = [(j, cfg, str(exp_dir), build, after) for j in todo]
    bar = progress(total=len(todo), desc="searches", unit="run")
    nj = min(nj, len(todo))
    if nj == 0:
        results = iter(())
    elif nj == 1:
        _init_worker()
        results = map(_run_job, args)
    else:
        pool = mp.get_context("spawn").Pool(nj, initializer=_init_worker)
        results = pool.imap_unordered(_run_job, args)
    try:
        for job, wall, used in results:
            out.append((job, wall, used))
            bar.update(1)
            log.info("%s seed %d: %d queries in %.1f s", job.method, job.seed, used, wall)
    finally:
        bar.close()
        if nj > 1:
            pool.close()
            pool.join()
    log.info("grid done in %.1f s", time.perf_counter() - start)
    return out


def _finished(path: Path, meta: dict) -> bool:
    """Whether ``path`` holds a finished run with these settings; ValueError when its ``result.json`` records others.

    A ``result.json`` without a config (written by an older version) counts as unfinished: run_search then
    checks ``state.pt`` and rewrites it.
    """
    try:
        res = json.loads((path / "result.json").read_text())
    except OSError:
        return False
    except ValueError as e:
        raise ValueError(f"{path / 'result.json'}: not valid JSON ({e}); delete the run directory to redo it") from None
    if "config" not in res:
        return False
    for k in ("method", "seed", "budget", "config"):
        if res.get(k) != meta[k]:
            raise ValueError(f"{path} holds a run with a different {k} ({res.get(k)!r} != {meta[k]!r}); "
                             f"use another --exp-dir or delete that run directory")
    return bool(res.get("finished"))

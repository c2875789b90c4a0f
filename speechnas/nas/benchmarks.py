"""Tabular benchmarks the command-line tools can name: ``name -> builder(table path) -> (space, evaluator)``.

A literal table (no registry magic); a new benchmark adds one entry. Only the chosen builder runs. Their
evaluators answer from the table alone (no per-run state such as a seed), so the grid runner
(:func:`speechnas.nas.grid.run_grid`) takes :func:`grid_builder`, which builds one per worker process and hands
it to every job there. A benchmark with seeded queries or its own settings (NAS-Bench-101: repeats drawn per run,
see :mod:`speechnas.nas.nasbench101.experiment`) passes its own ``build(seed)`` to the runner instead.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

from speechnas.nas.evaluator import Evaluator
from speechnas.nas.space import SearchSpace


def build_nasbench201(table: str | Path) -> tuple[SearchSpace, Evaluator]:
    """NAS-Bench-201 CIFAR-10: search on ``valid_acc``, report ``test_acc`` (the shared ``nb201_cifar10.csv``)."""
    from speechnas.nas.evaluators.tabular import TabularEvaluator
    from speechnas.nas.spaces.nasbench201 import NasBench201Space

    space = NasBench201Space()
    return space, TabularEvaluator(space, table, search_metric="valid_acc", report_metrics=("test_acc",),
                                   expected_rows=space.size())


BENCHMARKS: dict[str, Callable[[str | Path], tuple[SearchSpace, Evaluator]]] = {
    "nasbench201": build_nasbench201,
}


def build_benchmark(name: str, table: str | Path) -> tuple[SearchSpace, Evaluator]:
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; choose one of {sorted(BENCHMARKS)}")
    return BENCHMARKS[name](table)


_BUILT: dict[tuple[str, str], tuple[SearchSpace, Evaluator]] = {}  # per process: (name, table) -> built


def _build_once(name: str, table: str, seed: int) -> tuple[SearchSpace, Evaluator]:
    del seed  # the table answers every run alike
    if (name, table) not in _BUILT:
        _BUILT[name, table] = build_benchmark(name, table)
    return _BUILT[name, table]


def grid_builder(name: str, table: str | Path) -> Callable[[int], tuple[SearchSpace, Evaluator]]:
    """The grid runner's picklable ``build(seed)`` for a named benchmark: built once per process, shared by its jobs."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; choose one of {sorted(BENCHMARKS)}")
    return partial(_build_once, name, str(table))

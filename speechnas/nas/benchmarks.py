"""Tabular benchmarks the command-line tools can name: ``name -> builder(table path) -> (space, evaluator)``.

A literal table (no registry magic); a new benchmark adds one entry. Only the chosen builder runs.
"""
from __future__ import annotations

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

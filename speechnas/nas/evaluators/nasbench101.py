"""NAS-Bench-101 evaluator with the benchmark's query rules.

A query returns the validation accuracy of one of the cell's repeats, drawn uniformly with this evaluator's own
seeded generator (never Python's global ``random``); the mean test accuracy over all repeats rides along for
reporting only. Accuracies are in percent. Each query's cost is that repeat's training time (seconds). The
official ``get_budget_counters()`` (unique hashes, summed training time) are the
:class:`~speechnas.nas.budget.Budget` wrapper's ``used`` and ``total_cost``: it keys on the same hash and only
passes new cells here, so this evaluator keeps no counters of its own.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from speechnas.nas.evaluator import Result
from speechnas.nas.nasbench101.benchmark import NasBench101
from speechnas.nas.nasbench101.graph import Cell


class NasBench101Evaluator:
    """Answers queries from a loaded benchmark at ``epochs`` training epochs, drawing repeats with ``seed``."""

    search_metric = "valid_acc"

    def __init__(self, benchmark: NasBench101, seed: int = 0, epochs: int = 108):
        if epochs not in benchmark.epochs:
            raise ValueError(f"epochs={epochs} is not in the benchmark file (it has {list(benchmark.epochs)})")
        self.benchmark = benchmark
        self.epochs = int(epochs)
        self.rng = np.random.default_rng(seed)

    def evaluate(self, archs: Sequence[Cell]) -> list[Result]:
        return [self.query(a) for a in archs]

    def query(self, cell: Cell) -> Result:
        """One query (NotInBenchmark for a valid cell the loaded file lacks)."""
        b = self.benchmark
        row = b.row(cell)
        reps = b.repeats(row, self.epochs)
        if not len(reps):
            raise ValueError(f"cell {b.hash_of(row)} has no repeats at {self.epochs} epochs in {b.source}")
        k = int(self.rng.integers(len(reps)))
        time, train, valid, test = (float(x) for x in reps[k])
        known = np.isfinite(time)  # partial files may lack it: cost 0 then, flagged in info
        # accuracies only (percent), so the core's best-so-far plot shares one axis; params stay in the benchmark
        metrics = {
            "valid_acc": 100.0 * valid,
            "test_acc": 100.0 * _nanmean(reps[:, 3]),  # report only: mean over repeats, final epoch
            "valid_mean_acc": 100.0 * _nanmean(reps[:, 2]),  # report only: mean validation over repeats
            "train_acc": 100.0 * train,
            "repeat_test_acc": 100.0 * test,
        }
        return Result(metrics, cost=time if known else 0.0,
                      info={"hash": b.hash_of(row), "repeat": k, "training_time_known": bool(known)})

    # the rng is a run's only evaluator state: a resumed run draws the same repeats
    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]


def _nanmean(values: np.ndarray) -> float:
    """Mean of the finite values (NaN when none: a partial file without test accuracies)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")

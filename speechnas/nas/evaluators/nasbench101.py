"""NAS-Bench-101 evaluator with the benchmark's query rules.

A query returns the validation accuracy of one of the cell's repeats, drawn uniformly with this evaluator's own
seeded generator (never Python's global ``random``); the mean test accuracy over all repeats rides along for
reporting only. Accuracies are in percent. Each query's cost is that repeat's training time (seconds), summed
in :attr:`training_time_spent` like the official ``get_budget_counters()``; the query budget itself (unique
hashes) is the :class:`~speechnas.nas.budget.Budget` wrapper's job, which keys on the same hash.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from speechnas.nas.evaluator import Result
from speechnas.nas.nasbench101.benchmark import NasBench101
from speechnas.nas.nasbench101.graph import Cell


class NasBench101Evaluator:
    search_metric = "valid_acc"

    def __init__(self, benchmark: NasBench101, seed: int = 0, epochs: int = 108, stop_halfway: bool = False):
        if epochs not in benchmark.epochs:
            raise ValueError(f"epochs={epochs} is not in the benchmark file (it has {list(benchmark.epochs)})")
        self.benchmark = benchmark
        self.epochs = int(epochs)
        self.stop_halfway = bool(stop_halfway)
        self.rng = np.random.default_rng(seed)
        self.queries = 0
        self.training_time_spent = 0.0
        self.epochs_spent = 0
        self.hashes: set[str] = set()

    def evaluate(self, archs: Sequence[Cell]) -> list[Result]:
        return [self.query(a) for a in archs]

    def query(self, cell: Cell) -> Result:
        """One charged query (NotInBenchmark for a valid cell the loaded file lacks)."""
        b = self.benchmark
        row = b.row(cell)
        reps = b.repeats(row, self.epochs, self.stop_halfway)
        if not len(reps):
            raise ValueError(f"cell {b.hash_of(row)} has no repeats at {self.epochs} epochs in {b.source}")
        k = int(self.rng.integers(len(reps)))
        time, train, valid, test = (float(x) for x in reps[k])
        final = b.repeats(row, self.epochs, False)
        known = np.isfinite(time)  # partial files may lack it: cost 0 then, flagged in info
        self.queries += 1
        self.training_time_spent += time if known else 0.0
        self.epochs_spent += self.epochs // 2 if self.stop_halfway else self.epochs
        self.hashes.add(b.hash_of(row))
        metrics = {
            "valid_acc": 100.0 * valid,
            "test_acc": 100.0 * _nanmean(final[:, 3]),  # report only: mean over repeats, final epoch
            "valid_mean_acc": 100.0 * _nanmean(final[:, 2]),  # report only: mean validation over repeats
            "train_acc": 100.0 * train,
            "repeat_test_acc": 100.0 * test,
            "params": float(b.params(row)),
            "training_time": time,
        }
        return Result(metrics, cost=time if known else 0.0,
                      info={"hash": b.hash_of(row), "repeat": k, "training_time_known": bool(known)})

    def budget_counters(self) -> dict:
        return {"queries": self.queries, "unique_hashes": len(self.hashes),
                "training_time_spent": self.training_time_spent, "epochs_spent": self.epochs_spent}

    # the rng is part of a run's state: a resumed run draws the same repeats
    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, **self.budget_counters(), "hash_list": sorted(self.hashes)}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.queries = int(state["queries"])
        self.training_time_spent = float(state["training_time_spent"])
        self.epochs_spent = int(state["epochs_spent"])
        self.hashes = set(state["hash_list"])


def _nanmean(values: np.ndarray) -> float:
    """Mean of the finite values (NaN when none: a partial file without test accuracies)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")

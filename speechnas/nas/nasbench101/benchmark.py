"""Read-only access to the whole benchmark: cells by hash, per-repeat metrics, means and ranks over the space.

Lookups here never charge a query budget (they are the official API's "for dataset analysis" calls); the
query rules live in :mod:`speechnas.nas.evaluators.nasbench101`.
"""
from __future__ import annotations

import os
import warnings
import numpy as np

from speechnas.nas.nasbench101.cache import load_table
from speechnas.nas.nasbench101.graph import Cell
from speechnas.nas.nasbench101.hashing import cell_hash
from speechnas.nas.nasbench101.table import METRIC_FIELDS, Table

FIELD = {name: k for k, name in enumerate(METRIC_FIELDS)}


class NotInBenchmark(KeyError):
    """A valid cell whose hash the loaded file does not hold (only possible with a partial file)."""


class NasBench101:
    """The benchmark table with lookups: ``row(cell)``, ``repeats(row)``, ``mean(...)``, ``rank_of(row)``."""

    def __init__(self, table: Table, source: str | None = None):
        self.table = table
        self.source = source
        self._mean_cache: dict[tuple, np.ndarray] = {}

    @classmethod
    def load(cls, path: str | os.PathLike, cache_path: str | os.PathLike | None = None, rebuild: bool = False,
             verify_hashes: bool = False) -> "NasBench101":
        """Load ``path`` through its binary cache (built beside it on first use, rebuilt when the file changes)."""
        return cls(load_table(path, cache_path, rebuild=rebuild, verify_hashes=verify_hashes), os.fspath(path))

    def __len__(self) -> int:
        return len(self.table)

    @property
    def epochs(self) -> tuple[int, ...]:
        return tuple(int(e) for e in self.table.epochs)

    def _epoch_index(self, epochs: int) -> int:
        hit = np.flatnonzero(self.table.epochs == epochs)
        if not len(hit):
            raise ValueError(f"epochs={epochs} is not in this benchmark file (it has {list(self.epochs)})")
        return int(hit[0])

    # -- lookups ---------------------------------------------------------------------------------------------
    def row_of_hash(self, module_hash: str) -> int | None:
        return self.table.row_of(module_hash)

    def row(self, cell: Cell) -> int:
        """Row of ``cell`` (any encoding: pruned and hashed first); NotInBenchmark when the file lacks it."""
        h = cell_hash(cell)
        r = self.table.row_of(h)
        if r is None:
            raise NotInBenchmark(f"cell {h} is not in {self.source or 'this benchmark'} "
                                 f"({len(self):,} cells; the full file has 423,624): for a partial file set "
                                 "benchmark.restrict: true so that only the cells it holds are searched")
        return r

    def hash_of(self, row: int) -> str:
        return self.table.hash_hex(row)

    def cell(self, row: int) -> Cell:
        return self.table.cell(row)

    def params(self, row: int) -> int:
        return int(self.table.params[row])

    def repeats(self, row: int, epochs: int = 108, stop_halfway: bool = False) -> np.ndarray:
        """``[n_repeats, 4]`` float64: (training_time, train_accuracy, validation_accuracy, test_accuracy)."""
        e = self._epoch_index(epochs)
        n = int(self.table.n_repeats[row, e])
        return self.table.metrics[row, e, :n, 0 if stop_halfway else 1].astype(np.float64)

    # -- whole-space statistics -----------------------------------------------------------------------------
    def mean(self, field: str = "test_accuracy", epochs: int = 108, stop_halfway: bool = False) -> np.ndarray:
        """``[N]`` mean over repeats of one field (final or halfway evaluation) for every cell."""
        key = (field, epochs, stop_halfway)
        if key not in self._mean_cache:
            vals = self.table.metrics[:, self._epoch_index(epochs), :, 0 if stop_halfway else 1, FIELD[field]]
            with warnings.catch_warnings():  # cells without this field (partial files) are NaN, quietly
                warnings.simplefilter("ignore", RuntimeWarning)
                self._mean_cache[key] = np.nanmean(vals.astype(np.float64), axis=1) if vals.shape[1] else \
                    np.full(len(self), np.nan)
        return self._mean_cache[key]

    def rank_of(self, row: int, field: str = "test_accuracy", epochs: int = 108) -> int:
        """1 + the number of cells with a strictly higher mean ``field`` (1 = best in the space)."""
        m = self.mean(field, epochs)
        return 1 + int(np.sum(m > m[row]))

    def best(self, field: str = "test_accuracy", epochs: int = 108) -> tuple[int, float]:
        """Row and value of the highest mean ``field``."""
        m = self.mean(field, epochs)
        r = int(np.nanargmax(m))
        return r, float(m[r])

    def summary(self) -> dict:
        best_row, best_test = self.best("test_accuracy", max(self.epochs))
        return {"source": self.source, "cells": len(self), "records": self.table.num_records,
                "epochs": list(self.epochs), "max_repeats": int(self.table.n_repeats.max(initial=0)),
                "best_mean_test_accuracy": best_test, "best_hash": self.hash_of(best_row),
                "metrics_dtype": str(self.table.metrics.dtype), **{k: v for k, v in self.table.meta.items()
                                                                   if k.startswith("source_")}}

"""Tabular benchmark evaluator: look architectures up in a CSV table (e.g. NAS-Bench-201's 15,625 cells).

The table has one row per architecture: an ``arch_str`` column with its readable string (parsed by the
space's ``from_str``), the search metric column and any report-only columns. Lookup is by the architecture's
token sequence (``encode``), so each cell gets its own row (the budget wrapper, not the table, merges keys).
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Sequence

from speechnas.nas.evaluator import Result
from speechnas.nas.space import Arch, SearchSpace


ARCH_COLUMN = "arch_str"  # the column holding each architecture's readable string


class TableError(ValueError):
    """The benchmark table is missing or malformed (the message names the file and line)."""


class TabularEvaluator:
    """Evaluate by table lookup; every query costs ``cost_per_query``."""

    def __init__(
        self,
        space: SearchSpace,
        table: str | Path,
        search_metric: str = "valid_acc",
        report_metrics: Sequence[str] = ("test_acc",),
        cost_per_query: float = 0.0,
        expected_rows: int | None = None,
    ):
        self.space = space
        self.table = Path(table)
        self.search_metric = search_metric
        self.metric_names = (search_metric, *report_metrics)
        self.cost_per_query = float(cost_per_query)
        self.rows = _load(space, self.table, self.metric_names)
        if expected_rows is not None and len(self.rows) != expected_rows:
            raise TableError(f"{self.table}: expected {expected_rows} architectures, found {len(self.rows)}")

    def _lookup(self, arch: Arch) -> dict[str, float]:
        row = self.rows.get(tuple(self.space.encode(arch)))
        if row is None:
            raise KeyError(f"architecture {self.space.to_str(arch)} is not in the table {self.table}")
        return row

    def evaluate(self, archs: Sequence[Arch]) -> list[Result]:
        out = []
        for arch in archs:
            out.append(Result(dict(self._lookup(arch)), cost=self.cost_per_query))
        return out

    def metric(self, arch: Arch, name: str | None = None) -> float:
        """One metric of ``arch`` without going through a budget (for analysis and diagnostics only)."""
        return self._lookup(arch)[name or self.search_metric]

    def archs(self) -> list[Arch]:
        """Every architecture in the table, in file order."""
        return [self.space.decode(tokens) for tokens in self.rows]


def _load(space, path: Path, metrics: Sequence[str]) -> dict[tuple[int, ...], dict[str, float]]:
    """``{token sequence: {metric: value}}`` of every row of the CSV ``path``; TableError names file and line."""
    if not path.is_file():
        raise TableError(f"benchmark table {path} does not exist (point the recipe's --table option at it)")
    rows: dict[tuple[int, ...], dict[str, float]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        needed = [ARCH_COLUMN, *metrics]
        missing = [c for c in needed if c not in header]
        if missing:
            raise TableError(f"{path}:1: missing column(s) {missing}; the header has {header}")
        for line, rec in enumerate(reader, start=2):
            try:
                arch = space.from_str(rec[ARCH_COLUMN])
            except (ValueError, TypeError, AttributeError) as e:
                raise TableError(f"{path}:{line}: column '{ARCH_COLUMN}': {e}") from None
            values = {}
            for name in needed[1:]:
                raw = rec.get(name)
                try:
                    values[name] = float(raw)
                except (TypeError, ValueError):
                    raise TableError(f"{path}:{line}: column '{name}' is not a number: {raw!r}") from None
                if not math.isfinite(values[name]):
                    raise TableError(f"{path}:{line}: column '{name}' is not finite: {raw!r}")
            tokens = tuple(space.encode(arch))
            if tokens in rows:
                raise TableError(f"{path}:{line}: architecture {rec[ARCH_COLUMN]!r} appears twice")
            rows[tokens] = values
    if not rows:
        raise TableError(f"{path}: the table has a header but no rows")
    return rows

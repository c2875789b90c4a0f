"""A small benchmark file in the real format built only from the real NAS-Bench-101 records available offline.

Cells: the 30 fixture cells (all repeats, all fields) and the 292 distinct cells of NASLib's 500 sampled queries
(one cell is in both: the fixture's record wins). For those 292 only what the CSV holds is written: each distinct
validation accuracy observed for a hash becomes one repeat (1-3 per cell) and the parameter count; test accuracy
and training time are absent (the reader gives NaN), never invented. It shows the pipeline end to end; the paper's
numbers need the real 423,624-cell file.
"""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

from speechnas.nas.nasbench101.graph import Cell, prune
from speechnas.nas.nasbench101.hashing import cell_hash
from speechnas.nas.nasbench101.payload import format_payload
from speechnas.nas.nasbench101.payload import split_payload
from speechnas.nas.nasbench101.tfrecord import HEADER, index_records, write_records

_NAN = math.nan


def _csv_cells(csv_path: Path) -> dict[str, tuple[Cell, list[float], int]]:
    """hash -> (pruned cell, distinct validation accuracies as fractions in first-seen order, parameters)."""
    out: dict[str, tuple[Cell, list[float], int]] = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            bits, ops = row["adjacency_flat49"], row["ops"].split(",")
            if len(bits) != 49 or len(ops) != 7:
                raise ValueError(f"{csv_path}:{line}: expected 49 adjacency bits and 7 ops")
            cell = Cell.from_lists([[int(bits[i * 7 + j]) for j in range(7)] for i in range(7)], ops)
            h = cell_hash(cell)
            if h != row["hash"]:
                raise ValueError(f"{csv_path}:{line}: graph hashes to {h}, the file says {row['hash']}")
            # percent back to the stored float32 fraction (exact: the CSV holds 100 * a float32 value)
            valid = float(np.float32(float(row["val_accuracy"]) / 100.0))
            params = int(round(float(row["params"]) * 1e6))
            entry = out.setdefault(h, (prune(cell), [], params))
            if valid not in entry[1]:
                entry[1].append(valid)
    return out


def build_demo(shared_nasbench_dir: str | os.PathLike, out_path: str | os.PathLike) -> dict:
    """Write the demo file; returns counts. ``shared_nasbench_dir`` holds the fixture and the 500-query CSV."""
    src = Path(shared_nasbench_dir)
    fixture = (src / "nb101_fixture_only108.tfrecord").read_bytes()
    index = index_records(fixture, src / "nb101_fixture_only108.tfrecord")
    payloads, fixture_hashes = [], set()
    for off, n in zip(index.offsets.tolist(), index.lengths.tolist()):
        payload = fixture[off + HEADER:off + HEADER + n]
        fixture_hashes.add(split_payload(payload)[0])
        payloads.append(payload)
    added = 0
    for h, (cell, valids, params) in sorted(_csv_cells(src / "nb101_500_val_and_zc.csv").items()):
        if h in fixture_hashes:
            continue
        added += 1
        for v in valids:
            evals = [[0.0, _NAN, _NAN, _NAN, _NAN], [54.0, _NAN, _NAN, _NAN, _NAN], [108.0, _NAN, _NAN, v, _NAN]]
            payloads.append(format_payload(h, 108, cell, evals, params))
    write_records(out_path, payloads)
    return {"cells": len(fixture_hashes) + added, "records": len(payloads), "fixture_cells": len(fixture_hashes),
            "csv_only_cells": added}

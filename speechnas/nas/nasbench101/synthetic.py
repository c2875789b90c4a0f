"""Synthetic benchmark files in the exact ``nasbench_only108.tfrecord`` layout, for benchmarks and tests.

:func:`write_synthetic` (reader speed): random upper-triangular graphs with random hashes and random numbers;
only the format and the sizes are real: 3 repeats per cell, three evaluations (start, halfway, end) each with
all five doubles, trainable parameters and total time, about 390 bytes per record like the real file.
:func:`write_searchable` (search-loop scale): distinct valid cells under their real hashes, with a made-up
smooth accuracy landscape, so the whole search pipeline runs at the real space's scale. Neither is benchmark data.
"""
from __future__ import annotations

import base64
import json
import os
import struct

import numpy as np

from speechnas.nas.nasbench101.graph import MAX_EDGES, OPS, Cell
from speechnas.nas.nasbench101.hashing import cell_hash
from speechnas.nas.nasbench101.payload import format_payload
from speechnas.nas.nasbench101.tfrecord import frame_many, write_records
from speechnas.utils.io import atomic_open
from speechnas.utils.progress import progress

REAL_ONLY108_CELLS = 423_624
_EVAL = struct.Struct("<BBBdBdBdBdBd")  # 0x0a len | 5 x (key, double)
_TAIL = struct.Struct("<Bd")


def _encode(epochs: int, times, accs, params: int, total: float) -> bytes:
    out = bytearray()
    for k, frac in enumerate((0.0, 0.5, 1.0)):
        out += _EVAL.pack(0x0A, 45, 0x09, epochs * frac, 0x11, times[k], 0x19, accs[k][0], 0x21, accs[k][1],
                          0x29, accs[k][2])
    out.append(0x10)
    v = int(params)
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    out += _TAIL.pack(0x19, total)
    return bytes(out)


def write_synthetic(path: str | os.PathLike, num_cells: int = REAL_ONLY108_CELLS, repeats: int = 3,
                    epochs: int = 108, seed: int = 0, batch: int = 1 << 15) -> int:
    """Write ``num_cells * repeats`` records to ``path`` (atomically); returns the file size in bytes."""
    rng = np.random.default_rng(seed)
    digests = rng.bytes(16 * num_cells)
    size = 0
    with atomic_open(path, "wb") as f:
        for a in progress(range(0, num_cells, batch), desc="synthetic cells", unit="batch"):
            n = min(batch, num_cells - a)
            nv = rng.choice([2, 3, 4, 5, 6, 7], size=n, p=[0.001, 0.004, 0.02, 0.075, 0.2, 0.7])
            bits = rng.random((n, 7, 7)) < 0.3
            op_ix = rng.integers(0, 3, size=(n, 5))
            params = rng.integers(200_000, 50_000_000, size=n)
            times = rng.uniform(300, 5000, size=(n, repeats)).astype(np.float32).astype(np.float64)
            accs = rng.uniform(0.1, 0.95, size=(n, repeats, 3, 3)).astype(np.float32).astype(np.float64)
            payloads = []
            for k in range(n):
                v = int(nv[k])
                adj = "".join("1" if (j > i and bits[k, i, j]) else "0" for i in range(v) for j in range(v))
                ops = ",".join(["input"] + [OPS[o] for o in op_ix[k, : v - 2]] + ["output"])
                h = digests[16 * (a + k):16 * (a + k + 1)].hex()
                for r in range(repeats):
                    t = float(times[k, r])
                    m = _encode(epochs, (0.0, t / 2, t), accs[k, r].tolist(), int(params[k]), t * 1.1)
                    payloads.append(json.dumps([h, epochs, adj, ops, base64.b64encode(m).decode("ascii")])
                                    .encode("utf-8"))
            data = frame_many(payloads)
            f.write(data)
            size += len(data)
    return size


def _depth(cell: Cell) -> int:
    v = cell.num_vertices
    longest = [0] * v
    for j in range(1, v):
        longest[j] = max((longest[i] + 1 for i in range(j) if cell.matrix[i][j]), default=0)
    return longest[-1]


def write_searchable(path: str | os.PathLike, num_cells: int = 100_000, seed: int = 0) -> int:
    """``num_cells`` distinct valid cells (3 repeats each) with real hashes and a synthetic landscape.

    Mean validation accuracy rises with conv3x3/conv1x1 counts and depth (plus per-cell and per-repeat noise);
    test accuracy tracks it. Returns the number of records.
    """
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    payloads: list[bytes] = []
    while len(seen) < num_cells:
        v = int(rng.choice([4, 5, 6, 7], p=[0.02, 0.08, 0.3, 0.6]))
        rows = [[0] * v for _ in range(v)]
        for j in range(1, v):  # every vertex is fed ...
            rows[int(rng.integers(j))][j] = 1
        for i in range(1, v - 1):  # ... and feeds something, so the graph needs no pruning
            if not any(rows[i]):
                rows[i][int(rng.integers(i + 1, v))] = 1
        for _ in range(int(rng.integers(0, 4))):  # a few more edges
            i = int(rng.integers(v - 1))
            rows[i][int(rng.integers(i + 1, v))] = 1
        if sum(map(sum, rows)) > MAX_EDGES:
            continue
        cell = Cell.from_lists(rows, ["input"] + [OPS[o] for o in rng.integers(0, 3, v - 2)] + ["output"])
        h = cell_hash(cell)
        if h in seen:
            continue
        seen.add(h)
        score = (0.86 + 0.012 * cell.ops.count(OPS[0]) + 0.006 * cell.ops.count(OPS[1])
                 - 0.004 * cell.ops.count(OPS[2]) + 0.006 * _depth(cell) + rng.normal(0, 0.006))
        params = int(200_000 + 900_000 * cell.ops.count(OPS[0]) + 150_000 * cell.ops.count(OPS[1]))
        for _ in range(3):
            valid = float(np.float32(min(score + rng.normal(0, 0.003), 0.96)))
            test = float(np.float32(min(valid - 0.004 + rng.normal(0, 0.002), 0.96)))
            t = float(np.float32(400 + 250 * cell.num_vertices + rng.normal(0, 20)))
            evals = [[0.0, 0.0, 0.1, 0.1, 0.1], [54.0, t / 2, valid - 0.1, valid - 0.12, test - 0.12],
                     [108.0, t, 1.0, valid, test]]
            payloads.append(format_payload(h, 108, cell, evals, params, t * 1.05))
    return write_records(path, payloads)

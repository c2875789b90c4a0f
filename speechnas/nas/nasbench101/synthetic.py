"""Synthetic benchmark files in the exact ``nasbench_only108.tfrecord`` layout, for reader benchmarks and tests.

The graphs are random upper-triangular matrices and the numbers random (hashes are random, not graph hashes);
only the format and the sizes are real: 3 repeats per cell, three evaluations (start, halfway, end) each with
all five doubles, trainable parameters and total time, about 390 bytes per record like the real file.
"""
from __future__ import annotations

import base64
import json
import os
import struct

import numpy as np

from speechnas.nas.nasbench101.graph import OPS
from speechnas.nas.nasbench101.table import _progress
from speechnas.nas.nasbench101.tfrecord import frame_many
from speechnas.utils.io import atomic_open

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
        for a in _progress(range(0, num_cells, batch), desc="synthetic cells", unit="batch"):
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

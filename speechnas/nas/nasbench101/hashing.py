"""The official NAS-Bench-101 graph hash (``hash_module``), reproduced bit for bit without the nasbench package.

Iterated neighbourhood hashing with MD5 over Python reprs of plain ints; isomorphic graphs share the hash.
Everything is converted to Python ``int`` first: NumPy 2 scalars would change the reprs and every hash.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

from speechnas.nas.nasbench101.graph import INPUT, OPS, OUTPUT, Cell, prune

_LABEL = {INPUT: -1, OUTPUT: -2, **{op: i for i, op in enumerate(OPS)}}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def hash_module(matrix: Sequence[Sequence[int]], labeling: Sequence[int]) -> str:
    """Fingerprint of an (already pruned) graph with integer vertex labels (-1 input, -2 output, 0..2 ops)."""
    v = len(labeling)
    m = [[int(x) for x in row] for row in matrix]
    labels = [int(x) for x in labeling]
    in_deg = [sum(m[i][j] for i in range(v)) for j in range(v)]
    out_deg = [sum(row) for row in m]
    h = [_md5(str((out_deg[k], in_deg[k], labels[k]))) for k in range(v)]
    preds = [[i for i in range(v) if m[i][j]] for j in range(v)]
    succs = [[j for j in range(v) if m[i][j]] for i in range(v)]
    for _ in range(v):
        h = [
            _md5("".join(sorted(h[w] for w in preds[k])) + "|" + "".join(sorted(h[w] for w in succs[k])) + "|" + h[k])
            for k in range(v)
        ]
    return _md5(str(sorted(h)))


def cell_hash(cell: Cell) -> str:
    """The benchmark's key for ``cell``: prune, then hash. Raises ValueError for a cell whose input misses output."""
    pruned = prune(cell)
    if pruned is None:
        raise ValueError(f"cell {cell} has no input->output path; it has no NAS-Bench-101 hash")
    return hash_module(pruned.matrix, [_LABEL[o] for o in pruned.ops])

"""NAS-Bench-101 cell space: up to 7 vertices and 9 edges, ops conv3x3 / conv1x1 / maxpool3x3 (SearchSpace protocol).

An architecture is a :class:`~speechnas.nas.nasbench101.graph.Cell`, pruned or not; its key is the official
hash of the pruned graph, so isomorphic cells and cells with extraneous vertices collide.

Tokens (SemiNAS's 27-token sequence, vocab 7): for each vertex c = 1..6, one token per earlier vertex r < c
(1 = no edge r -> c, 2 = edge), then c's op (3 conv1x1, 4 conv3x3, 5 maxpool3x3, 6 output). Cells with fewer
than 7 vertices are written as their 7-vertex embedding (isolated vertices before the output), so every token
is in 1..6. Constrained decoding (:meth:`allowed_tokens`, prefix-dependent) only admits valid cells: ops at op
positions, at most 9 edges, and an edge into the output from a vertex the input reaches.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np

from speechnas.nas.nasbench101.graph import (MAX_EDGES, MAX_VERTICES, OPS, OUTPUT, Cell, check_structure, embed7,
                                             from_str, invalid_reason, to_str)
from speechnas.nas.nasbench101.hashing import cell_hash

NO_EDGE, EDGE, OUT = 1, 2, 6
OP_TOKEN = {"conv1x1-bn-relu": 3, "conv3x3-bn-relu": 4, "maxpool3x3": 5, OUTPUT: OUT}
TOKEN_OP = {t: op for op, t in OP_TOKEN.items()}
# position -> (column c, row r) for an edge token r -> c, or (c, None) for c's op token
LAYOUT = [(c, r) for c in range(1, MAX_VERTICES) for r in list(range(c)) + [None]]
SEQ_LEN = len(LAYOUT)  # 27
_OUTPUT_COLUMN = LAYOUT.index((MAX_VERTICES - 1, 0))  # position of the first edge into the output (20)
UPPER = [(i, j) for i in range(MAX_VERTICES) for j in range(i + 1, MAX_VERTICES)]  # the 21 edge slots


@lru_cache(maxsize=1 << 18)
def _key(cell: Cell) -> str:
    return cell_hash(cell)


@lru_cache(maxsize=1 << 16)
def _reachable(columns: tuple[int, ...]) -> frozenset[int]:
    """Vertices 0..5 the input reaches, from the tokens of columns 1..5 (positions 0..19)."""
    reach = {0}
    for t, (c, r) in zip(columns, LAYOUT):
        if r is not None and t == EDGE and r in reach:
            reach.add(c)
    return frozenset(reach)


def _as_cell(arch) -> Cell:
    if isinstance(arch, Cell):
        return arch
    matrix, ops = arch
    return Cell.from_lists(matrix, ops)


def _valid(arch) -> bool:
    """Whether ``arch`` is in the whole NAS-Bench-101 space, whatever a benchmark file holds."""
    try:
        return invalid_reason(_as_cell(arch)) is None
    except (TypeError, ValueError):
        return False


class NasBench101Space:
    """The space without benchmark data: sampling draws 21 Bernoulli(0.5) edges and uniform ops until valid
    (the NAS-Bench-101 notebook's scheme, which favours small pruned cells; see :class:`NasBench101CatalogSpace`
    for uniform sampling over the 423,624 unique cells)."""

    name = "nasbench101"
    seq_len = SEQ_LEN
    vocab_size = 7
    allowed_tokens_depend_on_prefix = True

    def __init__(self, mutation_rate: float = 1.0):
        self.mutation_rate = float(mutation_rate)

    # -- membership -------------------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Cell:
        while True:
            bits = rng.random(len(UPPER)) < 0.5
            rows = [[0] * MAX_VERTICES for _ in range(MAX_VERTICES)]
            for (i, j), b in zip(UPPER, bits):
                rows[i][j] = int(b)
            ops = ["input"] + [OPS[k] for k in rng.integers(0, len(OPS), size=MAX_VERTICES - 2)] + [OUTPUT]
            cell = Cell.from_lists(rows, ops)
            if _valid(cell):  # never a subclass's narrower is_valid: that could loop forever
                return cell

    def is_valid(self, arch) -> bool:
        return _valid(arch)

    def key(self, arch) -> str:
        cell = _as_cell(arch)
        why = invalid_reason(cell)
        if why:
            raise ValueError(f"not a valid NAS-Bench-101 cell ({why}): {arch!r}")
        return _key(cell)

    # -- encodings -------------------------------------------------------------------------------------------
    def encode(self, arch) -> list[int]:
        cell = _as_cell(arch)
        why = check_structure(cell)
        if why:
            raise ValueError(f"not a NAS-Bench-101 cell ({why}): {arch!r}")
        cell = embed7(cell)
        m, ops = cell.matrix, cell.ops
        return [m[r][c] + 1 if r is not None else OP_TOKEN[ops[c]] for c, r in LAYOUT]

    def decode(self, tokens: Sequence[int]) -> Cell | None:
        """The 7-vertex cell the tokens spell, None if they spell none or an invalid one."""
        tokens = [int(t) for t in tokens]
        if len(tokens) != SEQ_LEN:
            return None
        n = MAX_VERTICES
        rows = [[0] * n for _ in range(n)]
        ops = ["input"] + [""] * (n - 1)
        for (c, r), t in zip(LAYOUT, tokens):
            if r is not None:
                if t not in (NO_EDGE, EDGE):
                    return None
                rows[r][c] = t - 1
            else:
                if t not in TOKEN_OP or (t == OUT) != (c == n - 1):
                    return None
                ops[c] = TOKEN_OP[t]
        cell = Cell.from_lists(rows, ops)
        return cell if self.is_valid(cell) else None

    def allowed_tokens(self, position: int, prefix: Sequence[int] = ()) -> list[int]:
        if not 0 <= position < SEQ_LEN:
            raise IndexError(f"position {position} outside 0..{SEQ_LEN - 1}")
        c, r = LAYOUT[position]
        if r is None:
            return [OUT] if c == MAX_VERTICES - 1 else [3, 4, 5]
        prefix = list(prefix[:position])
        edges = prefix.count(EDGE)  # token 2 only ever stands for an edge
        if c < MAX_VERTICES - 1:
            return [NO_EDGE, EDGE] if edges < MAX_EDGES - 1 else [NO_EDGE]  # keep one edge for the output
        reach = _reachable(tuple(prefix[:_OUTPUT_COLUMN]))
        need = not any(prefix[_OUTPUT_COLUMN + rr] == EDGE and rr in reach for rr in range(r))
        room = MAX_EDGES - edges
        if r in reach:
            if need:
                return [EDGE] if r == max(reach) else [NO_EDGE, EDGE]
            return [NO_EDGE, EDGE] if room >= 1 else [NO_EDGE]
        return [NO_EDGE, EDGE] if room - need >= 1 else [NO_EDGE]

    # -- neighbourhood ---------------------------------------------------------------------------------------
    def _mutate_once(self, cell: Cell, rng: np.random.Generator) -> Cell:
        """NAS-Bench-101's evolution mutation on the 7-vertex form: each of the 21 edge bits flips with
        probability rate/7, each of the 5 interior ops changes (to another op) with probability rate/5."""
        if cell.num_vertices < MAX_VERTICES:
            cell = embed7(cell, tuple(OPS[k] for k in rng.integers(0, len(OPS), MAX_VERTICES - cell.num_vertices)))
        rows = [list(row) for row in cell.matrix]
        ops = list(cell.ops)
        flips = rng.random(len(UPPER)) < self.mutation_rate / MAX_VERTICES
        for (i, j), f in zip(UPPER, flips):
            if f:
                rows[i][j] = 1 - rows[i][j]
        for v in range(1, MAX_VERTICES - 1):
            if rng.random() < self.mutation_rate / (MAX_VERTICES - 2):
                others = [o for o in OPS if o != ops[v]]
                ops[v] = others[int(rng.integers(len(others)))]
        return Cell.from_lists(rows, ops)

    def mutate(self, arch, rng: np.random.Generator, max_tries: int = 10_000) -> Cell:
        """A valid mutant with a different key (the benchmark's mutation, retried until it is one)."""
        cell = _as_cell(arch)
        own = self.key(cell)
        for _ in range(max_tries):
            new = self._mutate_once(cell, rng)
            if _valid(new) and _key(new) != own:
                return new
        raise RuntimeError(f"no valid mutant of {to_str(cell)} in {max_tries} tries")

    def to_str(self, arch) -> str:
        return to_str(_as_cell(arch))

    def from_str(self, text: str) -> Cell:
        return from_str(text)


class NasBench101CatalogSpace(NasBench101Space):
    """The space over the cells a loaded benchmark holds: uniform sampling over its unique cells (or, with
    ``sampling="adjacency"``, the notebook's Bernoulli edges), ``size()`` and ``enumerate()``. With
    ``restrict=True`` (for partial files) only those cells are valid, and a mutant that falls outside is replaced
    by the nearest held cell (fewest differing tokens, random tie-break).

    Cells handed out from the table (``sample``/``enumerate``) carry their stored hash into :meth:`key`, so the
    hot loop (SemiNAS draws 10,000 unlabelled cells per iteration) skips validation and MD5 hashing.
    """

    adjacency_draws = 100_000  # adjacency sampling gives up after this many valid draws outside a restricted file
    memo_size = 1 << 15  # table cells whose stored hash is remembered (cleared when full, to bound memory)

    def __init__(self, benchmark, restrict: bool = False, mutation_rate: float = 1.0, sampling: str = "uniform"):
        super().__init__(mutation_rate)
        if sampling not in ("uniform", "adjacency"):
            raise ValueError(f"sampling must be 'uniform' or 'adjacency', got {sampling!r}")
        self.benchmark = benchmark
        self.restrict = bool(restrict)
        self.sampling = sampling
        self._tokens: np.ndarray | None = None
        self._table_keys: dict[Cell, str] = {}  # cell from the table -> its stored hash

    def size(self) -> int:
        return len(self.benchmark)

    def _table_cell(self, row: int) -> Cell:
        """The stored cell of ``row``, remembered with its stored hash for :meth:`key` and :meth:`is_valid`."""
        cell = self.benchmark.cell(row)
        if len(self._table_keys) >= self.memo_size:
            self._table_keys.clear()
        self._table_keys[cell] = self.benchmark.hash_of(row)
        return cell

    def enumerate(self) -> Iterator[Cell]:
        for row in range(len(self.benchmark)):
            yield self._table_cell(row)

    def sample(self, rng: np.random.Generator) -> Cell:
        if self.sampling == "adjacency":
            for _ in range(self.adjacency_draws):
                cell = super().sample(rng)
                if self.is_valid(cell):
                    return cell
            raise RuntimeError(f"adjacency sampling found no cell of {self.benchmark.source or 'the benchmark'} "
                               f"in {self.adjacency_draws:,} valid draws (benchmark.restrict: true)")
        return self._table_cell(int(rng.integers(len(self.benchmark))))

    def key(self, arch) -> str:
        known = self._table_keys.get(arch) if isinstance(arch, Cell) else None
        return known if known is not None else super().key(arch)

    def is_valid(self, arch) -> bool:
        if isinstance(arch, Cell) and arch in self._table_keys:
            return True
        if not super().is_valid(arch):
            return False
        return not self.restrict or self.benchmark.row_of_hash(_key(_as_cell(arch))) is not None

    def mutate(self, arch, rng: np.random.Generator, max_tries: int = 10_000) -> Cell:
        """The benchmark's mutation; with ``restrict`` a mutant the file lacks becomes its nearest held cell."""
        new = super().mutate(arch, rng, max_tries)
        if not self.restrict or self.benchmark.row_of_hash(_key(new)) is not None:
            return new
        return self._nearest(new, self.key(arch), rng)

    def _nearest(self, cell: Cell, exclude_key: str, rng: np.random.Generator) -> Cell:
        if self._tokens is None:
            self._tokens = np.array([self.encode(self.benchmark.cell(r)) for r in range(len(self.benchmark))],
                                    dtype=np.int8)
        dist = (self._tokens != np.array(self.encode(cell), dtype=np.int8)).sum(axis=1)
        own_row = self.benchmark.row_of_hash(exclude_key)
        if own_row is not None:
            dist[own_row] = np.iinfo(dist.dtype).max
        best = np.flatnonzero(dist == dist.min())
        return self._table_cell(int(best[rng.integers(len(best))]))

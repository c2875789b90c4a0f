"""NAS-Bench-201 cell space: 4 nodes, 6 edges, 5 ops per edge (15,625 cells).

An architecture is a tuple of 6 op names in the order of the official string
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``, i.e. edges (0->1), (0->2), (1->2), (0->3), (1->3), (2->3).
Tokens are ``op index + 1`` (0 is the controller's start/padding symbol), so ``vocab_size = 6``, ``seq_len = 6``.

Canonical key: NAS-Bench-201's own isomorphism string (``to_unique_str(consider_zero=True)`` in its API):
``none`` is zero, ``skip_connect`` is identity and each node is a sorted sum of its incoming terms, so
cells that differ only in the order of the terms of a sum (e.g. with ``skip_connect`` on edge 0->1, node 1
equals node 0 and edges 0->2 and 1->2 may trade ops) or in the op after a ``none`` edge into node 1
share a key. This folds the 15,625 cells into the 6,466 unique
cells the benchmark's authors count.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))  # (source node, target node), string order
NUM_NODES = 4

Cell = tuple  # tuple of 6 op names


class NasBench201Space:
    """The NAS-Bench-201 cell space (every cell of the 5**6 product is valid and in the benchmark)."""

    name = "nasbench201"
    seq_len = len(EDGES)
    vocab_size = len(OPS) + 1
    allowed_tokens_depend_on_prefix = False

    def __init__(self) -> None:
        self._key_cache: dict[Cell, str] = {}

    # -- membership ------------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Cell:
        return tuple(OPS[i] for i in rng.integers(0, len(OPS), size=len(EDGES)))

    def is_valid(self, arch) -> bool:
        return isinstance(arch, tuple) and len(arch) == len(EDGES) and all(op in OPS for op in arch)

    def size(self) -> int:
        return len(OPS) ** len(EDGES)

    def enumerate(self) -> Iterator[Cell]:
        """Every cell of the space (product order over edges, not the benchmark's index order)."""
        for idx in np.ndindex(*(len(OPS),) * len(EDGES)):
            yield tuple(OPS[i] for i in idx)

    # -- encodings --------------------------------------------------------------------------------------
    def encode(self, arch: Cell) -> list[int]:
        self._check(arch)
        return [OPS.index(op) + 1 for op in arch]

    def decode(self, tokens: Sequence[int]) -> Cell | None:
        tokens = [int(t) for t in tokens]
        if len(tokens) != len(EDGES) or any(not 1 <= t <= len(OPS) for t in tokens):
            return None
        return tuple(OPS[t - 1] for t in tokens)

    def allowed_tokens(self, position: int, prefix: Sequence[int] = ()) -> list[int]:
        if not 0 <= position < len(EDGES):
            raise IndexError(f"position {position} outside 0..{len(EDGES) - 1}")
        return list(range(1, len(OPS) + 1))

    def to_str(self, arch: Cell) -> str:
        self._check(arch)
        parts = []
        for target in range(1, NUM_NODES):
            parts.append("|" + "|".join(f"{arch[e]}~{EDGES[e][0]}" for e in range(len(EDGES)) if EDGES[e][1] == target) + "|")
        return "+".join(parts)

    def from_str(self, text: str) -> Cell:
        groups = text.strip().split("+")
        if len(groups) != NUM_NODES - 1:
            raise ValueError(f"NAS-Bench-201 string {text!r}: expected {NUM_NODES - 1} '+'-separated nodes, got {len(groups)}")
        ops: dict[tuple[int, int], str] = {}
        for target, group in enumerate(groups, start=1):
            items = [s for s in group.split("|") if s]
            if len(items) != target:
                raise ValueError(f"NAS-Bench-201 string {text!r}: node {target} needs {target} inputs, got {len(items)}")
            for item in items:
                op, _, src = item.partition("~")
                if op not in OPS:
                    raise ValueError(f"NAS-Bench-201 string {text!r}: unknown op {op!r} (ops: {', '.join(OPS)})")
                if not src.isdigit() or int(src) >= target:
                    raise ValueError(f"NAS-Bench-201 string {text!r}: bad input node {src!r} for node {target}")
                ops[(int(src), target)] = op
        if len(ops) != len(EDGES):
            raise ValueError(f"NAS-Bench-201 string {text!r}: repeated input node")
        return tuple(ops[e] for e in EDGES)

    # -- neighbourhood ----------------------------------------------------------------------------------
    def mutate(self, arch: Cell, rng: np.random.Generator) -> Cell:
        """Change the op of one random edge to a different op."""
        self._check(arch)
        edge = int(rng.integers(len(EDGES)))
        choices = [op for op in OPS if op != arch[edge]]
        new = list(arch)
        new[edge] = choices[int(rng.integers(len(choices)))]
        return tuple(new)

    # -- canonical key ----------------------------------------------------------------------------------
    def key(self, arch: Cell) -> str:
        cached = self._key_cache.get(arch)
        if cached is None:
            self._check(arch)
            cached = self._key_cache[arch] = _canonical_expression(arch)
        return cached

    def _check(self, arch) -> None:
        if not self.is_valid(arch):
            raise ValueError(f"not a NAS-Bench-201 cell (tuple of {len(EDGES)} ops from {OPS}): {arch!r}")


def _canonical_expression(arch: Cell) -> str:
    """NAS-Bench-201's isomorphism string (its ``to_unique_str(consider_zero=True)`` semantics).

    Node 0 is ``0``; an edge gives ``#`` (zero) for ``none`` or a zero source, the source's string for
    ``skip_connect``, else ``(source)@op``; a node joins its edges' strings sorted with ``+``.
    """
    nodes = {0: "0"}
    for target in range(1, NUM_NODES):
        parts = []
        for e, (src, dst) in enumerate(EDGES):
            if dst != target:
                continue
            if arch[e] == "none" or nodes[src] == "#":
                parts.append("#")
            elif arch[e] == "skip_connect":
                parts.append(nodes[src])
            else:
                parts.append(f"({nodes[src]})@{arch[e]}")
        nodes[target] = "+".join(sorted(parts))  # as NB201 does: a node of only "#" terms is not "#" itself
    return nodes[NUM_NODES - 1]

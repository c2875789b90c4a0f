"""NAS-Bench-101 cells: the (matrix, ops) value type, pruning of vertices off every input->output path, validity.

Rules follow the benchmark's ``ModelSpec``: at most 7 vertices and 9 edges after pruning, a strictly
upper-triangular adjacency, ``input`` first, ``output`` last, interior ops from :data:`OPS`.
"""
from __future__ import annotations

from typing import NamedTuple

OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")  # canonical order: labels 0, 1, 2 in the hash
INPUT, OUTPUT = "input", "output"
ALL_OPS = OPS + (INPUT, OUTPUT)  # op codes 0..4 in the cache
MAX_VERTICES = 7
MAX_EDGES = 9


class Cell(NamedTuple):
    """One module: ``matrix[i][j] == 1`` is an edge i -> j (i < j); ``ops[v]`` names vertex v's operation.

    A NamedTuple (not a dataclass) so that ``dataclasses.asdict`` and pickling keep it a hashable Cell.
    """

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    @property
    def num_vertices(self) -> int:
        return len(self.ops)

    @property
    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    @classmethod
    def from_lists(cls, matrix, ops) -> "Cell":
        """Build from nested lists or a numpy array (entries become Python ints) and an op list."""
        return cls(tuple(tuple(int(x) for x in row) for row in matrix), tuple(str(o) for o in ops))

    def adjacency_string(self) -> str:
        """Row-major '0'/'1' string, the benchmark file's ``raw_adjacency`` form."""
        return "".join(str(x) for row in self.matrix for x in row)


def check_structure(cell: Cell) -> str | None:
    """Why ``cell`` is not a well-formed (possibly unpruned) spec, or None when it is."""
    v = len(cell.ops)
    if not 2 <= v <= MAX_VERTICES:
        return f"{v} vertices (must be 2..{MAX_VERTICES})"
    if len(cell.matrix) != v or any(len(row) != v for row in cell.matrix):
        return f"adjacency is not {v}x{v} to match {v} ops"
    for i, row in enumerate(cell.matrix):
        for j, x in enumerate(row):
            if x not in (0, 1):
                return f"adjacency entry [{i}][{j}] is {x!r}, not 0 or 1"
            if x and j <= i:
                return f"adjacency entry [{i}][{j}] is set but the matrix must be strictly upper triangular"
    if cell.ops[0] != INPUT or cell.ops[-1] != OUTPUT:
        return "ops must start with 'input' and end with 'output'"
    for o in cell.ops[1:-1]:
        if o not in OPS:
            return f"unknown interior op {o!r} (choose from {list(OPS)})"
    return None


def prune(cell: Cell) -> Cell | None:
    """Drop vertices not on an input->output path (keeping order); None when input does not reach output."""
    v = len(cell.ops)
    m = cell.matrix
    forward = {0}
    for j in range(1, v):
        if any(m[i][j] and i in forward for i in range(j)):
            forward.add(j)
    backward = {v - 1}
    for i in range(v - 2, -1, -1):
        if any(m[i][j] and j in backward for j in range(i + 1, v)):
            backward.add(i)
    keep = sorted(forward & backward)
    if len(keep) < 2 or keep[0] != 0 or keep[-1] != v - 1:
        return None
    if len(keep) == v:
        return cell
    return Cell(tuple(tuple(m[i][j] for j in keep) for i in keep), tuple(cell.ops[i] for i in keep))


def invalid_reason(cell: Cell) -> str | None:
    """Why ``cell`` is outside the benchmark's space (checked after pruning, as the benchmark does), or None."""
    why = check_structure(cell)
    if why:
        return why
    pruned = prune(cell)
    if pruned is None:
        return "input is not connected to output"
    if pruned.num_edges > MAX_EDGES:
        return f"{pruned.num_edges} edges after pruning (at most {MAX_EDGES})"
    return None


def is_valid(cell: Cell) -> bool:
    return invalid_reason(cell) is None


def embed7(cell: Cell, fillers: tuple[str, ...] | None = None) -> Cell:
    """The same network on exactly 7 vertices: isolated vertices go just before the output (pruned away).

    Their ops are ``fillers`` (one per added vertex), by default conv3x3.
    """
    v = len(cell.ops)
    if v == MAX_VERTICES:
        return cell
    n = MAX_VERTICES
    rows = [[0] * n for _ in range(n)]
    index = list(range(v - 1)) + [n - 1]  # old vertex -> new vertex
    for i in range(v):
        for j in range(v):
            if cell.matrix[i][j]:
                rows[index[i]][index[j]] = 1
    fill = list(fillers) if fillers is not None else [OPS[0]] * (n - v)
    if len(fill) != n - v:
        raise ValueError(f"embed7: {n - v} filler ops needed, got {len(fill)}")
    ops = list(cell.ops[:-1]) + fill + [OUTPUT]
    return Cell.from_lists(rows, ops)


def to_str(cell: Cell) -> str:
    """``<row-major adjacency bits>|<comma-separated ops>``, the benchmark file's own spelling."""
    return f"{cell.adjacency_string()}|{','.join(cell.ops)}"


def from_str(text: str) -> Cell:
    """Inverse of :func:`to_str`; raises ValueError naming what is wrong."""
    if text.count("|") != 1:
        raise ValueError(f"NAS-Bench-101 cell {text!r}: expected '<adjacency bits>|<ops>'")
    bits, ops_text = text.split("|")
    ops = tuple(ops_text.split(","))
    v = len(ops)
    if len(bits) != v * v or set(bits) - {"0", "1"}:
        raise ValueError(f"NAS-Bench-101 cell {text!r}: adjacency must be {v * v} '0'/'1' characters for {v} ops")
    cell = Cell(tuple(tuple(int(bits[i * v + j]) for j in range(v)) for i in range(v)), ops)
    why = check_structure(cell)
    if why:
        raise ValueError(f"NAS-Bench-101 cell {text!r}: {why}")
    return cell

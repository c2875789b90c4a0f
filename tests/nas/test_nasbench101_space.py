"""NAS-Bench-101 hashing, pruning, validity and the SearchSpace: encoding, constrained decoding, mutation."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from conftest import shared_path
from speechnas.nas.nasbench101.graph import OPS, Cell, embed7, from_str, invalid_reason, prune, to_str
from speechnas.nas.nasbench101.hashing import cell_hash
from speechnas.nas.space import SearchSpace
from speechnas.nas.spaces.nasbench101 import LAYOUT, SEQ_LEN, NasBench101CatalogSpace, NasBench101Space

OP_POSITIONS = [1, 4, 8, 13, 19, 26]


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return json.loads(shared_path("data", "nasbench", "nb101_30_full_records.json").read_text())


@pytest.fixture(scope="module")
def cells(records) -> list[Cell]:
    return [Cell.from_lists(r["module_adjacency"], r["module_operations"]) for r in records]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    from speechnas.nas.nasbench101 import NasBench101

    path = tmp_path_factory.mktemp("nb101") / "nasbench_only108.tfrecord"
    path.write_bytes(shared_path("data", "nasbench", "nb101_fixture_only108.tfrecord").read_bytes())
    return NasBench101.load(path)


def _relabel(cell: Cell, rng: np.random.Generator) -> Cell:
    """The same graph with its interior vertices in another random topological order."""
    v = cell.num_vertices
    indeg = [sum(cell.matrix[i][j] for i in range(v)) for j in range(v)]
    order, ready = [], [0]
    while ready:
        k = ready.pop(int(rng.integers(len(ready))))
        order.append(k)
        for j in range(v):
            if cell.matrix[k][j]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    ready.append(j)
    new = {old: i for i, old in enumerate(order)}
    assert order[0] == 0 and order[-1] == v - 1
    matrix = [[0] * v for _ in range(v)]
    for i in range(v):
        for j in range(v):
            if cell.matrix[i][j]:
                matrix[new[i]][new[j]] = 1
    return Cell.from_lists(matrix, [cell.ops[old] for old in order])


# -- hashing -------------------------------------------------------------------------------------------------------
def test_all_30_official_hashes(records, cells):
    assert [cell_hash(c) for c in cells] == [r["hash"] for r in records]
    assert len({r["hash"] for r in records}) == 30


def test_500_raw_graphs_with_extraneous_vertices_hash_like_the_benchmark():
    path = shared_path("data", "nasbench", "nb101_500_val_and_zc.csv")
    rows = list(csv.DictReader(path.open()))
    pruned = 0
    for r in rows:
        bits = r["adjacency_flat49"]
        cell = Cell.from_lists([[int(bits[i * 7 + j]) for j in range(7)] for i in range(7)], r["ops"].split(","))
        pruned += prune(cell).num_vertices < 7
        assert cell_hash(cell) == r["hash"]
    assert len(rows) == 500 and pruned > 400  # most raw samples carry vertices off every input->output path


def test_readme_inception_cell():
    m = [[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
         [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]]
    ops = ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"]
    assert cell_hash(Cell.from_lists(m, ops)) == "28cfc7874f6d200472e1a9dcd8650aa0"


def test_isomorphic_and_padded_graphs_hash_like_the_canonical_form(cells):
    rng = np.random.default_rng(0)
    for cell in cells:
        h = cell_hash(cell)
        for _ in range(3):
            assert cell_hash(_relabel(cell, rng)) == h
        if cell.num_vertices < 7:
            padded = embed7(cell, tuple(OPS[k] for k in rng.integers(0, 3, 7 - cell.num_vertices)))
            rows = [list(r) for r in padded.matrix]
            for extra in range(cell.num_vertices - 1, 6):  # dangling vertices: fed by the input, feeding nothing
                rows[0][extra] = 1
            assert cell_hash(Cell.from_lists(rows, padded.ops)) == h
        np_cell = Cell(tuple(tuple(np.int64(x) for x in row) for row in cell.matrix), cell.ops)
        assert cell_hash(np_cell) == h  # numpy 2 scalars would change the reprs hashed


def test_validity_rules():
    chain = Cell.from_lists([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
    assert invalid_reason(chain) is None
    assert "not connected" in invalid_reason(Cell.from_lists([[0, 1, 0], [0, 0, 0], [0, 0, 0]], chain.ops))
    assert "upper triangular" in invalid_reason(Cell.from_lists([[0, 1, 0], [1, 0, 1], [0, 0, 0]], chain.ops))
    assert "unknown interior op" in invalid_reason(Cell.from_lists(chain.matrix, ["input", "conv5x5", "output"]))
    dense = [[1 if j > i else 0 for j in range(7)] for i in range(7)]  # 21 edges
    ops7 = ["input"] + ["conv3x3-bn-relu"] * 5 + ["output"]
    assert "edges after pruning" in invalid_reason(Cell.from_lists(dense, ops7))
    # 11 raw edges, but vertex 5 feeds nothing: after pruning 9 edges remain, so it is valid (checked after pruning)
    m = [[0] * 7 for _ in range(7)]
    for i, j in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 6), (0, 6), (0, 2), (1, 3), (2, 4), (0, 5), (3, 5)]:
        m[i][j] = 1
    cell = Cell.from_lists(m, ops7)
    assert cell.num_edges == 11 and prune(cell).num_edges == 9 and invalid_reason(cell) is None


def test_str_round_trip_and_errors(cells):
    for c in cells:
        assert from_str(to_str(c)) == c
    for bad, why in [("0100input,output", "expected"), ("011|input,output", "'0'/'1'"),
                     ("0100|input,output", None), ("0101|input,output", "upper triangular")]:
        if why is None:
            assert from_str(bad).num_vertices == 2
        else:
            with pytest.raises(ValueError, match=why):
                from_str(bad)


# -- the SearchSpace -------------------------------------------------------------------------------------------------
def test_space_implements_the_protocol(bench):
    assert isinstance(NasBench101Space(), SearchSpace)
    assert isinstance(NasBench101CatalogSpace(bench), SearchSpace)
    assert [p for p, (c, r) in enumerate(LAYOUT) if r is None] == OP_POSITIONS and SEQ_LEN == 27


def test_encoding_round_trips(cells):
    space = NasBench101Space()
    rng = np.random.default_rng(1)
    for cell in cells + [space.sample(rng) for _ in range(100)]:
        tokens = space.encode(cell)
        assert len(tokens) == 27 and all(1 <= t <= 6 for t in tokens)
        assert [tokens[p] for p in OP_POSITIONS][-1] == 6 and all(3 <= tokens[p] <= 5 for p in OP_POSITIONS[:-1])
        back = space.decode(tokens)
        if cell.num_vertices == 7:
            assert back == cell  # exact for 7-vertex (also unpruned) cells
        else:
            assert prune(back) == cell  # short cells come back as their 7-vertex embedding
        assert space.key(back) == space.key(cell)


def test_decode_rejects_wrong_kinds_and_invalid_cells(cells):
    space = NasBench101Space()
    tokens = space.encode(cells[0])
    for pos, tok in [(1, 1), (0, 3), (26, 4), (4, 6), (5, 0)]:
        bad = list(tokens)
        bad[pos] = tok
        assert space.decode(bad) is None
    assert space.decode(tokens[:-1]) is None
    with pytest.raises(ValueError, match="unknown interior op"):
        space.encode(Cell.from_lists(cells[0].matrix, ["input"] + ["conv5x5"] * 5 + ["output"]))
    assert space.decode([1] * 26 + [6]) is None  # no edges: input does not reach output
    assert space.decode([2, 6] + [0] * 25) is None  # an early output and padding are not tokens of the layout


def test_constrained_decoding_emits_only_valid_token_kinds(bench):
    space = NasBench101Space()
    rng = np.random.default_rng(2)
    for _ in range(300):
        tokens: list[int] = []
        for pos in range(SEQ_LEN):
            allowed = space.allowed_tokens(pos, tokens)
            kind = {1, 2} if LAYOUT[pos][1] is not None else ({6} if pos == 26 else {3, 4, 5})
            assert allowed and set(allowed) <= kind
            tokens.append(int(rng.choice(allowed)))
        cell = space.decode(tokens)
        assert cell is not None and space.is_valid(cell)
    for row in range(len(bench)):  # never excludes a cell of the benchmark
        tokens = space.encode(bench.cell(row))
        assert all(tokens[p] in space.allowed_tokens(p, tokens[:p]) for p in range(SEQ_LEN))
    with pytest.raises(IndexError):
        space.allowed_tokens(27)


def test_sampling_and_mutation_are_seeded_and_valid():
    space = NasBench101Space()
    a = [space.sample(np.random.default_rng(5)) for _ in range(2)]
    assert a[0] == a[1] and a[0].num_vertices == 7
    rng = np.random.default_rng(6)
    for _ in range(100):
        parent = space.sample(rng)
        child = space.mutate(parent, rng)
        assert space.is_valid(child) and space.key(child) != space.key(parent)
    p = space.sample(np.random.default_rng(0))
    assert space.mutate(p, np.random.default_rng(9)) == space.mutate(p, np.random.default_rng(9))


def test_catalog_space_samples_uniformly_and_restricts(bench):
    space = NasBench101CatalogSpace(bench, restrict=True)
    rng = np.random.default_rng(3)
    counts = np.bincount([bench.row(space.sample(rng)) for _ in range(3000)], minlength=30)
    assert counts.min() > 60 and counts.max() < 140  # uniform over the 30 unique cells (expect 100 each)
    assert space.size() == 30 and len(list(space.enumerate())) == 30
    for _ in range(30):
        parent = space.sample(rng)
        child = space.mutate(parent, rng)
        assert bench.row_of_hash(space.key(child)) is not None and space.key(child) != space.key(parent)
    outside = from_str("0100|input,output")
    assert NasBench101Space().is_valid(outside) and not space.is_valid(outside)


def test_table_cells_key_by_their_stored_hash(bench):
    space = NasBench101CatalogSpace(bench)
    rng = np.random.default_rng(4)
    for cell in [space.sample(rng) for _ in range(50)] + list(space.enumerate()):
        assert space.key(cell) == bench.hash_of(bench.row(cell)) == NasBench101Space().key(cell)
        assert space.is_valid(cell)
    space.memo_size = 4  # a full memo is cleared, never grows past its size, and keys stay right
    cells = [space.sample(rng) for _ in range(10)]
    assert len(space._table_keys) <= 4
    assert [space.key(c) for c in cells] == [cell_hash(c) for c in cells]


class _NoCell:
    """A benchmark that holds no cell the whole space can produce."""

    source = "empty.tfrecord"

    def __len__(self) -> int:
        return 1

    def row_of_hash(self, module_hash: str) -> None:
        return None


def test_adjacency_sampling_gives_up_on_a_file_with_no_reachable_cell():
    import threading

    space = NasBench101CatalogSpace(_NoCell(), restrict=True, sampling="adjacency")
    space.adjacency_draws = 50
    errors: list[BaseException] = []

    def draw() -> None:
        try:
            space.sample(np.random.default_rng(0))
        except BaseException as e:  # noqa: BLE001 (handed to the test thread)
            errors.append(e)

    worker = threading.Thread(target=draw, daemon=True)  # an endless loop would keep it alive
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "adjacency sampling did not stop at its draw limit"
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError) and "in 50 valid draws" in str(errors[0])

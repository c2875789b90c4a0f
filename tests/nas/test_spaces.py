"""Search spaces: encoding round trips, readable strings, canonical keys, mutation, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from speechnas.nas.space import SearchSpace
from speechnas.nas.spaces.nasbench201 import EDGES, OPS, NasBench201Space
from speechnas.nas.spaces.toy import ToySpace

RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"


def test_nb201_every_cell_round_trips_and_key_count_matches_the_benchmark():
    space = NasBench201Space()
    assert isinstance(space, SearchSpace)
    cells = list(space.enumerate())
    assert len(cells) == space.size() == 5 ** 6 == len(set(cells))
    for cell in cells:
        tokens = space.encode(cell)
        assert len(tokens) == space.seq_len and all(1 <= t < space.vocab_size for t in tokens)
        assert space.decode(tokens) == cell
        assert space.from_str(space.to_str(cell)) == cell
    assert len({space.key(c) for c in cells}) == 6466  # NAS-Bench-201's count of unique cells


def test_nb201_string_format_and_errors():
    space = NasBench201Space()
    cell = space.from_str(RESNET)
    assert cell == ("nor_conv_3x3", "none", "nor_conv_3x3", "skip_connect", "none", "none")
    assert space.to_str(cell) == RESNET
    for bad, word in [("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|", "nodes"), (RESNET.replace("none~1", "conv9~1"), "unknown op"),
                      (RESNET.replace("none~2", "none~3"), "input node"), ("|nor_conv_3x3~0|+|none~0|+|a~0|b~1|c~2|", "inputs")]:
        with pytest.raises(ValueError, match=word):
            space.from_str(bad)
    assert space.decode([0, 1, 2, 3, 4, 5]) is None and space.decode([1, 2, 3]) is None
    with pytest.raises(ValueError, match="not a NAS-Bench-201 cell"):
        space.encode(("none",) * 5)


def test_nb201_keys_merge_equivalent_cells_only():
    space = NasBench201Space()
    # a skip on edge 0->1 makes node 1 equal to node 0: edges 0->2 and 1->2 may trade ops
    a = ("skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "none", "nor_conv_3x3")
    b = ("skip_connect", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3")
    assert space.key(a) == space.key(b)
    # the op after a 'none' edge into node 1 does not matter
    c = ("none", "nor_conv_3x3", "nor_conv_1x1", "skip_connect", "nor_conv_3x3", "nor_conv_1x1")
    d = ("none", "nor_conv_3x3", "avg_pool_3x3", "skip_connect", "nor_conv_1x1", "nor_conv_1x1")
    assert space.key(c) == space.key(d)
    # but not when node 1 differs from node 0
    e = ("nor_conv_3x3", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "none", "nor_conv_3x3")
    f = ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3")
    assert space.key(e) != space.key(f)
    assert space.key(space.from_str(RESNET)) != space.key(a)


def test_nb201_mutation_changes_exactly_one_edge_and_sampling_is_uniform():
    space, rng = NasBench201Space(), np.random.default_rng(0)
    cell = space.sample(rng)
    for _ in range(200):
        child = space.mutate(cell, rng)
        assert space.is_valid(child) and sum(x != y for x, y in zip(cell, child)) == 1
    counts = np.zeros((len(EDGES), len(OPS)))
    for _ in range(5000):
        for e, op in enumerate(space.sample(rng)):
            counts[e, OPS.index(op)] += 1
    assert np.all(np.abs(counts / 5000 - 0.2) < 0.03)
    assert all(space.allowed_tokens(p) == [1, 2, 3, 4, 5] for p in range(6))


def test_toy_space_round_trips_keys_and_allowed_tokens():
    space = ToySpace([(1, 2, 3), (2, 4), (1, 3)])
    assert isinstance(space, SearchSpace) and space.vocab_size == 6 and space.size() == 12
    for arch in space.enumerate():
        assert space.decode(space.encode(arch)) == arch and space.from_str(space.to_str(arch)) == arch
        assert all(t in space.allowed_tokens(i) for i, t in enumerate(space.encode(arch)))
    assert len({space.key(a) for a in space.enumerate()}) == 12
    assert space.decode([5, 2, 1]) is None  # token 5 is in the vocabulary but never allowed
    comm = ToySpace([(1, 2, 3)] * 3, commutative=True)
    assert comm.key((1, 2, 3)) == comm.key((3, 1, 2)) != comm.key((1, 1, 3))
    assert len({comm.key(a) for a in comm.enumerate()}) == 10  # multisets of size 3 from 3 values
    with pytest.raises(ValueError, match="expected integers"):
        space.from_str("1-x-3")
    with pytest.raises(ValueError, match="same choices"):
        ToySpace([(1, 2), (1, 3)], commutative=True)

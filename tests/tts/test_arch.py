"""The 12-token TTS architecture: readable form, token round trips, and the SearchSpace protocol."""
from __future__ import annotations

import numpy as np
import pytest

from speechnas.nas.space import SearchSpace
from speechnas.tts.model.arch import NUM_OPS, OP_NAMES, TTSArch, TTSSearchSpace, from_str, op_kind, to_str

BRIEF = "enc: conv13 conv9 tf8 tf8 lstm conv21 | dec: tf4 conv5 conv13 lstm conv21 conv5"


def test_op_table_matches_official_numbering():
    assert NUM_OPS == 11
    assert [op_kind(t) for t in range(1, 12)] == (
        [("conv", k) for k in (1, 5, 9, 13, 17, 21, 25)] + [("tf", 2), ("tf", 4), ("tf", 8), ("lstm", 0)])
    assert OP_NAMES[3] == "conv13"


def test_readable_form_round_trips_and_matches_tokens():
    arch = from_str(BRIEF)
    assert arch.encoder == (4, 3, 10, 10, 11, 6) and arch.decoder == (9, 2, 4, 11, 6, 2)
    assert to_str(arch) == BRIEF
    # the official integer form of the low-resource arch
    low = from_str("10 10 4 3 6 3 9 2 4 2 11 6")
    assert to_str(low) == "enc: tf8 tf8 conv13 conv9 conv21 conv9 | dec: tf4 conv5 conv13 conv5 lstm conv21"


@pytest.mark.parametrize("bad", ["enc: conv3 | dec: tf4", "enc: tf4 dec: tf4", "1 2 x", "12 1", ""])
def test_malformed_text_is_a_clear_error(bad):
    with pytest.raises(ValueError):
        from_str(bad)


def test_space_protocol_round_trips_and_mutation():
    space = TTSSearchSpace()
    assert isinstance(space, SearchSpace)
    assert space.seq_len == 12 and space.vocab_size == 12 and space.size() == 11 ** 12
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        arch = space.sample(rng)
        assert space.is_valid(arch)
        toks = space.encode(arch)
        assert len(toks) == 12 and all(1 <= t <= 11 for t in toks)
        assert space.decode(toks) == arch
        assert space.from_str(space.to_str(arch)) == arch
        child = space.mutate(arch, rng)
        assert space.is_valid(child) and child != arch
        assert sum(a != b for a, b in zip(space.encode(child), toks)) == 1
        seen.add(space.key(arch))
    assert len(seen) == 200  # 11^12 archs: no collisions expected
    counts = np.bincount([t for _ in range(300) for t in space.encode(space.sample(rng))], minlength=12)
    assert counts[0] == 0 and counts[1:].min() > 0.6 * counts[1:].mean()  # every op is drawn


def test_space_rejects_wrong_shapes():
    space = TTSSearchSpace(4, 4)
    assert space.decode([1] * 12) is None and space.decode([0] * 8) is None and space.decode([12] * 8) is None
    assert not space.is_valid(from_str(BRIEF))
    with pytest.raises(ValueError):
        space.key(from_str(BRIEF))
    assert space.allowed_tokens(0) == list(range(1, 12))
    with pytest.raises(ValueError):
        TTSArch((0, 1), (1, 1))
    assert hash(from_str(BRIEF)) == hash(from_str(BRIEF))

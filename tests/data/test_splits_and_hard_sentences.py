"""Splits (ESPnet full, SemiNAS low-resource, robustness) and the shipped hard-sentence sets."""
from __future__ import annotations

import pytest

from speechnas.data.corpus import hard_sentences
from speechnas.data.splits import make_split, scaled_sizes
from speechnas.text.cleaners import CLEANED_SYMBOLS
from conftest import shared_path


@pytest.fixture(scope="module")
def lj_ids():
    meta = shared_path("data/ljspeech_mini/metadata_full_13100.csv")
    return [line.split("|", 1)[0] for line in meta.read_text(encoding="utf-8").splitlines()]


def test_full_split_matches_espnet(lj_ids):
    s = make_split(lj_ids, "full")
    assert (len(s.train), len(s.dev), len(s.eval)) == (12600, 250, 250)
    ids = sorted(lj_ids)
    assert s.train == ids[:12600] and s.dev == ids[12600:12850] and s.eval == ids[12850:]
    assert s.eval[-1] == "LJ050-0278"


def test_low_resource_split_seeded_disjoint(lj_ids):
    a, b, c = make_split(lj_ids, "low_resource", 1), make_split(lj_ids, "low_resource", 1), make_split(lj_ids, "low_resource", 2)
    assert (len(a.train), len(a.dev), len(a.eval)) == (1500, 100, 100)
    assert a.train == b.train and a.dev == b.dev and a.train != c.train
    assert not (set(a.train) & set(a.dev) or set(a.train) & set(a.eval) or set(a.dev) & set(a.eval))


def test_robustness_trains_on_everything(lj_ids):
    s = make_split(lj_ids, "robustness")
    assert len(s.train) == 13100 and not s.dev and not s.eval


def test_scaled_sizes_on_small_corpora():
    assert scaled_sizes(32, (12600, 250, 250)) == (28, 2, 2)
    assert scaled_sizes(285, (1500, 100, 100)) == (251, 17, 17)
    assert scaled_sizes(13100, (1500, 100, 100)) == (1500, 100, 100)
    with pytest.raises(ValueError, match="too small"):
        scaled_sizes(4, (1500, 100, 100))
    with pytest.raises(ValueError, match="unknown setting"):
        make_split(["a"], "tiny")


def test_hard_sentences_shipped_and_clean():
    ev, dev = hard_sentences("eval"), hard_sentences("dev")
    assert len(ev) >= 100 and len(dev) >= 20
    texts = [u.text for u in ev + dev]
    assert all(set(t) <= set(CLEANED_SYMBOLS) and t for t in texts)
    assert not set(texts[: len(ev)]) & set(texts[len(ev):])  # search never sees the evaluation sentences
    lengths = sorted(len(t) for t in texts)
    assert lengths[0] <= 4 and lengths[-1] >= 250  # very short and very long ones
    assert any("nineteen" in t for t in texts) and any("doctor" in t for t in texts)  # years, abbreviations
    sub = hard_sentences("eval", 20)
    assert len(sub) == 20 and sub[0].utt_id == "hard_eval_001" and sub[-1].utt_id > "hard_eval_090"

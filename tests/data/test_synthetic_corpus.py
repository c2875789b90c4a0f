"""The built-in corpus: deterministic, each symbol acoustically distinct, durations follow the text."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from speechnas.audio.functional import MelConfig, log_mel_spectrogram
from speechnas.data.corpus import build_mini_corpus, read_sentences, RESOURCES
from speechnas.data.ljspeech import load_corpus
from speechnas.data.synthetic import SOUNDS, render_text

CFG = MelConfig()


def _symbol_mean(sym: str, seed: int) -> np.ndarray:
    r = render_text(sym * 2, seed)
    x = log_mel_spectrogram(torch.from_numpy(r.audio), CFG).numpy()
    return x[r.boundaries[0] // 256 + 1: r.boundaries[-1] // 256].mean(0)


def test_same_seed_identical_other_seed_different():
    a, b, c = render_text("hello world.", 3, 7), render_text("hello world.", 3, 7), render_text("hello world.", 4, 7)
    assert a.audio.tobytes() == b.audio.tobytes()
    assert a.audio.shape != c.audio.shape or not np.array_equal(a.audio, c.audio)
    assert render_text("hello world.", 3, 8).audio.tobytes() != a.audio.tobytes()  # index matters too


def test_every_letter_recognisable_across_seeds():
    """Nearest-centroid over mean log-mel: a symbol rendered with seed 2 is closest to itself rendered with seed 1."""
    letters = [s for s in SOUNDS if SOUNDS[s].kind != "pause"]
    ref = {s: _symbol_mean(s, 1) for s in letters}
    wrong = []
    for s in letters:
        probe = _symbol_mean(s, 2)
        best = min(ref, key=lambda k: np.linalg.norm(ref[k] - probe))
        if best != s:
            wrong.append((s, best))
    assert not wrong
    dists = [np.linalg.norm(ref[a] - ref[b]) for i, a in enumerate(letters) for b in letters[i + 1:]]
    assert min(dists) > 1.0


def test_durations_follow_text():
    r = render_text("sat sat sat", 1)
    seg = np.diff(r.boundaries)
    assert len(seg) == 11 and r.boundaries[0] == r.lead
    assert seg[1] > seg[2] and seg[1] > seg[3]  # vowel 'a' longer than space and stop 't'
    short, long_ = render_text("cat.", 1), render_text("the cat sat on the mat.", 1)
    assert len(long_.audio) > 3 * len(short.audio) // 2
    r = render_text("aaa, aaa", 1)
    energy = np.exp(log_mel_spectrogram(torch.from_numpy(r.audio), CFG).numpy()).sum(1)
    mid = lambda i: int((r.boundaries[i] + r.boundaries[i + 1]) // 2 // 256)  # noqa: E731 - frame at a symbol's centre
    assert energy[mid(1)] > 100 * energy[mid(3)]  # the comma's pause is silent, the vowel loud


def test_unknown_symbol_rejected():
    with pytest.raises(ValueError, match=r"cannot render symbols \['7'\]"):
        render_text("a7", 1)


def test_mini_corpus_layout_deterministic_and_resumable(tmp_path):
    a = build_mini_corpus(tmp_path / "a", seed=5, num_utterances=6)
    b = build_mini_corpus(tmp_path / "b", seed=5, num_utterances=6)
    wavs = sorted(p.name for p in (a / "wavs").iterdir())
    assert wavs == [f"MINI-{i:04d}.wav" for i in range(1, 7)]
    assert all((a / "wavs" / w).read_bytes() == (b / "wavs" / w).read_bytes() for w in wavs)
    assert (a / "metadata.csv").read_text() == (b / "metadata.csv").read_text()
    utts, skipped = load_corpus(a)
    assert len(utts) == 6 and not skipped and utts[0].speaker == "MINI"
    mtime = (a / "wavs" / wavs[0]).stat().st_mtime_ns
    (a / "wavs" / wavs[-1]).unlink()
    build_mini_corpus(tmp_path / "a", seed=5, num_utterances=6)  # complete: nothing redone
    assert not (a / "wavs" / wavs[-1]).exists()
    (a / "metadata.csv").unlink()  # incomplete: only the missing wav is rendered again
    build_mini_corpus(tmp_path / "a", seed=5, num_utterances=6)
    assert (a / "wavs" / wavs[-1]).read_bytes() == (b / "wavs" / wavs[-1]).read_bytes()
    assert (a / "wavs" / wavs[0]).stat().st_mtime_ns == mtime


def test_other_seed_in_same_folder_renders_everything_again(tmp_path):
    build_mini_corpus(tmp_path / "a", seed=5, num_utterances=3)
    (tmp_path / "a" / "metadata.csv").unlink()  # also an interrupted seed-5 run must not leak into seed 6
    a = build_mini_corpus(tmp_path / "a", seed=6, num_utterances=3)
    fresh = build_mini_corpus(tmp_path / "fresh", seed=6, num_utterances=3)
    wavs = sorted(p.name for p in (fresh / "wavs").iterdir())
    assert sorted(p.name for p in (a / "wavs").iterdir()) == wavs and len(wavs) == 3
    assert all((a / "wavs" / w).read_bytes() == (fresh / "wavs" / w).read_bytes() for w in wavs)
    assert (a / "corpus.json").read_text() == (fresh / "corpus.json").read_text()
    build_mini_corpus(tmp_path / "a", seed=6, num_utterances=2)  # fewer sentences: no extra wav left behind
    assert sorted(p.name for p in (a / "wavs").iterdir()) == wavs[:2]


def test_shipped_sentences_short_and_many():
    sentences = read_sentences(RESOURCES / "mini_sentences.txt")
    assert len(sentences) >= 250 and len(set(sentences)) == len(sentences)
    lengths = [len(s) for s in sentences]
    assert max(lengths) <= 25 and set("".join(sentences).lower()) >= set("abcdefghijklmnopqrstuvwxyz")

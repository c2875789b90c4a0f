"""Test data for the TTS model tests: the real LJSpeech clips in ../shared as contract batches, and random batches.

A small character mapping of our own (0 = <pad>, 1 = <eos>, then characters) keeps these tests independent of
the text front-end; features are raw log-mel normalised with the clips' own statistics.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from speechnas.audio.functional import MelConfig, log_mel_spectrogram

CHARS = "abcdefghijklmnopqrstuvwxyz '.,?!-;:\""
CHAR_IDS = {c: i + 2 for i, c in enumerate(CHARS)}
VOCAB_SIZE = len(CHARS) + 2


def encode_text(text: str) -> list[int]:
    """Lower-cased characters to ids, unknown characters dropped, ``<eos>`` (1) appended."""
    return [CHAR_IDS[c] for c in text.lower() if c in CHAR_IDS] + [1]


def load_clips(root: Path, count: int = 32, shortest: bool = True, ids=None) -> list[tuple[str, list[int], np.ndarray]]:
    """``(utt_id, token ids, raw log-mel (frames, 80))`` of the clips ``ids`` (in that order), or of ``count``
    clips (the shortest ones by default)."""
    with open(root / "metadata.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE))
    items = []
    for utt, _, normalised in rows:
        if ids is not None and utt not in ids:
            continue
        wav, sr = sf.read(str(root / "wavs" / f"{utt}.wav"), dtype="float32")
        assert sr == 22050, f"{utt}: {sr} Hz"
        items.append((utt, encode_text(normalised), wav))
    if ids is not None:
        missing = set(ids) - {it[0] for it in items}
        assert not missing, f"clips {sorted(missing)} are not in {root / 'metadata.csv'}"
        items.sort(key=lambda it: list(ids).index(it[0]))
    elif shortest:
        items.sort(key=lambda it: len(it[2]))
    cfg = MelConfig()
    return [(u, t, log_mel_spectrogram(torch.from_numpy(w), cfg).numpy()) for u, t, w in items[:count]]


def make_batch(items, mean: np.ndarray, std: np.ndarray) -> dict:
    """A contract batch from ``(utt_id, tokens, raw log-mel)`` items (features normalised, zero-padded)."""
    b = len(items)
    lmax = max(len(t) for _, t, _ in items)
    tmax = max(f.shape[0] for _, _, f in items)
    text = torch.zeros(b, lmax, dtype=torch.long)
    feats = torch.zeros(b, tmax, 80)
    for i, (_, toks, f) in enumerate(items):
        text[i, : len(toks)] = torch.tensor(toks)
        feats[i, : f.shape[0]] = torch.from_numpy((f - mean) / std)
    return {
        "utt_ids": [u for u, _, _ in items],
        "text": text,
        "text_lengths": torch.tensor([len(t) for _, t, _ in items]),
        "feats": feats,
        "feats_lengths": torch.tensor([f.shape[0] for _, _, f in items]),
    }


def random_batch(lengths_text, lengths_feats, vocab: int = VOCAB_SIZE, n_mels: int = 80, seed: int = 0) -> dict:
    """A synthetic contract batch: random tokens ending in ``<eos>``, random features, zero padding."""
    g = torch.Generator().manual_seed(seed)
    b = len(lengths_text)
    text = torch.zeros(b, max(lengths_text), dtype=torch.long)
    feats = torch.zeros(b, max(lengths_feats), n_mels)
    for i, (lt, lf) in enumerate(zip(lengths_text, lengths_feats)):
        text[i, : lt - 1] = torch.randint(2, vocab, (lt - 1,), generator=g)
        text[i, lt - 1] = 1
        feats[i, :lf] = torch.randn(lf, n_mels, generator=g)
    return {"utt_ids": [f"utt{i}" for i in range(b)], "text": text, "text_lengths": torch.tensor(lengths_text),
            "feats": feats, "feats_lengths": torch.tensor(lengths_feats)}

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
from speechnas.data import collate_tts

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
    """A contract batch from ``(utt_id, tokens, raw log-mel)`` items (features normalised), via the real collate."""
    return collate_tts([{"utt_id": u, "text": torch.tensor(toks, dtype=torch.long),
                         "feats": torch.from_numpy(((f - mean) / std).astype(np.float32))} for u, toks, f in items])


def random_batch(lengths_text, lengths_feats, vocab: int = VOCAB_SIZE, n_mels: int = 80, seed: int = 0) -> dict:
    """A synthetic contract batch (via the real collate): random tokens ending in ``<eos>``, random features."""
    g = torch.Generator().manual_seed(seed)
    items = []
    for i, (lt, lf) in enumerate(zip(lengths_text, lengths_feats)):
        text = torch.cat([torch.randint(2, vocab, (lt - 1,), generator=g), torch.tensor([1])])
        items.append({"utt_id": f"utt{i}", "text": text, "feats": torch.randn(lf, n_mels, generator=g)})
    return collate_tts(items)

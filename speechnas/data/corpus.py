"""The built-in corpus on disk (LJSpeech layout) and the project's text-only hard-sentence sets.

:func:`build_mini_corpus` renders the shipped sentences (``resources/mini_sentences.txt``) with
:mod:`speechnas.data.synthetic` into ``<out>/wavs/MINI-NNNN.wav`` and ``<out>/metadata.csv``. ``corpus.json`` (seed,
sentences) is written first: wavs are written atomically and kept on a re-run with the same settings, while other
settings delete ``wavs/`` first. ``metadata.csv`` is written last, so its presence with a matching ``corpus.json``
means the corpus is complete.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from speechnas.audio.io import write_wav
from speechnas.data.kaldi import Utterance
from speechnas.text.cleaners import english_cleaners, find_unmappable
from speechnas.text.numbers import expand_numbers
from speechnas.utils.io import atomic_write_json, atomic_write_text
from speechnas.utils.progress import progress

RESOURCES = Path(__file__).resolve().parent / "resources"


def read_sentences(path: str | os.PathLike) -> list[str]:
    """Non-empty, non-comment lines of a sentence file."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]


def build_mini_corpus(out_dir: str | os.PathLike, seed: int = 1, num_utterances: int | None = None,
                      sentences_file: str | os.PathLike | None = None) -> Path:
    """Render the built-in corpus into ``out_dir``; a complete corpus with the same settings is left as it is."""
    from speechnas.data.synthetic import SAMPLE_RATE, render_text  # scipy: imported only when rendering

    out_dir = Path(out_dir)
    sentences = read_sentences(sentences_file or RESOURCES / "mini_sentences.txt")
    if num_utterances is not None:
        sentences = sentences[:num_utterances]
    digest = hashlib.sha256("\n".join(sentences).encode()).hexdigest()
    settings = {"seed": seed, "num_utterances": len(sentences), "sentences_sha256": digest,
                "sample_rate": SAMPLE_RATE, "generator": "speechnas.data.synthetic v1"}
    record = out_dir / "corpus.json"
    same = record.is_file() and json.loads(record.read_text()) == settings
    if same and (out_dir / "metadata.csv").is_file():
        return out_dir
    (out_dir / "metadata.csv").unlink(missing_ok=True)
    if not same:  # other seed or sentences: no existing wav belongs to this corpus
        shutil.rmtree(out_dir / "wavs", ignore_errors=True)
        atomic_write_json(record, settings)
    meta = []
    for i, sentence in enumerate(progress(sentences, desc="built-in corpus", unit="utt")):
        utt = f"MINI-{i + 1:04d}"
        text = english_cleaners(sentence)
        bad = find_unmappable(text)
        if bad:
            raise ValueError(f"{sentences_file or 'mini_sentences.txt'}: sentence {i + 1} has unmappable {dict(bad)}")
        wav = out_dir / "wavs" / f"{utt}.wav"
        if not wav.is_file():  # atomic writes: an existing file is complete
            write_wav(wav, render_text(text, seed, i).audio, SAMPLE_RATE)
        meta.append(f"{utt}|{sentence}|{expand_numbers(sentence)}\n")
    atomic_write_text(out_dir / "metadata.csv", "".join(meta))
    return out_dir


def hard_sentences(part: str, limit: int | None = None) -> list[Utterance]:
    """Text-only utterances ``hard_<part>_NNN`` from ``resources/hard_sentences_<part>.txt`` (cleaned text).

    ``limit`` keeps an evenly spaced subset (every category stays represented), for the built-in corpus.
    """
    if part not in ("dev", "eval"):
        raise ValueError(f"hard-sentence part must be 'dev' or 'eval', got {part!r}")
    path = RESOURCES / f"hard_sentences_{part}.txt"
    sentences = read_sentences(path)
    ids = [f"hard_{part}_{i + 1:03d}" for i in range(len(sentences))]
    pairs = list(zip(ids, sentences))
    if limit is not None and limit < len(pairs):
        step = len(pairs) / limit
        pairs = [pairs[int(k * step)] for k in range(limit)]
    utts = []
    for utt, sentence in pairs:
        text = english_cleaners(sentence)
        bad = find_unmappable(text)
        if bad or not text:
            raise ValueError(f"{path}: {utt} cannot be cleaned into known symbols: {sentence!r} ({dict(bad)})")
        utts.append(Utterance(utt, text, None, "hard"))
    return utts

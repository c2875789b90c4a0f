"""Configuration of the data stages (0-2): corpus, text front-end, splits and features (``egs/*/conf/data.yaml``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from speechnas.audio.functional import MelConfig


@dataclass
class MiniCorpusConfig:
    """The small corpus of ``--mini true``: short LJSpeech sentences read by eSpeak NG (or the synthetic one)."""
    seed: int = 1  # which sentences are drawn (eSpeak NG) / the synthetic renderer's seed
    num_utterances: int | None = 320  # sentences drawn (synthetic corpus: at most its 285; None: all)
    min_chars: int = 20  # eSpeak NG mini: cleaned transcripts of min_chars..max_chars characters
    max_chars: int = 60
    hard_eval: int = 20  # robustness setting on the mini corpus: hard sentences kept for eval / dev
    hard_dev: int = 10


@dataclass
class ESpeakConfig:
    """How eSpeak NG reads the transcripts (``--corpus espeak``): a voice drawn per utterance from ``seed`` and
    the utterance id, so that durations vary as a reader's do (defaults measured to give LJSpeech's 5.8 frames
    per character, coefficient of variation 0.12; eSpeak's fixed default voice gives 4.75 and 0.08)."""
    seed: int = 1
    rate: float = 156.0  # median speaking rate, words per minute (eSpeak's default: 175)
    rate_sigma: float = 0.06  # log-normal spread of an utterance's rate around ``rate``
    clause_rate_sigma: float = 0.05  # each clause's rate around its utterance's
    pitch: list[int] = field(default_factory=lambda: [35, 65])  # base pitch drawn from [lo, hi] (eSpeak 0-100)
    pitch_range: list[int] = field(default_factory=lambda: [30, 70])  # intonation range drawn from [lo, hi]
    word_gap: list[int] = field(default_factory=lambda: [0, 2])  # extra gap between words, 10 ms units
    edge_silence: list[float] = field(default_factory=lambda: [0.05, 0.2])  # seconds before and after, drawn
    pause: list[float] = field(default_factory=lambda: [0.05, 0.25])  # seconds between clauses, drawn
    noise_db: float = -70.0  # white noise floor in dB full scale (recordings are never digitally silent)
    num_utterances: int | None = None  # None: all 13,100; fewer: the first N ids (quick checks)


@dataclass
class DataConfig:
    text_column: Literal["normalized", "raw"] = "normalized"  # which metadata.csv transcript the cleaners read
    cleaner: Literal["english", "basic"] = "english"
    token_type: Literal["char", "phn"] = "phn"  # eSpeak NG IPA phonemes (as ESPnet's LJSpeech recipes); or char
    split_seed: int = 1  # SemiNAS low-resource shuffle seed
    mini: MiniCorpusConfig = field(default_factory=MiniCorpusConfig)
    espeak: ESpeakConfig = field(default_factory=ESpeakConfig)
    features: MelConfig = field(default_factory=MelConfig)

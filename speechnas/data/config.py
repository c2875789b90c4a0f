"""Configuration of the data stages (0-2): corpus, text front-end, splits and features (``egs/*/conf/data.yaml``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from speechnas.audio.functional import MelConfig


@dataclass
class MiniCorpusConfig:
    seed: int = 1  # seed of the synthetic renderer (same seed -> identical wav bytes)
    num_utterances: int | None = None  # None: every shipped sentence (285)
    hard_eval: int = 20  # robustness setting on the built-in corpus: hard sentences kept for eval / dev
    hard_dev: int = 10


@dataclass
class DataConfig:
    text_column: Literal["normalized", "raw"] = "normalized"  # which metadata.csv transcript the cleaners read
    cleaner: Literal["english", "basic"] = "english"
    token_type: Literal["char", "phn"] = "char"  # phn needs g2p_en
    split_seed: int = 1  # SemiNAS low-resource shuffle seed
    mini: MiniCorpusConfig = field(default_factory=MiniCorpusConfig)
    features: MelConfig = field(default_factory=MelConfig)

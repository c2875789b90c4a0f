"""Configuration of the data stages (0-2): corpus, text front-end, splits and features (``egs/*/conf/data.yaml``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from speechnas.audio.functional import MelConfig
from speechnas.text.espeak_render import ESpeakConfig


@dataclass
class MiniCorpusConfig:
    """The small corpus of ``--mini true``: short LJSpeech sentences read by eSpeak NG (or the synthetic one)."""
    seed: int = 1  # which sentences are drawn (eSpeak NG) / the synthetic renderer's seed
    num_utterances: int | None = 320  # sentences drawn (synthetic corpus: at most its 285; None: all)
    min_chars: int = 30  # eSpeak NG mini: cleaned transcripts of min_chars..max_chars characters
    max_chars: int = 90
    hard_eval: int = 10  # the mini's hard sentences: the hard set (and the robustness eval set) / robustness dev
    hard_dev: int = 10


@dataclass
class DataConfig:
    text_column: Literal["normalized", "raw"] = "normalized"  # which metadata.csv transcript the cleaners read
    cleaner: Literal["english", "basic"] = "english"
    token_type: Literal["char", "phn"] = "phn"  # eSpeak NG IPA phonemes (as ESPnet's LJSpeech recipes); or char
    split_seed: int = 1  # SemiNAS low-resource shuffle seed
    mini: MiniCorpusConfig = field(default_factory=MiniCorpusConfig)
    espeak: ESpeakConfig = field(default_factory=ESpeakConfig)
    features: MelConfig = field(default_factory=MelConfig)

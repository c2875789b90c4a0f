"""Configuration of the TTS recipe's stages 3-8 (``egs/ljspeech/conf/<setting>.yaml``): one dataclass tree.

Defaults are the paper's (SemiNAS section 5, and the official code where the paper is silent): search at hidden
64 with 6 + 6 layers, N = 100 initial architectures, M = 4000 unlabelled, K = 100, 100 new per iteration, L = 3
iterations (400 queries), 30000 supernet steps, final model at hidden 256 trained 80000 steps, attention dropout
0.1. ``vocab_size`` of both model sections is always taken from the recipe's ``tokens.txt``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from speechnas.audio.griffinlim import GriffinLimConfig
from speechnas.nas import presets
from speechnas.nas.oneshot import ONESHOT_METHODS, OneShotMethods
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.nas.seminas import SemiNASConfig
from speechnas.tts.decoding.decode import DecodeConfig
from speechnas.tts.training.loss import LossConfig
from speechnas.tts.model.backbone import TTSModelConfig
from speechnas.tts.training.trainer import TrainConfig
from speechnas.utils.config import load_config

SEARCH_METHODS = ONESHOT_METHODS


def _paper_seminas(unlabelled: int = 4000) -> SemiNASConfig:
    """The official TTS controller schedule (:func:`speechnas.nas.presets.tts`): N = 100, M = 4000, K = 100, 100 new
    per iteration, L = 3, 10,000 / 1,000 epochs, AdamW kept for the whole search."""
    return replace(presets.tts(), unlabelled=unlabelled)


@dataclass
class EvaluatorConfig:
    """How stage 4 trains and scores: the one-shot loop's schedule and free-running decoding of the dev set."""

    dev_utterances: int = 0  # 0 = the whole dev set, else the first N utterances (sorted ids)
    batch_frames: int = 40000  # padded frames per decoding batch (many utterances decode at once)
    decode: DecodeConfig = field(default_factory=DecodeConfig)  # its seed is replaced by each of ``seeds``
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])  # pre-net dropout seeds; the score is their mean
    steps_per_new_arch: int = 300  # a new architecture's own supernet steps before it joins the pool
    #   (~ supernet.max_steps / N: as much as each initial one had in stage 3)
    pool_steps_per_arch: int = 100  # then, each iteration, steps per pool architecture on the whole pool, before
    #   every pool architecture is scored again (official: max_epochs x |pool| epochs per iteration)


@dataclass
class SearchStageConfig(OneShotMethods):
    """Stage 4: the search method, its budget and seed, and one section per method (as the NAS grid)."""

    method: Literal["seminas", "nao", "random"] = "seminas"  # run.sh --search-method sets this (--search.method)
    budget: int = 400  # unique architectures scored: N + L x new per iteration
    seed: int = 1
    evaluator: EvaluatorConfig = field(default_factory=EvaluatorConfig)
    seminas: SemiNASConfig = field(default_factory=_paper_seminas)
    nao: SemiNASConfig = field(default_factory=lambda: _paper_seminas(unlabelled=0))  # NAO: SemiNAS with M = 0
    random: RandomSearchConfig = field(default_factory=lambda: RandomSearchConfig(batch_size=100))


@dataclass
class LoaderConfig:
    workers: int = 0  # DataLoader worker processes for training batches (0: load in the training process)
    max_frames: int = 0  # drop training utterances longer than this many frames (0: keep all)


@dataclass
class SynthConfig:
    """Stage 6 (and ``speechnas-synthesize``): decoding to the stop token, Griffin-Lim, attention plots."""

    decode: DecodeConfig = field(default_factory=lambda: DecodeConfig(seed=0))
    sets: list[str] = field(default_factory=lambda: ["eval", "hard"])  # the eval set and the hard sentences
    griffin_lim: GriffinLimConfig = field(default_factory=GriffinLimConfig)
    batch_frames: int = 40000  # decoded frames per batch (estimated from the maximum length)
    attention_plots: bool = True


@dataclass
class EvalConfig:
    """Stage 7: alignment errors from the synthesized attention, MCD against the reference audio."""

    mcd_order: int = 24  # mel-cepstral coefficients 1..order enter the distortion (c0, the level, does not)
    min_skip: int = 2  # tokens in a row no frame attends to: a skip
    min_repeat: int = 2  # tokens the alignment jumps back: a repeat
    min_repeat_frames: int = 2  # frames it stays there


@dataclass
class RecipeConfig:
    search_model: TTSModelConfig = field(  # stages 3-4
        default_factory=lambda: TTSModelConfig(hidden_size=64, attention_dropout=0.1))
    supernet: TrainConfig = field(default_factory=lambda: TrainConfig(
        lr=3.95e-3, max_steps=30000, loss=LossConfig(guided_attn_until=3000)))  # guided attention: first 10% only
    search: SearchStageConfig = field(default_factory=SearchStageConfig)
    final_model: TTSModelConfig = field(  # stage 5
        default_factory=lambda: TTSModelConfig(hidden_size=256, attention_dropout=0.1))
    final_train: TrainConfig = field(default_factory=lambda: TrainConfig(  # guided attention: first 10% only, so
        lr=1.98e-3, max_steps=80000, loss=LossConfig(guided_attn_until=8000)))  # stage 7 sees each model's own alignment
    baseline_op: str = "tf4"  # the hand-designed baseline: this op in every layer (Transformer TTS)
    loader: LoaderConfig = field(default_factory=LoaderConfig)
    synth: SynthConfig = field(default_factory=SynthConfig)
    evaluation: EvalConfig = field(default_factory=EvalConfig)

    def check(self) -> None:
        s, f = self.search_model, self.final_model
        if (s.encoder_layers, s.decoder_layers) != (f.encoder_layers, f.decoder_layers):
            raise ValueError(f"config: final_model has {f.encoder_layers}+{f.decoder_layers} layers but the searched "
                             f"architectures have {s.encoder_layers}+{s.decoder_layers} (search_model)")
        if self.search.budget < 1:
            raise ValueError(f"config key 'search.budget' must be positive, got {self.search.budget}")


def load_recipe_config(path: str | None, overrides=()) -> RecipeConfig:
    """Defaults <- YAML ``path`` <- dotted ``--key value`` overrides; checked for consistency."""
    cfg = load_config(RecipeConfig, path, overrides)
    cfg.check()
    return cfg

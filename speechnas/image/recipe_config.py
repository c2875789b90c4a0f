"""Configuration of the ImageNet recipe (``recipes/imagenet/conf/<name>.yaml``): one dataclass tree.

Defaults are the paper's and the official code's (SemiNAS section 4.2 and ``imagenet/``): 50,000 held-out training
images; supernet at the ProxylessNAS widths, batch 512, SGD Nesterov lr 0.4 decayed x0.97 per pass, label smoothing
0.1; SemiNAS with N = 100, M = 4,000, K = 100, 100 new per iteration, L = 3, 20,000 supernet steps per iteration;
architectures under 600M multiply-adds at the final widths; final network at the released widths, 300 epochs,
batch 256, lr 0.05 per-step cosine, weight decay 4e-5, label smoothing 0.1, dropout 0.3.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from speechnas.image.data import DataConfig
from speechnas.image.layout import WIDTH_PRESETS, Widths
from speechnas.image.mini import MiniSetConfig
from speechnas.image.model import NetConfig
from speechnas.image.train import ImageTrainConfig
from speechnas.nas import presets
from speechnas.nas.oneshot import ONESHOT_METHODS, OneShotConfig, OneShotMethods
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.nas.seminas import SemiNASConfig
from speechnas.utils.config import load_config

SEARCH_METHODS = ONESHOT_METHODS


def _paper_seminas(unlabelled: int = 4000) -> SemiNASConfig:
    """The official ImageNet controller schedule (:func:`speechnas.nas.presets.imagenet`): N = 100, M = 4000,
    K = 100, 100 new per iteration, L = 3."""
    return replace(presets.imagenet(), unlabelled=unlabelled)


@dataclass
class SplitConfig:
    holdout: int = 50000  # training images held out for scoring architectures (the paper's 50,000)
    seed: int = 0


@dataclass
class ScoreConfig:
    """How an architecture is scored with the supernet's weights: top-1 on a fixed held-out subset."""

    holdout_images: int = 5000  # the first N images of the held-out split (fixed for the whole search)
    recalibrate: bool = True  # re-estimate the path's batch-norm statistics first (the official code never does)
    recalibration_images: int = 2048  # fixed training images (evaluation transform) for the re-estimate
    batch_size: int = 256


@dataclass
class SupernetConfig:
    model: NetConfig = field(default_factory=lambda: NetConfig(widths=WIDTH_PRESETS["supernet"]))
    train: ImageTrainConfig = field(default_factory=lambda: ImageTrainConfig(
        batch_size=512, lr=0.4, schedule="step", gamma=0.97, max_steps=20000, save_every=1000))


@dataclass
class SearchConfig(OneShotMethods):
    """Stage 2: method, budget, seed, the multiply-add limit, supernet steps per iteration, one section per method."""

    method: Literal["seminas", "nao", "random"] = "seminas"
    budget: int = 400  # unique architectures scored: N + L x new per iteration
    seed: int = 1
    limit_madds: float = 600e6  # architectures must have fewer multiply-adds than this ...
    limit_widths: Widths = field(default_factory=lambda: WIDTH_PRESETS["final"])  # ... at these widths, 224 x 224
    # the one-shot loop (speechnas.nas.oneshot): the paper's ImageNet search trains 20,000 steps per iteration on that
    # iteration's 100 new architectures only (200 each), then re-scores the whole pool; pool_steps_per_arch > 0 also
    # trains the whole pool each iteration, as the official TTS loop does
    oneshot: OneShotConfig = field(default_factory=lambda: OneShotConfig(steps_per_new_arch=200, pool_steps_per_arch=0))
    score: ScoreConfig = field(default_factory=ScoreConfig)
    seminas: SemiNASConfig = field(default_factory=_paper_seminas)
    nao: SemiNASConfig = field(default_factory=lambda: _paper_seminas(unlabelled=0))  # NAO: SemiNAS with M = 0
    random: RandomSearchConfig = field(default_factory=lambda: RandomSearchConfig(batch_size=100))


@dataclass
class FinalConfig:
    """Stage 3: the found architecture trained from scratch on all of ``train/`` (held-out images included)."""

    arch: str = ""  # empty: the best architecture of the search (search.method); else 21 tokens
    model: NetConfig = field(default_factory=lambda: NetConfig(widths=WIDTH_PRESETS["final"], dropout=0.3))
    train: ImageTrainConfig = field(default_factory=ImageTrainConfig)


@dataclass
class ImageRecipeConfig:
    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    mini: MiniSetConfig = field(default_factory=MiniSetConfig)  # the built-in set (--mini true)
    supernet: SupernetConfig = field(default_factory=SupernetConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    final: FinalConfig = field(default_factory=FinalConfig)
    eval_batch_size: int = 250  # stage 4

    def check(self) -> None:
        if self.search.budget < 1:
            raise ValueError(f"config key 'search.budget' must be positive, got {self.search.budget}")
        s = self.search.score
        if s.holdout_images < 1 or (s.recalibrate and s.recalibration_images < 1):
            raise ValueError("config keys 'search.score.holdout_images' and 'search.score.recalibration_images' must "
                             "be positive")
        if s.holdout_images > self.split.holdout:
            raise ValueError(f"config key 'search.score.holdout_images' ({s.holdout_images}) is more than the "
                             f"{self.split.holdout} held-out images (split.holdout)")
        if self.supernet.train.schedule == "cosine":
            raise ValueError("config key 'supernet.train.schedule': cosine needs the run's length in advance, which a "
                             "search that keeps training the supernet does not have; use step or constant")
        if self.search.oneshot.initial_steps != 0:
            raise ValueError("config key 'search.oneshot.initial_steps' must be 0: stage 1 trains the supernet on the "
                             "initial architectures (supernet.train.max_steps)")
        if self.supernet.model.dropout != 0.0:
            raise ValueError("config key 'supernet.model.dropout': the supernet is trained without dropout (0.0)")


def load_recipe_config(path: str | None, overrides=()) -> ImageRecipeConfig:
    """Defaults <- YAML ``path`` <- dotted ``--key value`` overrides; checked for consistency."""
    cfg = load_config(ImageRecipeConfig, path, overrides)
    cfg.check()
    return cfg

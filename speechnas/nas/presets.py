"""Controller schedules as named presets: the official SemiNAS code's, per task, and the NAS core's fast one.

Each preset is a complete :class:`~speechnas.nas.seminas.SemiNASConfig` (N, M, K, new per iteration, iterations,
up-sampling, controller sizes, epochs, optimiser, target scaling, step sizes); ``nao_of(preset)`` is the same with
M = 0. Sources: ``../shared/reference/seminas_nao.md`` (sections 1.2-1.9, 2.5 and 3.6), which describes the official
code; where the two official versions differ the preset says which one it follows.

- ``nb101_q300``: NAS-Bench-101, 300 queries (March 2020 code): N = 100, 2 x 100 new, M = 10,000, x100 up-sampling,
  min-max targets with a sigmoid, 10,000 epochs on the labelled set and 1,000 on labelled + pseudo-labelled in
  every iteration, Adam 1e-3. The controller is the one the code builds (H = 64, MLP 16: its two size flags are
  swapped when passed).
- ``nb101_q2000``: NAS-Bench-101, 2,000 queries (December 2020 code): N = 1,100, 3 x 300 new, x10 up-sampling,
  z-scores with the code's fixed constants (mean 0.908192301, std 0.023961; in percent here), no sigmoid, 1,000 /
  500 epochs per iteration.
- ``imagenet``: the MobileNetV2 space: N = 100, 3 x 100 new, M = 4,000 random sequences, labelled data used once,
  H = 16, MLP 64, sigmoid, min-max, 10,000 / 1,000 epochs, step size 0.1, 0.2, ... up to 100. (The official code
  takes the 100 *lowest*-predicted seeds, a bug; the SemiNAS loop here always takes the best.)
- ``tts``: the TTS search (March 2020 code): as ``imagenet`` but AdamW kept for the whole search.
- ``fast``: the NAS core's default (:class:`SemiNASConfig()`): z-scores clipped at -3, lr 5e-3, 300 epochs first,
  30 per later iteration and 1 on labelled + pseudo-labelled; H = 16, MLP 16; M = 1,000. On NAS-Bench-201 it is as
  good as a longer schedule at a fraction of the cost (README, NAS core).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from speechnas.nas.controller import ControllerConfig
from speechnas.nas.controller_train import AscentConfig, TrainConfig
from speechnas.nas.seminas import SemiNASConfig

PAPER_TRAIN = TrainConfig(lr=1e-3, weight_decay=1e-4, grad_clip=5.0, batch_size=100, trade_off=0.8)
NB101_MEAN, NB101_STD = 90.8192301, 2.3961  # official fixed z-score constants (0.908192301 / 0.023961), in percent


def nb101_q300() -> SemiNASConfig:
    return SemiNASConfig(
        initial=100, unlabelled=10_000, top_k=100, new_per_iteration=100, iterations=2, upsample=100,
        pretrain_epochs=10_000, train_epochs=10_000, semi_epochs=1_000, semi_batch_size=100,
        target_scaling="minmax", target_clip=0.0,
        controller=ControllerConfig(hidden_size=64, mlp_hidden=16, mlp_layers=2, dropout=0.1, sigmoid=True),
        train=replace(PAPER_TRAIN), ascent=AscentConfig(step_start=1.0, step_growth=1.0, step_max=100.0))


def nb101_q2000() -> SemiNASConfig:
    return SemiNASConfig(
        initial=1_100, unlabelled=10_000, top_k=100, new_per_iteration=300, iterations=3, upsample=10,
        pretrain_epochs=1_000, train_epochs=1_000, semi_epochs=500, semi_batch_size=100,
        target_scaling="fixed", target_mean=NB101_MEAN, target_std=NB101_STD, target_clip=0.0,
        controller=ControllerConfig(hidden_size=64, mlp_hidden=16, mlp_layers=2, dropout=0.1, sigmoid=False),
        train=replace(PAPER_TRAIN), ascent=AscentConfig(step_start=1.0, step_growth=1.0, step_max=100.0))


def imagenet() -> SemiNASConfig:
    return SemiNASConfig(
        initial=100, unlabelled=4_000, top_k=100, new_per_iteration=100, iterations=3, upsample=1,
        pretrain_epochs=10_000, train_epochs=10_000, semi_epochs=1_000, semi_batch_size=100,
        target_scaling="minmax", target_clip=0.0,
        controller=ControllerConfig(hidden_size=16, mlp_hidden=64, mlp_layers=2, dropout=0.1, sigmoid=True),
        train=replace(PAPER_TRAIN), ascent=AscentConfig(step_start=0.1, step_growth=0.1, step_max=100.0))


def tts() -> SemiNASConfig:
    cfg = imagenet()
    cfg.train = replace(PAPER_TRAIN, optimizer="adamw", keep_optimizer=True)
    return cfg


def fast() -> SemiNASConfig:
    return SemiNASConfig()


PRESETS: dict[str, Callable[[], SemiNASConfig]] = {
    "nb101_q300": nb101_q300, "nb101_q2000": nb101_q2000, "imagenet": imagenet, "tts": tts, "fast": fast}


def preset(name: str) -> SemiNASConfig:
    """A fresh copy of the preset ``name``; ValueError listing the presets otherwise."""
    if name not in PRESETS:
        raise ValueError(f"unknown SemiNAS preset {name!r}; choose one of {list(PRESETS)}")
    return PRESETS[name]()


def nao_of(cfg: SemiNASConfig) -> SemiNASConfig:
    """The same schedule without pseudo-labelled architectures (NAO)."""
    return replace(cfg, unlabelled=0)

"""The semi-supervised predictor shared by SemiNAS, SemiNAS(screen), NAO and SemiNAS(RE): fit on labelled data,
pseudo-label unlabelled architectures, refit on both.

Targets are scaled per ``target_scaling``: ``zscore`` over the labelled set (clipped below at ``-target_clip``: the
few broken cells, e.g. NAS-Bench-201's 10%-accuracy ones, would otherwise dominate the MSE), ``fixed`` z-scores with
given constants (the official NAS-Bench-101 code), or ``minmax`` over the labelled set to [0, 1] (the official
300-query, ImageNet and TTS code, with a sigmoid output). Pseudo-labels are the predictor's own predictions on the
unlabelled architectures, made after the labelled phase and before the semi-supervised one. ``ensemble > 1`` trains
that many controllers on the same data and averages their predictions (generation uses the first one's decoder).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Sequence

import numpy as np
import torch

from speechnas.nas.controller import Controller, ControllerConfig
from speechnas.nas.controller_train import TrainConfig, make_optimizer, predict, tokens_of, train_controller
from speechnas.nas.space import Arch, SearchSpace
from speechnas.utils.device import resolve_device

WHOLE_SPACE_LIMIT = 100_000  # unlabelled = -1 (every unqueried architecture) is refused on larger spaces


@dataclass
class PredictorConfig:
    """Knobs of the controller's training (shared by every predictor-driven method)."""

    upsample: int = 10  # labelled rows are repeated this many times next to the pseudo-labelled ones
    pretrain_epochs: int = 300  # first training on the labelled set
    train_epochs: int = 30  # later trainings on the labelled set (weights carry over; official code: = pretrain)
    semi_epochs: int = 1  # training on labelled (up-sampled) + pseudo-labelled
    semi_batch_size: int = 100  # batch size of that phase
    target_scaling: Literal["zscore", "fixed", "minmax"] = "zscore"  # see the module docstring
    target_clip: float = 3.0  # zscore/fixed: targets clipped below at -target_clip (<= 0: no clipping)
    target_mean: float = 0.0  # fixed: the constants (official NAS-Bench-101 code: 90.8192301 / 2.3961 in percent)
    target_std: float = 1.0
    ensemble: int = 1  # controllers trained side by side; predictions (and pseudo-labels) are their mean
    device: str = "cpu"  # cpu | cuda | auto; the controller is tiny, so a CPU is usually as fast
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(lr=5e-3))  # 5e-3: the decoder learns to
    # reconstruct within a few hundred steps (1e-3 needs ~1000), which gradient-ascent generation relies on


def check_predictor_config(cfg: PredictorConfig, where: str) -> None:
    """ValueError naming the field for settings that cannot work."""
    for name in ("upsample", "semi_batch_size", "ensemble"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{where}.{name} must be at least 1, got {getattr(cfg, name)}")
    for name in ("pretrain_epochs", "train_epochs", "semi_epochs"):
        if getattr(cfg, name) < 0:
            raise ValueError(f"{where}.{name} must not be negative, got {getattr(cfg, name)}")
    if cfg.target_scaling not in ("zscore", "fixed", "minmax"):
        raise ValueError(f"{where}.target_scaling must be zscore, fixed or minmax, got {cfg.target_scaling!r}")
    if cfg.target_scaling == "fixed" and cfg.target_std <= 0:
        raise ValueError(f"{where}.target_std must be positive with target_scaling: fixed, got {cfg.target_std}")
    if cfg.target_scaling == "minmax" and not cfg.controller.sigmoid:
        raise ValueError(f"{where}: target_scaling minmax needs controller.sigmoid: true (targets in [0, 1])")


def check_unlabelled(space: SearchSpace, m: int, where: str) -> None:
    """Refuse ``unlabelled = -1`` (the whole unqueried space) on a space without ``enumerate`` or above the limit."""
    if m >= 0:
        return
    if m != -1:
        raise ValueError(f"{where}.unlabelled must be -1 (every unqueried architecture), 0 or a count, got {m}")
    if not hasattr(space, "enumerate"):
        raise ValueError(f"{where}.unlabelled = -1 (the whole space) needs a finite space with enumerate(); "
                         f"{space.name} has none: set unlabelled to a number")
    if space.size() > WHOLE_SPACE_LIMIT:
        raise ValueError(f"{where}.unlabelled = -1 would pseudo-label every unqueried architecture of {space.name} "
                         f"({space.size():,} > {WHOLE_SPACE_LIMIT:,}) in every iteration: set unlabelled to a "
                         f"number (e.g. 10000)")


def scale_targets(values: Sequence[float], cfg: PredictorConfig) -> np.ndarray:
    """The training targets of ``values`` under ``cfg.target_scaling`` (see the module docstring)."""
    v = np.asarray(values, dtype=np.float64)
    if cfg.target_scaling == "minmax":
        span = v.max() - v.min()
        return (v - v.min()) / span if span > 0 else np.full_like(v, 0.5)
    if cfg.target_scaling == "fixed":
        z = (v - cfg.target_mean) / cfg.target_std
    else:
        z = (v - v.mean()) / (v.std() + 1e-8)
    return np.maximum(z, -cfg.target_clip) if cfg.target_clip > 0 else z


def normalise_targets(values: Sequence[float], clip: float) -> np.ndarray:
    """z-scores over ``values``, clipped below at ``-clip`` (``clip <= 0``: no clipping)."""
    return scale_targets(values, PredictorConfig(target_scaling="zscore", target_clip=clip))


class SemiSupervisedPredictor:
    """Owns the :class:`Controller` (or an ensemble); :meth:`fit` runs one iteration's training."""

    def __init__(self, space: SearchSpace, cfg: PredictorConfig, where: str = "predictor"):
        check_predictor_config(cfg, where)
        self.space, self.cfg = space, cfg
        self.device = resolve_device(cfg.device)
        self.models = [Controller(space.vocab_size, space.seq_len, cfg.controller).to(self.device)
                       for _ in range(cfg.ensemble)]
        self.optimizers: list | None = None  # kept across calls only with train.keep_optimizer
        self.fits = 0

    @property
    def model(self) -> Controller:
        """The controller whose encoder and decoder generate architectures (the first of an ensemble)."""
        return self.models[0]

    def tokens(self, archs: Sequence[Arch]) -> torch.Tensor:
        return tokens_of(self.space, archs, self.device)

    def fit(self, archs: Sequence[Arch], values: Sequence[float], unlabelled: Sequence[Arch] = ()) -> tuple[np.ndarray, np.ndarray, dict]:
        """Train on (archs, values), pseudo-label ``unlabelled`` and retrain on both.

        Returns the scaled labelled targets, the pseudo-labels and the training losses.
        """
        cfg = self.cfg
        z = scale_targets(values, cfg)
        x = self.tokens(archs)
        y = torch.tensor(z, dtype=torch.float32, device=self.device)
        epochs = cfg.pretrain_epochs if self.fits == 0 else cfg.train_epochs
        info = {"labelled": len(archs), "train": self._train(x, y, epochs, cfg.train)}
        pseudo = np.zeros(0)
        if len(unlabelled):
            ux = self.tokens(unlabelled)
            uy = self.pseudo_label(unlabelled, ux)
            xs = torch.cat([x.repeat(cfg.upsample, 1), ux])
            ys = torch.cat([y.repeat(cfg.upsample), uy])
            info["semi"] = self.semi_train(xs, ys)
            pseudo = uy.cpu().numpy()
        info["unlabelled"] = len(unlabelled)
        self.fits += 1
        return z, pseudo, info

    def pseudo_label(self, archs: Sequence[Arch], tokens: torch.Tensor) -> torch.Tensor:
        """The pseudo-labels of unlabelled ``archs``: the current predictor's own predictions (never true values)."""
        return self._predict(tokens)

    def semi_train(self, tokens: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        """The semi-supervised phase: labelled (up-sampled) and pseudo-labelled rows together."""
        return self._train(tokens, targets, self.cfg.semi_epochs, replace(self.cfg.train, batch_size=self.cfg.semi_batch_size))

    def _train(self, x: torch.Tensor, y: torch.Tensor, epochs: int, train_cfg: TrainConfig) -> dict[str, float]:
        if train_cfg.keep_optimizer and self.optimizers is None:
            self.optimizers = [make_optimizer(m, train_cfg) for m in self.models]
        stats = [train_controller(m, x, y, epochs, train_cfg, self.optimizers[i] if self.optimizers else None)
                 for i, m in enumerate(self.models)]
        return stats[0] if len(stats) == 1 else {k: float(np.mean([s[k] for s in stats])) for k in stats[0]}

    def _predict(self, tokens: torch.Tensor) -> torch.Tensor:
        preds = [predict(m, tokens) for m in self.models]
        return preds[0] if len(preds) == 1 else torch.stack(preds).mean(dim=0)

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        """Predicted scaled scores of ``archs``."""
        if not len(archs):
            return np.zeros(0)
        return self._predict(self.tokens(archs)).cpu().numpy()

    def state_dict(self) -> dict:
        state = {"models": [m.state_dict() for m in self.models], "fits": self.fits}
        if self.optimizers is not None:
            state["optimizers"] = [o.state_dict() for o in self.optimizers]
        return state

    def load_state_dict(self, state: dict) -> None:
        models = state["models"] if "models" in state else [state["model"]]
        if len(models) != len(self.models):
            raise ValueError(f"saved predictor has {len(models)} controllers, this config {len(self.models)}")
        for m, s in zip(self.models, models):
            m.load_state_dict(s)
        self.fits = state["fits"]
        if state.get("optimizers") is not None:
            self.optimizers = [make_optimizer(m, self.cfg.train) for m in self.models]
            for o, s in zip(self.optimizers, state["optimizers"]):
                o.load_state_dict(s)


class PredictorStrategyMixin:
    """Prediction and checkpoint state for a :class:`Strategy` that owns ``self.predictor`` and ``self.log``."""

    predictor: SemiSupervisedPredictor
    log: list

    def predict(self, archs: list[Arch]) -> np.ndarray:
        """Predicted (scaled) scores of ``archs`` (diagnostics, e.g. rank correlation with true accuracy)."""
        return self.predictor.predict(archs)

    def state_dict(self) -> dict:
        return {**super().state_dict(), "predictor": self.predictor.state_dict(), "log": self.log}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.predictor.load_state_dict(state["predictor"])
        self.log = list(state["log"])

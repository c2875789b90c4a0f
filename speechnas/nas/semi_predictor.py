"""The semi-supervised predictor shared by SemiNAS and SemiNAS(RE): fit on labelled data, pseudo-label, refit.

Targets are z-scores over the labelled set, clipped below at ``-target_clip`` (the few broken cells,
e.g. NAS-Bench-201's 10%-accuracy ones, would otherwise dominate the MSE). Pseudo-labels are the
predictor's own predictions on the unlabelled architectures, made before the second fit.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import torch

from speechnas.nas.controller import Controller, ControllerConfig
from speechnas.nas.controller_train import TrainConfig, predict, tokens_of, train_controller
from speechnas.nas.space import Arch, SearchSpace
from speechnas.utils.device import resolve_device


@dataclass
class PredictorConfig:
    """Knobs of the controller's training (shared by SemiNAS, NAO and SemiNAS(RE))."""

    unlabelled: int = -1  # M: pseudo-labelled architectures per iteration; -1 = all unqueried (finite space); 0 = none
    upsample: int = 10  # labelled rows are repeated this many times next to the pseudo-labelled ones
    pretrain_epochs: int = 300  # first training on the labelled set
    train_epochs: int = 30  # later trainings on the labelled set (weights carry over)
    semi_epochs: int = 1  # training on labelled (up-sampled) + pseudo-labelled
    semi_batch_size: int = 100  # batch size of that phase
    target_clip: float = 3.0  # z-scored targets are clipped below at -target_clip (<= 0: no clipping)
    device: str = "cpu"  # cpu | cuda | auto; the controller is tiny, so a CPU is usually as fast
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(lr=5e-3))  # 5e-3: the decoder learns to
    # reconstruct within a few hundred steps (1e-3 needs ~1000), which gradient-ascent generation relies on


def normalise_targets(values: Sequence[float], clip: float) -> np.ndarray:
    """z-scores over ``values``, clipped below at ``-clip`` (``clip <= 0``: no clipping)."""
    v = np.asarray(values, dtype=np.float64)
    z = (v - v.mean()) / (v.std() + 1e-8)
    return np.maximum(z, -clip) if clip > 0 else z


class SemiSupervisedPredictor:
    """Owns the :class:`Controller`; :meth:`fit` runs one iteration's training (labelled, then semi-supervised)."""

    def __init__(self, space: SearchSpace, cfg: PredictorConfig):
        if cfg.unlabelled < 0 and not hasattr(space, "enumerate"):
            raise ValueError(f"unlabelled = {cfg.unlabelled} (the whole space) needs a finite space with enumerate(); "
                             f"{space.name} has none: set unlabelled to a number")
        self.space, self.cfg = space, cfg
        self.device = resolve_device(cfg.device)
        self.model = Controller(space.vocab_size, space.seq_len, cfg.controller).to(self.device)
        self.fits = 0

    def tokens(self, archs: Sequence[Arch]) -> torch.Tensor:
        return tokens_of(self.space, archs, self.device)

    def fit(self, archs: Sequence[Arch], values: Sequence[float], unlabelled: Sequence[Arch] = ()) -> tuple[np.ndarray, np.ndarray, dict]:
        """Train on (archs, values), pseudo-label ``unlabelled`` and retrain on both.

        Returns the normalised labelled targets, the pseudo-labels and the training losses.
        """
        cfg = self.cfg
        z = normalise_targets(values, cfg.target_clip)
        x = self.tokens(archs)
        y = torch.tensor(z, dtype=torch.float32, device=self.device)
        epochs = cfg.pretrain_epochs if self.fits == 0 else cfg.train_epochs
        info = {"labelled": len(archs), "train": train_controller(self.model, x, y, epochs, cfg.train)}
        pseudo = np.zeros(0)
        if len(unlabelled):
            ux = self.tokens(unlabelled)
            uy = predict(self.model, ux)
            xs = torch.cat([x.repeat(cfg.upsample, 1), ux])
            ys = torch.cat([y.repeat(cfg.upsample), uy])
            semi_train = replace(cfg.train, batch_size=cfg.semi_batch_size)
            info["semi"] = train_controller(self.model, xs, ys, cfg.semi_epochs, semi_train)
            pseudo = uy.cpu().numpy()
        info["unlabelled"] = len(unlabelled)
        self.fits += 1
        return z, pseudo, info

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        """Predicted normalised scores of ``archs``."""
        if not len(archs):
            return np.zeros(0)
        return predict(self.model, self.tokens(archs)).cpu().numpy()

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "fits": self.fits}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.fits = state["fits"]


class PredictorStrategyMixin:
    """Prediction and checkpoint state for a :class:`Strategy` that owns ``self.predictor`` and ``self.log``."""

    predictor: SemiSupervisedPredictor
    log: list

    def predict(self, archs: list[Arch]) -> np.ndarray:
        """Predicted (normalised) scores of ``archs`` (diagnostics, e.g. rank correlation with true accuracy)."""
        return self.predictor.predict(archs)

    def state_dict(self) -> dict:
        return {**super().state_dict(), "predictor": self.predictor.state_dict(), "log": self.log}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.predictor.load_state_dict(state["predictor"])
        self.log = list(state["log"])

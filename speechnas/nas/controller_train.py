"""Training, prediction and gradient-ascent generation with a :class:`~speechnas.nas.controller.Controller`.

Loss: ``lambda * (MSE(pred, target) + rank_weight * pairwise ranking loss) + (1 - lambda) * NLL(decoder)``
(lambda = ``trade_off`` = 0.8; ``rank_weight`` 0 = the paper's loss). A fresh Adam (weight decay, gradient clipping)
is made for every :func:`train_controller` call unless the caller passes one (``keep_optimizer``: the official TTS
code keeps one AdamW); the weights carry over, as in the official code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from speechnas.nas.controller import Controller
from speechnas.nas.space import Arch, SearchSpace


@dataclass
class TrainConfig:
    """Optimiser and loss of the controller."""

    lr: float = 1e-3
    weight_decay: float = 1e-4
    grad_clip: float = 5.0
    batch_size: int = 100
    trade_off: float = 0.8  # lambda: weight of the predictor MSE against the decoder's cross-entropy
    rank_weight: float = 0.0  # weight of a pairwise logistic ranking loss added to the MSE (0 = the paper's loss)
    optimizer: Literal["adam", "adamw"] = "adam"  # official NAS-Bench-101/ImageNet: Adam; TTS: AdamW
    keep_optimizer: bool = False  # one optimizer for the whole search (official TTS) instead of a fresh one per call


@dataclass
class AscentConfig:
    """Gradient-ascent step sizes: eta = start, start + growth, ... while eta <= max."""

    step_start: float = 1.0
    step_growth: float = 1.0
    step_max: float = 100.0
    per_seed: bool = False  # False: the paper's order (all seeds per step size); True: each seed steps until new


def tokens_of(space: SearchSpace, archs: Sequence[Arch], device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.tensor([space.encode(a) for a in archs], dtype=torch.long, device=device).reshape(len(archs), space.seq_len)


def allowed_mask(space: SearchSpace, device: torch.device | str = "cpu"):
    """Bool mask ``[T, V]`` of the tokens allowed at each position, or a per-prefix callable for spaces whose
    ``allowed_tokens`` depend on the prefix (``space.allowed_tokens_depend_on_prefix = True``)."""
    if getattr(space, "allowed_tokens_depend_on_prefix", False):
        def per_prefix(t: int, prefix: torch.Tensor) -> torch.Tensor:
            mask = torch.zeros(prefix.shape[0], space.vocab_size, dtype=torch.bool)
            for i, row in enumerate(prefix.tolist()):
                mask[i, space.allowed_tokens(t, row)] = True
            return mask
        return per_prefix
    mask = torch.zeros(space.seq_len, space.vocab_size, dtype=torch.bool, device=device)
    for t in range(space.seq_len):
        mask[t, space.allowed_tokens(t, ())] = True
    return mask


def make_optimizer(model: Controller, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer not in ("adam", "adamw"):
        raise ValueError(f"train.optimizer must be adam or adamw, got {cfg.optimizer!r}")
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    return cls(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)


def pairwise_rank_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean ``softplus(-(p_i - p_j))`` over the batch's pairs with ``target_i > target_j`` (0 without such pairs)."""
    better = target.unsqueeze(1) > target.unsqueeze(0)
    if not bool(better.any()):
        return pred.sum() * 0.0
    diff = pred.unsqueeze(1) - pred.unsqueeze(0)
    return F.softplus(-diff[better]).mean()


def train_controller(model: Controller, tokens: torch.Tensor, targets: torch.Tensor, epochs: int,
                     cfg: TrainConfig, optimizer: torch.optim.Optimizer | None = None) -> dict[str, float]:
    """Train ``epochs`` passes over (tokens ``[N, T]``, targets ``[N]``); returns the last epoch's mean losses.

    ``optimizer``: one kept by the caller (official TTS code); ``None`` makes a fresh one for this call."""
    if epochs <= 0 or len(tokens) == 0:
        return {}
    model.train()
    opt = optimizer if optimizer is not None else make_optimizer(model, cfg)
    n = len(tokens)
    stats = {}
    for _ in range(epochs):
        order = torch.randperm(n, device=tokens.device)
        totals = np.zeros(3)
        for start in range(0, n, cfg.batch_size):
            idx = order[start:start + cfg.batch_size]
            x, y = tokens[idx], targets[idx]
            pred, logp = model(x)
            mse = F.mse_loss(pred, y)
            nll = F.nll_loss(logp.reshape(-1, logp.shape[-1]), x.reshape(-1))
            fit = mse
            rank = None
            if cfg.rank_weight > 0:
                rank = pairwise_rank_loss(pred, y)
                fit = mse + cfg.rank_weight * rank
            loss = cfg.trade_off * fit + (1 - cfg.trade_off) * nll
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip, foreach=True)
            opt.step()
            totals += [mse.item() * len(idx), nll.item() * len(idx), (rank.item() if rank is not None else 0.0) * len(idx)]
        stats = {"mse": float(totals[0] / n), "nll": float(totals[1] / n)}
        if cfg.rank_weight > 0:
            stats["rank"] = float(totals[2] / n)
    return stats


@torch.no_grad()
def predict(model: Controller, tokens: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Predicted scores ``[N]`` in eval mode."""
    model.eval()
    out = [model.predict_emb(model.encode(tokens[i:i + batch_size])[1]) for i in range(0, len(tokens), batch_size)]
    return torch.cat(out) if out else torch.zeros(0)


def ascent_direction(model: Controller, seeds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The seeds' per-token normalised encoder outputs ``[K, T, H]`` and the gradient of the predicted score with
    respect to them (the direction in which the prediction rises)."""
    model.eval()
    with torch.enable_grad():
        outputs, _ = model.encode(seeds)
        outputs = outputs.detach().requires_grad_(True)
        pred = model.predict_emb(model.pool(outputs))
        (grad,) = torch.autograd.grad(pred.sum(), outputs)
    return outputs.detach(), grad


def move_and_decode(model: Controller, outputs: torch.Tensor, grad: torch.Tensor, eta: float, mask) -> torch.Tensor:
    """Tokens ``[K, T]`` decoded from ``outputs + eta * grad`` (re-normalised per token, pooled into the decoder's
    initial state and attended over); ``eta = 0`` is each seed's own decoding."""
    moved = F.normalize(outputs + eta * grad, dim=-1)
    return model.greedy_decode(moved, model.pool(moved), mask)


def ascent_candidates(model: Controller, seeds: torch.Tensor, mask, cfg: AscentConfig):
    """Yield ``(eta, tokens [K, T])``: the seeds moved by ``eta`` along the predictor's gradient, then decoded,
    for eta = step_start, step_start + step_growth, ... up to step_max."""
    outputs, grad = ascent_direction(model, seeds)
    eta = cfg.step_start
    while eta <= cfg.step_max + 1e-9:
        yield eta, move_and_decode(model, outputs, grad, eta, mask)
        eta += cfg.step_growth

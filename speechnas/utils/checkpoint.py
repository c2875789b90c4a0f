"""Checkpoints with everything needed for an exact resume; only complete files are ever picked up.

A checkpoint is written to a temp file, fsynced and renamed to ``ckpt_<step>.pt`` (see
:mod:`speechnas.utils.io`), so any ``ckpt_*.pt`` on disk is complete; a file that still fails to load
(disk error, foreign file) is skipped with a warning by :func:`find_latest_checkpoint`.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import torch

from speechnas.utils.io import atomic_torch_save
from speechnas.utils.seed import get_rng_state, set_rng_state

log = logging.getLogger(__name__)
_NAME = re.compile(r"^ckpt_(\d+)\.pt$")


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if hasattr(model, "module") else model


def save_checkpoint(
    directory: str | Path,
    *,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    scaler: Any = None,
    epoch: int = 0,
    config: Any = None,
    extra: dict | None = None,
    keep_last: int | None = 3,
) -> Path:
    """Write ``directory/ckpt_<step>.pt`` atomically and prune older ones beyond ``keep_last``."""
    directory = Path(directory)
    state = {
        "step": step,
        "epoch": epoch,
        "model": _unwrap(model).state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        "rng": get_rng_state(),
        "config": config,
        "extra": extra or {},
    }
    path = directory / f"ckpt_{step:08d}.pt"
    atomic_torch_save(state, path)
    if keep_last:
        for old in list_checkpoints(directory)[:-keep_last]:
            old.unlink(missing_ok=True)
    return path


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Complete checkpoint files in ``directory``, oldest step first (temp files never match)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def find_latest_checkpoint(directory: str | Path) -> Path | None:
    """Newest checkpoint that loads; unreadable ones are skipped with a warning."""
    for path in reversed(list_checkpoints(directory)):
        try:
            torch.load(path, map_location="cpu", weights_only=False)
            return path
        except Exception as e:  # noqa: BLE001 - any load failure means "not usable"
            log.warning("skipping unreadable checkpoint %s: %s", path, e)
    return None


def load_checkpoint(
    path: str | Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    scaler: Any = None,
    restore_rng: bool = True,
    map_location: str | torch.device = "cpu",
) -> dict:
    """Restore model/optimizer/scheduler/scaler (and RNG states) from ``path``; returns the whole state."""
    state = torch.load(path, map_location=map_location, weights_only=False)
    _unwrap(model).load_state_dict(state["model"])
    if optimizer is not None and state.get("optimizer") is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state.get("scaler") is not None:
        scaler.load_state_dict(state["scaler"])
    if restore_rng and state.get("rng") is not None:
        set_rng_state(state["rng"])
    return state

"""Checkpoints with everything needed for an exact resume; only complete files are ever picked up.

A checkpoint is written to a temp file, fsynced and renamed to ``ckpt_<step>.pt`` (see
:mod:`speechnas.utils.io`), so any ``ckpt_*.pt`` on disk is complete and its step is in its name
(:func:`checkpoint_step`). :func:`find_latest_checkpoint` still skips, with a warning, a file that is not a
whole torch archive (truncated copy, foreign file), checking only its zip directory: the caller loads the
file once, and a damaged archive that passes fails there with the path in the error.
"""
from __future__ import annotations

import logging
import re
import zipfile
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


def checkpoint_step(path: str | Path) -> int:
    """The training step of a checkpoint, from its name ``ckpt_<step>.pt``."""
    m = _NAME.match(Path(path).name)
    if m is None:
        raise ValueError(f"{path}: not a checkpoint name (expected ckpt_<step>.pt)")
    return int(m.group(1))


def _whole_archive(path: Path) -> bool:
    """True when ``path`` is a complete torch zip archive (its directory at the end lists ``data.pkl``)."""
    try:
        with zipfile.ZipFile(path) as z:
            size = path.stat().st_size
            return any(i.filename.endswith("/data.pkl") for i in z.infolist()) and \
                all(i.header_offset + i.compress_size <= size for i in z.infolist())
    except (OSError, zipfile.BadZipFile):
        return False


def find_latest_checkpoint(directory: str | Path) -> Path | None:
    """Newest checkpoint that is a whole archive (not loaded: the caller loads it); others skipped with a warning."""
    for path in reversed(list_checkpoints(directory)):
        if _whole_archive(path):
            return path
        log.warning("skipping unreadable checkpoint %s: not a complete torch archive", path)
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

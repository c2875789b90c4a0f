"""Device choice and mixed precision: AMP autocast on CUDA only, a plain context on CPU."""
from __future__ import annotations

import contextlib

import torch


def resolve_device(name: str = "auto", local_rank: int | None = None) -> torch.device:
    """``auto`` picks CUDA when available; ``cuda`` without a GPU is an error, not a silent fallback."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError(f"device '{name}' requested but CUDA is not available on this machine")
        if name == "cuda" and local_rank is not None:
            return torch.device("cuda", local_rank)
        return torch.device(name)
    if name != "cpu":
        raise ValueError(f"unknown device '{name}' (use auto, cpu, cuda or cuda:N)")
    return torch.device("cpu")


def autocast(device: torch.device, enabled: bool = True, dtype: torch.dtype | None = None):
    """Mixed-precision context on CUDA (bf16 where supported, else fp16); no-op on CPU."""
    if device.type != "cuda" or not enabled:
        return contextlib.nullcontext()
    if dtype is None:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def grad_scaler(device: torch.device, enabled: bool = True) -> torch.amp.GradScaler:
    """Loss scaler needed for fp16 autocast; disabled (a pass-through) on CPU or with bf16."""
    use = enabled and device.type == "cuda" and not torch.cuda.is_bf16_supported()
    return torch.amp.GradScaler("cuda", enabled=use)

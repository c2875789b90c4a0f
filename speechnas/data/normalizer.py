"""Global mean-variance normalisation of log-mel features, undone by :meth:`FeatureNormalizer.denormalize`.

Models see ``(x - mean) / std``; the vocoder (Griffin-Lim) needs the raw log-mel back. Works on numpy arrays and
torch tensors on any device (the statistics follow the input's device and dtype).
"""
from __future__ import annotations

import os

import numpy as np
import torch


class FeatureNormalizer:
    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        if self.mean.shape != self.std.shape or self.mean.ndim != 1:
            raise ValueError(f"mean and std must be 1-D of equal size, got {self.mean.shape} and {self.std.shape}")
        if not (np.isfinite(self.mean).all() and np.isfinite(self.std).all()):
            raise ValueError("mean and std must be finite (statistics of non-finite features?)")
        if (self.std <= 0).any():
            raise ValueError("std must be positive")

    @classmethod
    def from_npz(cls, path: str | os.PathLike) -> "FeatureNormalizer":
        with np.load(path) as z:
            missing = {"mean", "std"} - set(z.files)
            if missing:
                raise ValueError(f"{path}: missing arrays {sorted(missing)} (expected 'mean' and 'std')")
            try:
                return cls(z["mean"], z["std"])
            except ValueError as e:
                raise ValueError(f"{path}: {e}; re-run stage 2") from e

    def _stats(self, x):
        if isinstance(x, torch.Tensor):
            return (torch.as_tensor(self.mean, device=x.device, dtype=x.dtype),
                    torch.as_tensor(self.std, device=x.device, dtype=x.dtype))
        return self.mean, self.std

    def normalize(self, x):
        """``(..., n_mels)`` raw log-mel -> normalised."""
        mean, std = self._stats(x)
        return (x - mean) / std

    def denormalize(self, x):
        """``(..., n_mels)`` normalised -> raw log-mel."""
        mean, std = self._stats(x)
        return x * std + mean

"""Attention and mel images (matplotlib, Agg backend) for TensorBoard and for PNG files a person can read."""
from __future__ import annotations

import io
import os
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from speechnas.utils.io import atomic_write_bytes  # noqa: E402


def _np(x) -> np.ndarray:
    return x.detach().float().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float32)


def attention_figure(attn, title: str = "", src_len: int | None = None, tgt_len: int | None = None):
    """Encoder-decoder attention ``(frames, tokens)``: tokens on the y axis, frames on the x axis."""
    a = _np(attn)[:tgt_len, :src_len]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
    im = ax.imshow(a.T, aspect="auto", origin="lower", interpolation="none", vmin=0.0)
    ax.set_xlabel("decoder frame")
    ax.set_ylabel("input token")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    return fig


def mel_figure(mels: Sequence, titles: Sequence[str] = ()):
    """Mels ``(frames, n_mels)`` stacked vertically (e.g. prediction above target) on one colour scale."""
    arrays = [_np(m) for m in mels]
    lo = min(float(a.min()) for a in arrays)
    hi = max(float(a.max()) for a in arrays)
    fig, axes = plt.subplots(len(arrays), 1, figsize=(7, 2.2 * len(arrays)), dpi=80, squeeze=False)
    for i, (ax, a) in enumerate(zip(axes[:, 0], arrays)):
        ax.imshow(a.T, aspect="auto", origin="lower", interpolation="none", vmin=lo, vmax=hi)
        ax.set_title(titles[i] if i < len(titles) else "", fontsize=9)
        ax.set_ylabel("mel bin")
    axes[-1, 0].set_xlabel("frame")
    fig.tight_layout()
    return fig


def save_figure(fig, path: str | os.PathLike) -> None:
    """Write ``fig`` as a PNG atomically and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())

"""Mel cepstral distortion (MCD, dB) between synthesized and reference speech, aligned by dynamic time warping.

Cepstra ``c_n`` expand the natural-log mel spectrum (the features of the data contract) of N bins as
``L(k) = c_0 + 2 sum_n c_n cos(pi n (k + 1/2) / N)``, i.e. ``c = DCT-II(L) / (2N)`` (scipy's unnormalised DCT);
coefficients ``1..order`` enter, ``c0`` (the level, which Griffin-Lim's peak scaling changes) does not.
MCD = mean over the DTW path of ``(10 / ln 10) * sqrt(2 * sum_d (c_d - c'_d)^2)``. This is the usual formula
on MFCC-style mel cepstra, not on SPTK's all-pass mel-cepstrum, so values compare between our models, not
with published numbers.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.fft import dct
from scipy.spatial.distance import cdist

_K = 10.0 / math.log(10.0) * math.sqrt(2.0)


def mel_cepstrum(log_mel: np.ndarray, order: int = 24) -> np.ndarray:
    """``(frames, n_mels)`` natural-log mel -> ``(frames, order)`` cepstral coefficients 1..order."""
    log_mel = np.asarray(log_mel, dtype=np.float64)
    if log_mel.ndim != 2 or not 0 < order < log_mel.shape[1]:
        raise ValueError(f"mel_cepstrum needs (frames, n_mels) with n_mels > order={order}, got {log_mel.shape}")
    return dct(log_mel, type=2, axis=1)[:, 1: order + 1] / (2.0 * log_mel.shape[1])


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost monotonic path through ``cost`` (T1, T2) from (0, 0) to (T1-1, T2-1) with steps
    (1, 0), (0, 1), (1, 1). Rows are vectorised: horizontal runs are a prefix-sum minimum."""
    t1, t2 = cost.shape
    acc = np.empty_like(cost, dtype=np.float64)
    acc[0] = np.cumsum(cost[0])
    for i in range(1, t1):
        best = acc[i - 1].copy()
        best[1:] = np.minimum(best[1:], acc[i - 1, :-1])
        entry = cost[i] + best  # arriving from the row above (down or diagonal)
        prefix = np.cumsum(cost[i])
        acc[i] = prefix + np.minimum.accumulate(entry - prefix)  # then any run of horizontal steps
    i, j = t1 - 1, t2 - 1
    rows, cols = [i], [j]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            moves = (acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
            k = int(np.argmin(moves))
            i, j = (i - 1, j - 1) if k == 0 else (i - 1, j) if k == 1 else (i, j - 1)
        rows.append(i)
        cols.append(j)
    return np.array(rows[::-1]), np.array(cols[::-1])


def mel_cepstral_distortion(log_mel: np.ndarray, ref_log_mel: np.ndarray, order: int = 24) -> float:
    """MCD in dB between two log-mel spectrograms ``(frames, n_mels)`` of any lengths (DTW-aligned)."""
    a, b = mel_cepstrum(log_mel, order), mel_cepstrum(ref_log_mel, order)
    dist = cdist(a, b)  # (T1, T2) Euclidean distances, without a (T1, T2, order) temporary
    rows, cols = dtw_path(dist)
    return float(_K * dist[rows, cols].mean())

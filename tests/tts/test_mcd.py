"""Mel cepstral distortion: cepstra of a known log spectrum, DTW against a brute-force recursion, MCD behaviour."""
from __future__ import annotations

import numpy as np
import pytest

from speechnas.tts.evaluation.mcd import dtw_path, mel_cepstral_distortion, mel_cepstrum


def test_cepstrum_of_a_cosine_log_spectrum():
    n = 80
    k = np.arange(n)
    log_mel = 3.0 + 2 * 0.7 * np.cos(np.pi * 2 * (k + 0.5) / n) - 2 * 0.2 * np.cos(np.pi * 5 * (k + 0.5) / n)
    c = mel_cepstrum(np.tile(log_mel, (4, 1)), order=10)
    want = np.zeros(10)
    want[1], want[4] = 0.7, -0.2  # coefficients 2 and 5 (c0, the level, is left out)
    assert np.allclose(c, want[None], atol=1e-9)
    with pytest.raises(ValueError, match="order"):
        mel_cepstrum(log_mel[None], order=80)


def _brute_dtw(cost):
    t1, t2 = cost.shape
    acc = np.full((t1 + 1, t2 + 1), np.inf)
    acc[0, 0] = 0
    for i in range(1, t1 + 1):
        for j in range(1, t2 + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
    return acc[t1, t2]


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (6, 1), (7, 7), (9, 4), (5, 12)])
def test_dtw_path_has_the_minimum_cost(shape):
    rng = np.random.default_rng(sum(shape))
    cost = rng.random(shape)
    rows, cols = dtw_path(cost)
    assert (rows[0], cols[0]) == (0, 0) and (rows[-1], cols[-1]) == (shape[0] - 1, shape[1] - 1)
    steps = np.stack([np.diff(rows), np.diff(cols)], 1)
    assert all(tuple(s) in {(1, 0), (0, 1), (1, 1)} for s in steps)
    assert np.isclose(cost[rows, cols].sum(), _brute_dtw(cost))


def test_mcd_zero_for_identical_level_free_and_alignment_tolerant():
    rng = np.random.default_rng(0)
    ref = np.cumsum(rng.normal(size=(60, 80)), axis=1) * 0.1 + rng.normal(size=(60, 1))
    assert mel_cepstral_distortion(ref, ref) == pytest.approx(0.0, abs=1e-9)
    assert mel_cepstral_distortion(ref + 2.5, ref) == pytest.approx(0.0, abs=1e-9)  # a gain changes only c0
    stretched = np.repeat(ref, 2, axis=0)  # same frames, twice as slow: DTW aligns them exactly
    assert mel_cepstral_distortion(stretched, ref) == pytest.approx(0.0, abs=1e-9)
    small = mel_cepstral_distortion(ref + 0.05 * rng.normal(size=ref.shape), ref)
    large = mel_cepstral_distortion(ref + 0.5 * rng.normal(size=ref.shape), ref)
    assert 0 < small < large


def test_mcd_equals_the_broadcast_distance_formula():
    """The pairwise distances (scipy cdist) give the MCD of the direct (T1, T2, order) formula."""
    rng = np.random.default_rng(3)
    syn, ref = rng.normal(size=(97, 80)), rng.normal(size=(83, 80))
    a, b = mel_cepstrum(syn), mel_cepstrum(ref)
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    rows, cols = dtw_path(dist)
    want = 10.0 / np.log(10.0) * np.sqrt(2.0) * dist[rows, cols].mean()
    assert abs(mel_cepstral_distortion(syn, ref) - want) < 1e-6 and want > 0

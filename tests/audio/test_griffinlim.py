"""Griffin-Lim from log-mel: the reconstruction of a real clip has the original's spectrogram and writes as 16-bit WAV."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from speechnas.audio.functional import MelConfig, log_mel_spectrogram, magnitude_spectrogram
from speechnas.audio.griffinlim import GriffinLimConfig, griffin_lim
from speechnas.audio.io import write_wav

from conftest import shared_path


def _corr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(np.corrcoef(a.flatten().numpy(), b.flatten().numpy())[0, 1])


def test_reconstruction_of_a_real_clip_correlates_with_the_original(tmp_path):
    wav, sr = sf.read(str(shared_path("data/ljspeech_mini/LJSpeech-1.1/wavs/LJ001-0008.wav")), dtype="float32")
    wav = torch.from_numpy(wav)
    cfg = MelConfig()
    log_mel = log_mel_spectrogram(wav, cfg)
    out = griffin_lim(log_mel, cfg, length=wav.numel())
    assert out.shape == wav.shape and out.dtype == torch.float32
    assert float(out.abs().max()) == pytest.approx(0.95, abs=1e-4)
    assert _corr(log_mel_spectrogram(out, cfg), log_mel) > 0.95
    assert _corr(magnitude_spectrogram(out, cfg), magnitude_spectrogram(wav, cfg)) > 0.85
    noise = 0.1 * torch.randn(wav.shape, generator=torch.Generator().manual_seed(0))
    assert abs(_corr(log_mel_spectrogram(noise, cfg), log_mel)) < 0.2  # the check can fail
    # more iterations reconstruct a more consistent spectrogram than a few
    few = griffin_lim(log_mel, cfg, GriffinLimConfig(n_iter=2), length=wav.numel())
    assert _corr(magnitude_spectrogram(few, cfg), magnitude_spectrogram(wav, cfg)) < _corr(
        magnitude_spectrogram(out, cfg), magnitude_spectrogram(wav, cfg))
    path = tmp_path / "out.wav"
    write_wav(path, out, sr)
    back, sr_back = sf.read(str(path), dtype="float32")
    info = sf.info(str(path))
    assert sr_back == 22050 and info.subtype == "PCM_16" and info.channels == 1
    np.testing.assert_allclose(back, out.numpy(), atol=1.0 / 32768 + 1e-6)


def test_seeded_batched_and_checked_inputs(tmp_path):
    cfg = MelConfig()
    log_mel = torch.randn(2, 20, 80) - 3.0
    a = griffin_lim(log_mel, cfg, GriffinLimConfig(n_iter=4, seed=1))
    b = griffin_lim(log_mel, cfg, GriffinLimConfig(n_iter=4, seed=1))
    assert a.shape == (2, 19 * cfg.hop_length)
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    with pytest.raises(ValueError, match="expected 80"):
        griffin_lim(torch.randn(80, 20), cfg)
    with pytest.raises(ValueError, match="mono"):  # a batched result must be written one utterance at a time
        write_wav(tmp_path / "batch.wav", a, cfg.sample_rate)
    assert not (tmp_path / "batch.wav").exists()

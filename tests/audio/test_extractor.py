"""The fast per-file extractor gives the same features as log_mel_spectrogram, whatever the file and call order."""
from __future__ import annotations

import numpy as np
import soundfile as sf
import torch

from speechnas.audio.extractor import MelExtractor
from speechnas.audio.functional import MelConfig, active_bins, log_mel_spectrogram, mel_filterbank
from speechnas.audio.io import load_wav
from speechnas.data.features import extract
from conftest import shared_path

CFG = MelConfig()


def _reference(path, cfg=CFG) -> np.ndarray:
    wav, _ = load_wav(path, cfg.sample_rate)
    return log_mel_spectrogram(wav, cfg).numpy()


def _tone(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 22050
    return (0.3 * np.sin(2 * np.pi * rng.uniform(100, 3000) * t) + 0.05 * rng.standard_normal(n)).astype(np.float32)


def test_buffers_reused_across_lengths_give_fresh_results(tmp_path):
    """Long, short, long: stale samples of a longer file must not leak into a shorter one's padding."""
    paths = []
    for i, n in enumerate([50_000, 3_000, 257, 70_000, 1_000]):
        sf.write(tmp_path / f"{i}.wav", _tone(n, i), 22050, subtype="PCM_16")
        paths.append(tmp_path / f"{i}.wav")
    ex = MelExtractor(CFG)
    for p in paths + paths[::-1]:
        got = ex(p)
        assert got.dtype == np.float32 and got.shape == (1 + sf.info(p).frames // 256, 80)
        np.testing.assert_array_equal(got, _reference(p))


def test_other_formats_take_the_general_path(tmp_path):
    """Float, 24-bit, stereo and another rate: same as load_wav + log_mel_spectrogram."""
    x = _tone(30_000, 7)
    sf.write(tmp_path / "float.wav", x, 22050, subtype="FLOAT")
    sf.write(tmp_path / "pcm24.wav", x, 22050, subtype="PCM_24")
    sf.write(tmp_path / "stereo.wav", np.stack([x, 0.5 * x], 1), 22050, subtype="PCM_16")
    sf.write(tmp_path / "16k.wav", x[:16000], 16000, subtype="PCM_16")
    ex = MelExtractor(CFG)
    for name in ("float", "pcm24", "stereo", "16k"):
        np.testing.assert_allclose(ex(tmp_path / f"{name}.wav"), _reference(tmp_path / f"{name}.wav"), atol=1e-5)
    np.testing.assert_allclose(ex.from_samples(torch.from_numpy(x)), log_mel_spectrogram(torch.from_numpy(x), CFG),
                               atol=1e-5)


def test_real_clips_match_the_general_function_and_stay_near_the_old_one():
    paths = [shared_path(f"data/ljspeech_mini/LJSpeech-1.1/wavs/LJ001-00{i:02d}.wav") for i in (1, 2, 17)]
    ex = MelExtractor(CFG)
    for p in paths:
        got = ex(p)
        np.testing.assert_array_equal(got, _reference(p))
        assert np.array_equal(extract(p, CFG), got)
        # the previous implementation: torchaudio's complex abs over all 513 bins, dense product
        wav, _ = load_wav(p, CFG.sample_rate)
        spec = torch.stft(wav, 1024, 256, 1024, torch.hann_window(1024), center=True, pad_mode="constant",
                          return_complex=True).abs()
        old = torch.log(torch.clamp(spec.T @ mel_filterbank(CFG), min=CFG.log_floor)).numpy()
        assert np.abs(got - old).max() < 1e-5


def test_active_bins_and_a_narrow_band():
    fb = mel_filterbank(CFG)
    lo, hi = active_bins(fb)
    assert (lo, hi) == (1, 372) and not fb[:lo].any() and not fb[hi:].any()
    cfg = MelConfig(fmin=300.0, fmax=4000.0, n_mels=40)
    wav = torch.from_numpy(_tone(20_000, 3))
    lo, hi = active_bins(mel_filterbank(cfg))
    assert lo > 10 and hi < 200
    np.testing.assert_array_equal(MelExtractor(cfg).from_samples(wav), log_mel_spectrogram(wav, cfg).numpy())

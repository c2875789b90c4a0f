"""Audio reading: downmix, resampling with a warning, clear errors; features match librosa on a real clip."""
from __future__ import annotations

import logging
import re

import numpy as np
import pytest
import soundfile as sf
import torch

from speechnas.audio.functional import MelConfig
from speechnas.audio.io import AudioError, check_wav, load_wav, write_wav
from speechnas.data.features import extract
from conftest import shared_path


def test_stereo_downmixed_and_resampled_with_warning(tmp_path, caplog):
    t = np.arange(44100) / 44100
    left, right = 0.5 * np.sin(2 * np.pi * 440 * t), 0.1 * np.sin(2 * np.pi * 440 * t)
    sf.write(tmp_path / "s.wav", np.stack([left, right], 1), 44100, subtype="PCM_16")
    with caplog.at_level(logging.WARNING):
        wav, sr = load_wav(tmp_path / "s.wav", 22050)
    assert sr == 22050 and wav.dtype == torch.float32 and wav.shape == (22050,)
    assert "44100 Hz differs from 22050 Hz" in caplog.text and "s.wav" in caplog.text
    assert abs(wav[1000:-1000].abs().max().item() - 0.3) < 0.01  # mean of the two channels


def test_write_then_read_round_trip(tmp_path):
    x = 0.25 * np.sin(np.arange(1000) / 3.0)
    write_wav(tmp_path / "a.wav", x, 22050)
    y, sr = load_wav(tmp_path / "a.wav")
    assert sr == 22050 and np.abs(y.numpy() - x).max() < 1e-4
    assert check_wav(tmp_path / "a.wav").frames == 1000
    write_wav(tmp_path / "b.wav", torch.from_numpy(x).to(torch.bfloat16), 22050)  # tensors of any float dtype
    assert check_wav(tmp_path / "b.wav").frames == 1000


def test_write_wav_rejects_non_mono(tmp_path):
    for shape in [(2, 1000), (1000, 2), ()]:
        with pytest.raises(ValueError, match=rf"x.wav: write_wav expects mono .*got shape {re.escape(str(shape))}"):
            write_wav(tmp_path / "x.wav", np.zeros(shape), 22050)
    assert not (tmp_path / "x.wav").exists()


def test_errors_name_the_file(tmp_path):
    with pytest.raises(AudioError, match="nope.wav: audio file not found"):
        load_wav(tmp_path / "nope.wav")
    sf.write(tmp_path / "empty.wav", np.zeros(0), 22050)
    with pytest.raises(AudioError, match="empty.wav: audio file holds no samples"):
        load_wav(tmp_path / "empty.wav")


def test_features_match_librosa_on_real_clip():
    librosa = pytest.importorskip("librosa")
    path = shared_path("data/ljspeech_mini/LJSpeech-1.1/wavs/LJ001-0002.wav")
    cfg = MelConfig()
    ours = extract(path, cfg)
    y, _ = sf.read(path, dtype="float32")
    ref = librosa.feature.melspectrogram(y=y, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                                         win_length=cfg.win_length, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax,
                                         power=1.0, center=True, pad_mode="constant")
    ref = np.log(np.maximum(ref, cfg.log_floor)).T
    assert ours.shape == ref.shape == (len(y) // 256 + 1, 80) and ours.dtype == np.float32
    assert np.abs(ours - ref).max() < 1e-3


def test_pcm16_read_as_int16_equals_libsndfile_float_conversion(tmp_path):
    path = shared_path("data/ljspeech_mini/LJSpeech-1.1/wavs/LJ001-0002.wav")
    wav, sr = load_wav(path)
    ref, _ = sf.read(path, dtype="float32")
    assert sr == 22050 and wav.dtype == torch.float32 and np.array_equal(wav.numpy(), ref)
    x = (0.4 * np.sin(np.arange(5000) / 7.0)).astype(np.float32)
    sf.write(tmp_path / "st.wav", np.stack([x, -0.5 * x], 1), 22050, subtype="PCM_16")
    ref, _ = sf.read(tmp_path / "st.wav", dtype="float32")
    np.testing.assert_allclose(load_wav(tmp_path / "st.wav")[0].numpy(), ref.mean(1), atol=1e-7)
    assert check_wav(path).subtype == "PCM_16" and abs(check_wav(path).duration - 1.900) < 1e-3

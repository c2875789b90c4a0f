"""Log-mel features as pure functions over torchaudio, matched to librosa (slaney mel scale and norm, zero padding).

Every parameter is explicit; :class:`MelConfig` holds the recipe defaults (22050 Hz, n_fft 1024, hop 256,
window 1024, 80 mels). Log base is natural, floor ``1e-5``. The log-mel takes magnitudes only of the frequency bins
some filter uses (:func:`active_bins`: 372 of 513 at fmax 8 kHz; the rest carry zero weight) and computes them as
``sqrt(re² + im²)`` (2.5x cheaper than torch's complex ``abs`` on CPU; equal to within float32 rounding).
:class:`speechnas.audio.extractor.MelExtractor` is the same computation for one file at a time with reused buffers.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio.functional as AF


@dataclass
class MelConfig:
    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float = 8000.0
    log_floor: float = 1e-5  # mel magnitudes are clamped here before the log


def mel_filterbank(cfg: MelConfig, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Slaney-normalised mel filterbank (librosa's default), shape ``(n_fft // 2 + 1, n_mels)``."""
    fb = AF.melscale_fbanks(
        n_freqs=cfg.n_fft // 2 + 1, f_min=cfg.fmin, f_max=cfg.fmax, n_mels=cfg.n_mels,
        sample_rate=cfg.sample_rate, norm="slaney", mel_scale="slaney",
    )
    return fb.to(device=device, dtype=dtype)


def active_bins(fbank: torch.Tensor) -> tuple[int, int]:
    """``(lo, hi)``: the frequency rows of a ``(freq, n_mels)`` filterbank outside ``lo:hi`` are all zero."""
    used = torch.nonzero(fbank.abs().sum(1)).flatten().cpu()
    if used.numel() == 0:
        raise ValueError(f"mel filterbank {tuple(fbank.shape)} has no non-zero weight (check fmin/fmax/sample_rate)")
    return int(used[0]), int(used[-1]) + 1


def stft_window(cfg: MelConfig, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The periodic Hann window of ``win_length``, centred in ``n_fft`` zeros (as torch.stft and librosa pad it)."""
    window = torch.zeros(cfg.n_fft, device=device, dtype=dtype)
    left = (cfg.n_fft - cfg.win_length) // 2
    window[left:left + cfg.win_length] = torch.hann_window(cfg.win_length, device=device, dtype=dtype)
    return window


def magnitude_spectrogram(wav: torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    """STFT magnitude of ``(..., samples)`` audio, centred with zero padding: ``(..., n_fft // 2 + 1, frames)``."""
    window = torch.hann_window(cfg.win_length, device=wav.device, dtype=wav.dtype)
    return AF.spectrogram(
        wav, pad=0, window=window, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
        power=1.0, normalized=False, center=True, pad_mode="constant", onesided=True,
    )


def log_mel_spectrogram(wav: torch.Tensor, cfg: MelConfig, fbank: torch.Tensor | None = None) -> torch.Tensor:
    """Natural-log mel magnitude of ``(..., samples)`` audio: ``(..., frames, n_mels)`` (time first, as models read it)."""
    if fbank is None:
        fbank = mel_filterbank(cfg, wav.device, wav.dtype)
    lo, hi = active_bins(fbank)
    spec = torch.stft(wav.reshape(-1, wav.shape[-1]), cfg.n_fft, cfg.hop_length, cfg.win_length,
                      stft_window(cfg, wav.device, wav.dtype), center=True, pad_mode="constant",
                      return_complex=True)  # (batch, freq, frames)
    ri = torch.view_as_real(spec.transpose(-1, -2)[..., lo:hi])  # (batch, frames, bins, 2)
    mag = torch.sqrt(ri[..., 0] * ri[..., 0] + ri[..., 1] * ri[..., 1])
    mel = torch.matmul(mag, fbank[lo:hi])  # (batch, frames, n_mels)
    return torch.log(torch.clamp(mel, min=cfg.log_floor)).reshape(*wav.shape[:-1], *mel.shape[-2:])


def mel_to_linear(log_mel: torch.Tensor, cfg: MelConfig, fbank: torch.Tensor | None = None) -> torch.Tensor:
    """Approximate linear magnitude from ``(..., frames, n_mels)`` log-mel via the mel basis pseudo-inverse.

    Returns ``(..., n_fft // 2 + 1, frames)``, clamped at zero (the pseudo-inverse can go negative).
    """
    if fbank is None:
        fbank = mel_filterbank(cfg, log_mel.device, log_mel.dtype)
    inv = torch.linalg.pinv(fbank)  # (n_mels, freq)
    mag = torch.matmul(torch.exp(log_mel), inv)  # (..., frames, freq)
    return torch.clamp(mag, min=0.0).transpose(-1, -2)

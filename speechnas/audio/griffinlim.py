"""Griffin-Lim vocoder from raw log-mel (the official SemiNAS settings: mel pseudo-inverse, magnitude ** 1.5,
60 iterations), via ``torchaudio.functional.griffinlim``; write the result with :func:`speechnas.audio.io.write_wav`.

Input is the *raw* natural-log mel of :func:`speechnas.audio.functional.log_mel_spectrogram`; a model's
normalised output must be denormalised first (``FeatureNormalizer.denormalize``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio.functional as AF

from speechnas.audio.functional import MelConfig, mel_filterbank, mel_to_linear


@dataclass
class GriffinLimConfig:
    n_iter: int = 60
    power: float = 1.5  # the linear magnitude is raised to this before phase reconstruction (sharpens harmonics)
    momentum: float = 0.99  # fast Griffin-Lim (0 = the original algorithm)
    peak: float = 0.95  # output is scaled to this peak amplitude (the power changes the level); 0 keeps it raw
    seed: int | None = 0  # random initial phase, reproducible; None uses torch's global generator


def griffin_lim(log_mel: torch.Tensor, mel_cfg: MelConfig | None = None, cfg: GriffinLimConfig | None = None,
                length: int | None = None) -> torch.Tensor:
    """Waveform ``(..., samples)`` from raw log-mel ``(..., frames, n_mels)``.

    ``length`` trims or pads the output to that many samples (default ``(frames - 1) * hop``, the centred STFT's).
    """
    mel_cfg = mel_cfg or MelConfig()
    cfg = cfg or GriffinLimConfig()
    if log_mel.shape[-1] != mel_cfg.n_mels:
        raise ValueError(f"log-mel has {log_mel.shape[-1]} bins in its last dimension, expected {mel_cfg.n_mels}"
                         " (shape must be (..., frames, n_mels))")
    log_mel = log_mel.float()
    fbank = mel_filterbank(mel_cfg, log_mel.device)
    magnitude = mel_to_linear(log_mel, mel_cfg, fbank) ** cfg.power  # (..., freq, frames)
    window = torch.hann_window(mel_cfg.win_length, device=log_mel.device)
    with torch.random.fork_rng(devices=[] if log_mel.device.type == "cpu" else [log_mel.device]):
        if cfg.seed is not None:
            torch.manual_seed(cfg.seed)
        wav = AF.griffinlim(magnitude, window, mel_cfg.n_fft, mel_cfg.hop_length, mel_cfg.win_length, power=1.0,
                            n_iter=cfg.n_iter, momentum=cfg.momentum, length=length, rand_init=True)
    if cfg.peak > 0:
        wav = wav * (cfg.peak / wav.abs().amax(dim=-1, keepdim=True).clamp(min=1e-8))
    return wav


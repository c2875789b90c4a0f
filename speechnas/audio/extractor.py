"""Log-mel features of one audio file at a time, on one CPU thread: stage 2's inner loop.

:class:`MelExtractor` computes what :func:`speechnas.audio.functional.log_mel_spectrogram` computes (same framing,
window, bins, filterbank and floor; tested equal to 1e-5, and to librosa), arranged for a loop over thousands of files:

- one open serves the header checks and the read (:func:`speechnas.audio.io.open_wav`), and 16-bit PCM at the
  configured rate goes from ``int16`` straight into a zero-padded float buffer (libsndfile's own float conversion
  costs four times as much; the values are identical);
- the padded signal, windowed frames, spectrum and magnitude buffers are kept and reused: fresh multi-megabyte
  allocations for every file cost page faults that were a quarter of the time;
- only the frequency bins under the filterbank get a magnitude, ``sqrt(re² + im²)``.

Anything else (float or 24-bit files, stereo, another rate) goes through :func:`speechnas.audio.io.read_samples`, which
also refuses non-finite samples. An instance is not thread-safe: use one per process (stage 2 has one per pool worker).
"""
from __future__ import annotations

import os

import numpy as np
import torch

from speechnas.audio.functional import MelConfig, active_bins, mel_filterbank, stft_window
from speechnas.audio.io import PCM16_SCALE, AudioError, open_wav, read_samples


class MelExtractor:
    """``extractor(path)`` -> float32 ``(frames, n_mels)`` natural-log mel of one file (frames = 1 + samples // hop)."""

    def __init__(self, cfg: MelConfig, fbank: torch.Tensor | None = None):
        self.cfg = cfg
        self.source = mel_filterbank(cfg) if fbank is None else fbank
        fbank = self.source.detach().to("cpu", torch.float32)
        self.lo, self.hi = active_bins(fbank)
        self.fbank = fbank[self.lo:self.hi].contiguous()  # (bins, n_mels)
        self.window = stft_window(cfg)
        self.pad = cfg.n_fft // 2
        self.capacity = -1  # samples the buffers hold

    def _reserve(self, samples: int) -> None:
        if samples <= self.capacity:
            return
        cap = int(samples * 1.25) + self.cfg.hop_length  # headroom: a slightly longer file does not reallocate
        frames = 1 + cap // self.cfg.hop_length
        self.ints = np.empty(cap, np.int16)
        self.signal = torch.zeros(cap + self.cfg.n_fft)
        self.frames = torch.empty(frames, self.cfg.n_fft)
        self.spec = torch.empty(frames, self.cfg.n_fft // 2 + 1, dtype=torch.complex64)
        self.mag = torch.empty(frames, self.hi - self.lo)
        self.tmp = torch.empty(frames, self.hi - self.lo)
        self.capacity = cap

    def __call__(self, path: str | os.PathLike) -> np.ndarray:
        cfg = self.cfg
        with open_wav(path) as f:
            if f.subtype == "PCM_16" and f.channels == 1 and f.samplerate == cfg.sample_rate:
                self._reserve(f.frames)
                ints = f.read(out=self.ints[:f.frames])
                n = len(ints)
                if n == 0:
                    raise AudioError(f"{path}: audio file holds no samples (header says {f.frames})")
                torch.mul(torch.from_numpy(ints), PCM16_SCALE, out=self.signal[self.pad:self.pad + n])
            else:
                wav = read_samples(f, path, cfg.sample_rate)
                n = len(wav)
                self._reserve(n)
                self.signal[self.pad:self.pad + n] = wav
        return self._log_mel(n)

    def from_samples(self, wav: torch.Tensor | np.ndarray) -> np.ndarray:
        """The same features of mono float audio ``(samples,)`` already in memory (at ``cfg.sample_rate``)."""
        wav = torch.as_tensor(wav, dtype=torch.float32)
        if wav.ndim != 1 or wav.numel() == 0:
            raise ValueError(f"expected mono audio of shape (samples,), got {tuple(wav.shape)}")
        self._reserve(len(wav))
        self.signal[self.pad:self.pad + len(wav)] = wav
        return self._log_mel(len(wav))

    def _log_mel(self, n: int) -> np.ndarray:
        """Features of ``signal[pad:pad + n]``: zero padding both sides (centred frames), window, rFFT, mel, log."""
        cfg = self.cfg
        self.signal[:self.pad].zero_()
        self.signal[self.pad + n:n + cfg.n_fft].zero_()  # a longer earlier file left samples here
        count = 1 + n // cfg.hop_length
        framed = self.signal.as_strided((count, cfg.n_fft), (cfg.hop_length, 1))
        frames = torch.mul(framed, self.window, out=self.frames[:count])
        spec = torch.fft.rfft(frames, out=self.spec[:count])
        ri = torch.view_as_real(spec)[:, self.lo:self.hi]  # (frames, bins, 2)
        mag, tmp = self.mag[:count], self.tmp[:count]
        torch.mul(ri[..., 0], ri[..., 0], out=mag)
        torch.mul(ri[..., 1], ri[..., 1], out=tmp)
        mel = torch.matmul(mag.add_(tmp).sqrt_(), self.fbank)  # a new (frames, n_mels) array: the caller keeps it
        return mel.clamp_(min=cfg.log_floor).log_().numpy()

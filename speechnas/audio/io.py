"""Reading and writing audio files: missing, unreadable and truncated files are errors that name the file.

:func:`load_wav` returns mono float32 audio at the requested rate: stereo is averaged to mono, and a file at another
rate is resampled with torchaudio (with a warning, since it costs time and usually means a misconfigured corpus).
libsndfile silently reads a truncated WAV as a shorter one, so :func:`check_wav` compares the RIFF ``data`` chunk's
declared size with the bytes actually present.
"""
from __future__ import annotations

import io
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from speechnas.utils.io import atomic_write_bytes

log = logging.getLogger(__name__)


class AudioError(ValueError):
    """An audio file is missing, unreadable, truncated or empty."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    frames: int


def _riff_truncation(path: Path) -> str | None:
    """Why a RIFF/WAVE file is truncated (declared data size > bytes present), or None when it is complete."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None  # not RIFF (e.g. FLAC, RF64): libsndfile judges it
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                present = size - pos - 8
                if chunk_size != 0xFFFFFFFF and present < chunk_size:
                    return f"truncated: data chunk declares {chunk_size} bytes but only {present} are present"
                return None
            pos += 8 + chunk_size + (chunk_size & 1)
    return "no 'data' chunk (truncated header?)"


def check_wav(path: str | os.PathLike) -> WavInfo:
    """Header-level check of an audio file; raises :class:`AudioError` naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: audio file not found")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{path}: audio file is not readable (permissions)")
    try:
        reason = _riff_truncation(path)
    except OSError as e:
        raise AudioError(f"{path}: cannot read audio file: {e}") from e
    if reason:
        raise AudioError(f"{path}: {reason}")
    try:
        info = sf.info(str(path))
    except Exception as e:  # noqa: BLE001 - libsndfile raises several types
        raise AudioError(f"{path}: not a readable audio file: {e}") from e
    if info.frames <= 0:
        raise AudioError(f"{path}: audio file holds no samples")
    return WavInfo(info.samplerate, info.channels, info.frames)


def load_wav(path: str | os.PathLike, sample_rate: int | None = None) -> tuple["torch.Tensor", int]:
    """Mono float32 audio ``(samples,)`` in [-1, 1] and its rate (``sample_rate`` when given, resampled if needed)."""
    path = Path(path)
    check_wav(path)
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001
        raise AudioError(f"{path}: cannot decode audio: {e}") from e
    if data.shape[0] == 0:
        raise AudioError(f"{path}: audio file holds no samples")
    import torch  # imported where needed: writing audio (the eSpeak NG render workers) stays free of torch

    wav = torch.from_numpy(data.mean(axis=1) if data.shape[1] > 1 else data[:, 0])
    if sample_rate is not None and sr != sample_rate:
        log.warning("%s: sample rate %d Hz differs from %d Hz; resampling", path, sr, sample_rate)
        import torchaudio.functional as AF  # only needed here; keeps stage 1 light

        wav = AF.resample(wav, sr, sample_rate)
        sr = sample_rate
    return wav.contiguous(), sr


def write_wav(path: str | os.PathLike, wav: "np.ndarray | torch.Tensor", sample_rate: int) -> None:
    """Write mono ``(samples,)`` audio in [-1, 1] as 16-bit PCM WAV, atomically (a reader never sees half a file)."""
    if hasattr(wav, "detach"):  # a torch.Tensor
        wav = wav.detach().cpu().float().numpy()
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:  # soundfile would take (frames, channels) silently and a batch (B, samples) as B channels
        raise ValueError(f"{path}: write_wav expects mono audio of shape (samples,), got shape {tuple(wav.shape)}")
    buf = io.BytesIO()
    sf.write(buf, np.clip(wav, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    atomic_write_bytes(path, buf.getvalue())

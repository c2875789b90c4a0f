"""Reading and writing audio files: missing, unreadable, truncated and non-finite audio are errors that name the file.

:func:`load_wav` returns mono float32 audio at the requested rate: stereo is averaged to mono, and a file at another
rate is resampled with torchaudio (with a warning, since it costs time and usually means a misconfigured corpus).
libsndfile silently reads a truncated WAV as a shorter one, so :func:`open_wav` compares the RIFF ``data`` chunk's
declared size with the bytes actually present. Float WAVs (subtype ``FLOAT``/``DOUBLE``) can hold NaN or inf, which
would make every feature and statistic computed from them non-finite: :func:`read_samples` refuses them, naming the
file, the count and the first bad sample. Integer PCM cannot hold such values and is not scanned.

16-bit PCM (LJSpeech's format) is read as ``int16`` and scaled by 2^-15 in place: the same values libsndfile's own
float conversion gives (it divides by 0x8000), at a quarter of its cost.
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

PCM16_SCALE = 1.0 / 32768.0  # libsndfile's normalisation of 16-bit PCM to float
_INTEGER_SUBTYPES = {"PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "ULAW", "ALAW"}


class AudioError(ValueError):
    """An audio file is missing, unreadable, truncated, empty or holds non-finite samples."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    frames: int
    subtype: str = ""

    @property
    def duration(self) -> float:
        """Seconds, from the header alone."""
        return self.frames / self.sample_rate


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


def open_wav(path: str | os.PathLike) -> sf.SoundFile:
    """Open an audio file for reading after the header checks; raises :class:`AudioError` naming the file.

    The caller closes it (``with open_wav(p) as f:``). One open serves both the checks and the read.
    """
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
        f = sf.SoundFile(str(path))
    except Exception as e:  # noqa: BLE001 - libsndfile raises several types
        raise AudioError(f"{path}: not a readable audio file: {e}") from e
    if f.frames <= 0:
        f.close()
        raise AudioError(f"{path}: audio file holds no samples")
    return f


def check_wav(path: str | os.PathLike) -> WavInfo:
    """Header-level check of an audio file (samples are not read); raises :class:`AudioError` naming the file."""
    with open_wav(path) as f:
        return WavInfo(f.samplerate, f.channels, f.frames, f.subtype)


def check_finite(data: "np.ndarray | torch.Tensor", path: str | os.PathLike, what: str = "samples",
                 sample_rate: int | None = None) -> None:
    """Raise :class:`AudioError` naming ``path`` when ``data`` holds NaN or inf (count and first position given)."""
    arr = data.numpy() if hasattr(data, "detach") else np.asarray(data)  # a torch.Tensor, or numpy
    if np.isfinite(arr).all():
        return
    flat = arr.reshape(-1)
    bad = ~np.isfinite(flat)
    first = int(np.argmax(bad))
    where = f"sample {first} ({first / sample_rate:.3f} s)" if sample_rate else f"index {first}"
    raise AudioError(f"{path}: {int(bad.sum())} non-finite {what} ({int(np.isnan(flat).sum())} NaN, "
                     f"{int(np.isinf(flat).sum())} inf; first at {where})")


def read_samples(f: sf.SoundFile, path: str | os.PathLike, sample_rate: int | None = None) -> "torch.Tensor":
    """All samples of an opened file as mono float32 ``(samples,)`` at ``sample_rate`` (resampled if needed)."""
    import torch  # imported where needed: writing audio (the eSpeak NG render workers) stays free of torch

    try:
        if f.subtype == "PCM_16":
            ints = f.read(dtype="int16", always_2d=True)
            data = torch.from_numpy(ints[:, 0] if ints.shape[1] == 1 else ints.mean(axis=1, dtype=np.float32))
            data = data.to(torch.float32).mul_(PCM16_SCALE)  # exact: a power-of-two scale of 16-bit integers
        else:
            arr = f.read(dtype="float32", always_2d=True)
            data = torch.from_numpy(arr[:, 0] if arr.shape[1] == 1 else arr.mean(axis=1))
    except Exception as e:  # noqa: BLE001
        raise AudioError(f"{path}: cannot decode audio: {e}") from e
    if data.shape[0] == 0:
        raise AudioError(f"{path}: audio file holds no samples")
    if f.subtype not in _INTEGER_SUBTYPES:  # float (or decoded) audio can hold NaN/inf, or overflow float32
        check_finite(data, path, "samples", f.samplerate)
    sr = f.samplerate
    if sample_rate is not None and sr != sample_rate:
        log.warning("%s: sample rate %d Hz differs from %d Hz; resampling", path, sr, sample_rate)
        import torchaudio.functional as AF  # only needed here; keeps stage 1 light

        data = AF.resample(data, sr, sample_rate)
    return data.contiguous()


def load_wav(path: str | os.PathLike, sample_rate: int | None = None) -> tuple["torch.Tensor", int]:
    """Mono float32 audio ``(samples,)`` in [-1, 1] and its rate (``sample_rate`` when given, resampled if needed)."""
    with open_wav(path) as f:
        wav = read_samples(f, path, sample_rate)
        return wav, sample_rate if sample_rate is not None else f.samplerate


def write_wav(path: str | os.PathLike, wav: "np.ndarray | torch.Tensor", sample_rate: int,
              durable: bool = True) -> None:
    """Write mono ``(samples,)`` audio in [-1, 1] as 16-bit PCM WAV, atomically (a reader never sees half a file;
    ``durable=False``: no fsync, see :func:`speechnas.utils.io.atomic_open`)."""
    if hasattr(wav, "detach"):  # a torch.Tensor
        wav = wav.detach().cpu().float().numpy()
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:  # soundfile would take (frames, channels) silently and a batch (B, samples) as B channels
        raise ValueError(f"{path}: write_wav expects mono audio of shape (samples,), got shape {tuple(wav.shape)}")
    buf = io.BytesIO()
    sf.write(buf, np.clip(wav, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    atomic_write_bytes(path, buf.getvalue(), durable)

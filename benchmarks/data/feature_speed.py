"""Feature extraction speed on the 32 real LJSpeech clips: speechnas (torchaudio) beside librosa, same settings.

Both sides include reading the wav. One thread, median of ``--repeats`` passes over all clips; prints times real time
per core, the ratio, and the estimated stage-2 wall time for all of LJSpeech (23:55:17 of audio) with ``--nj 2``.

    .venv/bin/python benchmarks/data/feature_speed.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from speechnas.audio.functional import MelConfig, mel_filterbank
from speechnas.data.features import extract

LJSPEECH_SECONDS = 23 * 3600 + 55 * 60 + 17
_DEFAULT = Path(os.environ.get("SPEECHNAS_SHARED", Path(__file__).resolve().parents[3] / "shared"))


def librosa_extract(path: Path, cfg: MelConfig) -> np.ndarray:
    import librosa

    y, _ = sf.read(path, dtype="float32")
    m = librosa.feature.melspectrogram(y=y, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                                       win_length=cfg.win_length, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax,
                                       power=1.0, center=True, pad_mode="constant")
    return np.log(np.maximum(m, cfg.log_floor)).T.astype(np.float32)


def timed(fn, files, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for f in files:
            fn(f)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wavs", default=str(_DEFAULT / "data/ljspeech_mini/LJSpeech-1.1/wavs"))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    files = sorted(Path(args.wavs).glob("*.wav"))
    if not files:
        sys.exit(f"no wavs in {args.wavs} (set SPEECHNAS_SHARED)")
    torch.set_num_threads(1)
    cfg = MelConfig()
    fbank = mel_filterbank(cfg)
    audio_s = sum(sf.info(f).duration for f in files)
    diff = max(float(np.abs(extract(f, cfg, fbank=fbank) - librosa_extract(f, cfg)).max()) for f in files[:4])
    ours = timed(lambda f: extract(f, cfg, fbank=fbank), files, args.repeats)
    ref = timed(lambda f: librosa_extract(f, cfg), files, args.repeats)
    read = timed(lambda f: sf.read(f, dtype="float32"), files, args.repeats)
    print(f"{len(files)} clips, {audio_s:.2f} s of audio, 1 thread, median of {args.repeats}")
    print(f"speechnas (torchaudio): {audio_s / ours:7.0f}x real time per core ({ours:.3f} s)")
    print(f"librosa               : {audio_s / ref:7.0f}x real time per core ({ref:.3f} s)")
    print(f"speed ratio speechnas/librosa: {ref / ours:.2f}; wav reading alone {100 * read / ours:.0f}% of ours")
    print(f"max |difference| (first 4 clips, natural-log mel): {diff:.2e}")
    est = LJSPEECH_SECONDS / (audio_s / ours) / 2
    print(f"estimate for all of LJSpeech (23:55:17) with --nj 2: {est:.0f} s ({est / 60:.1f} min) of extraction, "
          f"assuming 2 free cores")


if __name__ == "__main__":
    main()

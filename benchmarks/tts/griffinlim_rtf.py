"""Griffin-Lim real-time factor (60 iterations): ours (torchaudio) beside ``librosa.griffinlim`` on the same
magnitude spectrogram (mel pseudo-inverse of a real clip's log-mel, raised to 1.5), both with momentum 0.99.

RTF = synthesis time / audio duration (lower is faster); medians over ``--repeats`` runs; also reports how well
each output's log-mel correlates with the original's.

    .venv/bin/python benchmarks/tts/griffinlim_rtf.py [--clip LJ001-0001] [--iters 60] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf
import torch

from speechnas.audio.functional import MelConfig, log_mel_spectrogram, mel_to_linear
from speechnas.audio.griffinlim import GriffinLimConfig, griffin_lim
from bench_args import SHARED


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="LJ001-0001")
    ap.add_argument("--wavs", type=Path, default=SHARED / "data/ljspeech_mini/LJSpeech-1.1/wavs")
    ap.add_argument("--iters", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    wav, sr = sf.read(str(args.wavs / f"{args.clip}.wav"), dtype="float32")
    cfg = MelConfig()
    log_mel = log_mel_spectrogram(torch.from_numpy(wav), cfg)
    duration = len(wav) / sr
    gl = GriffinLimConfig(n_iter=args.iters)
    magnitude = (mel_to_linear(log_mel, cfg) ** gl.power).numpy()

    def ours():
        return griffin_lim(log_mel, cfg, gl, length=len(wav)).numpy()

    def theirs():
        return librosa.griffinlim(magnitude, n_iter=args.iters, hop_length=cfg.hop_length, win_length=cfg.win_length,
                                  n_fft=cfg.n_fft, window="hann", center=True, momentum=gl.momentum,
                                  init="random", random_state=0, length=len(wav))

    rows = {}
    for name, fn in (("speechnas (torchaudio)", ours), ("librosa", theirs)):
        fn()
        times, out = [], None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        rec = log_mel_spectrogram(torch.from_numpy(np.asarray(out, dtype=np.float32)), cfg)
        corr = float(np.corrcoef(rec.flatten().numpy(), log_mel.flatten().numpy())[0, 1])
        t = statistics.median(times)
        rows[name] = {"seconds": t, "rtf": t / duration, "logmel_corr": corr}
    print(f"clip {args.clip} ({duration:.2f} s), {args.iters} iterations, threads={args.threads}, CPU")
    for name, r in rows.items():
        print(f"{name:24s} {r['seconds']:6.3f} s  RTF {r['rtf']:.4f}  log-mel corr {r['logmel_corr']:.3f}")
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()

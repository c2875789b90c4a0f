"""Feature extraction speed on the 32 real LJSpeech clips: speechnas beside librosa (and plain torchaudio), one run.

Every side computes the same log-mel (22050 Hz, n_fft 1024, hop 256, 80 slaney mels, fmin 0, fmax 8000, zero-padded
centred frames, natural log, floor 1e-5) *including reading the wav*, on one thread (torch and the BLAS/OpenMP pools
are limited to one thread before numpy is imported). Each repeat times one pass over all clips for every side, in an
order that alternates from repeat to repeat, so all sides see the same machine state; the report gives per side the
median and the range (min–max) of times real time per core, and the median and range of the per-repeat speed ratio.
A warm-up pass first checks that the sides agree (max |difference| of the log-mel over all clips).

    .venv/bin/python benchmarks/data/feature_speed.py [--repeats 7] [--wavs DIR]

On a shared machine the numbers drift with other load; the load average before and after is printed with them.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch load: "per core" means one thread on every side

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402

from speechnas.audio.functional import MelConfig  # noqa: E402
from speechnas.data.features import extract  # noqa: E402

LJSPEECH_SECONDS = 23 * 3600 + 55 * 60 + 17
_DEFAULT = Path(os.environ.get("SPEECHNAS_SHARED", Path(__file__).resolve().parents[3] / "shared"))


def librosa_extract(path: Path, cfg: MelConfig) -> np.ndarray:
    """A plain librosa pipeline: read, melspectrogram (magnitude, slaney mels), log with the same floor."""
    import librosa

    y, _ = sf.read(path, dtype="float32")
    m = librosa.feature.melspectrogram(y=y, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                                       win_length=cfg.win_length, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax,
                                       power=1.0, center=True, pad_mode="constant")
    return np.log(np.maximum(m, cfg.log_floor)).T.astype(np.float32)


def torchaudio_pipeline(cfg: MelConfig):
    """A plain torchaudio pipeline (MelSpectrogram with slaney scale and norm, zero padding), built once."""
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=cfg.sample_rate, n_fft=cfg.n_fft, win_length=cfg.win_length, hop_length=cfg.hop_length,
        f_min=cfg.fmin, f_max=cfg.fmax, n_mels=cfg.n_mels, power=1.0, center=True, pad_mode="constant",
        norm="slaney", mel_scale="slaney")

    def run(path: Path) -> np.ndarray:
        y, _ = sf.read(path, dtype="float32")
        with torch.no_grad():
            m = mel(torch.from_numpy(y))
        return torch.log(torch.clamp(m, min=cfg.log_floor)).T.numpy()

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wavs", default=str(_DEFAULT / "data/ljspeech_mini/LJSpeech-1.1/wavs"))
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    files = sorted(Path(args.wavs).glob("*.wav"))
    if not files:
        sys.exit(f"no wavs in {args.wavs} (set SPEECHNAS_SHARED)")
    if args.repeats < 1:
        sys.exit("--repeats must be at least 1")
    torch.set_num_threads(1)
    cfg = MelConfig()
    sides = {"speechnas": lambda f: extract(f, cfg), "librosa": lambda f: librosa_extract(f, cfg),
             "torchaudio (plain)": torchaudio_pipeline(cfg)}
    audio_s = sum(sf.info(f).duration for f in files)
    load0 = os.getloadavg()[0]

    ref = {f: librosa_extract(f, cfg) for f in files}  # warm-up pass, and the agreement check
    diffs = {name: max(float(np.abs(fn(f) - ref[f]).max()) for f in files) for name, fn in sides.items()}
    times: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}  # this thread's CPU time: what other load cannot inflate
    order = list(sides)
    for r in range(args.repeats):
        for name in (order if r % 2 == 0 else order[::-1]):
            fn = sides[name]
            t, c = time.perf_counter(), time.thread_time()
            for f in files:
                fn(f)
            times[name].append(time.perf_counter() - t)
            cpu[name].append(time.thread_time() - c)
    load1 = os.getloadavg()[0]

    print(f"{len(files)} clips, {audio_s:.2f} s of audio, 1 thread, {args.repeats} interleaved repeats "
          f"(load average {load0:.2f} before, {load1:.2f} after, on {os.cpu_count()} cores)")
    print(f"{'':20s} {'x real time per core (wall)':>28s}  {'(CPU time)':>19s}  max |diff| vs librosa")
    for name, ts in times.items():
        rt, rc = sorted(audio_s / t for t in ts), sorted(audio_s / t for t in cpu[name])
        print(f"{name:20s} {statistics.median(rt):9.0f} ({rt[0]:5.0f}-{rt[-1]:5.0f})      "
              f"{statistics.median(rc):6.0f} ({rc[0]:5.0f}-{rc[-1]:5.0f})  {diffs[name]:.1e}")
    for name in ("librosa", "torchaudio (plain)"):
        ratios = sorted(a / b for a, b in zip(times[name], times["speechnas"]))
        cratios = sorted(a / b for a, b in zip(cpu[name], cpu["speechnas"]))
        print(f"speed ratio speechnas/{name}: wall {statistics.median(ratios):.2f} "
              f"(per repeat {ratios[0]:.2f}-{ratios[-1]:.2f}), CPU time {statistics.median(cratios):.2f} "
              f"({cratios[0]:.2f}-{cratios[-1]:.2f})")
    est = LJSPEECH_SECONDS / (audio_s / statistics.median(times["speechnas"])) / 2
    print(f"estimate for all of LJSpeech (23:55:17) with --nj 2: {est:.0f} s ({est / 60:.1f} min) of extraction, "
          f"assuming 2 free cores (writing the files not included)")


if __name__ == "__main__":
    main()

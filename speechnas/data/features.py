"""Stage 2 feature jobs: one float32 ``.npy`` log-mel ``(frames, n_mels)`` per utterance, indexed per data directory.

Layout: ``<store>/<utt-id>.npy`` (raw natural-log mel, not normalised; by default ``<out>/feats``), and under
``<out>``: ``feats.scp``
(``<utt-id> <path>``), ``feats_shape`` (``<utt-id> <frames>``) and ``skipped.txt`` when ``skip_bad`` dropped files.
Each ``.npy`` is written atomically, so a file that exists is complete: an interrupted run, re-run, computes only
the utterances still missing. ``feats.scp`` is written last and is the set's completion marker.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from speechnas.audio.functional import MelConfig, log_mel_spectrogram, mel_filterbank
from speechnas.audio.io import AudioError, load_wav
from speechnas.data.kaldi import read_scp
from speechnas.utils.io import atomic_write_text, atomic_write_with
from speechnas.utils.progress import progress

log = logging.getLogger(__name__)


@dataclass
class FeatureReport:
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # utt -> reason


def extract(wav_path: str | os.PathLike, cfg: MelConfig, device: str = "cpu", fbank: torch.Tensor | None = None,
            ) -> np.ndarray:
    """Log-mel of one file as float32 ``(frames, n_mels)`` (resampled to ``cfg.sample_rate`` if needed)."""
    wav, _ = load_wav(wav_path, cfg.sample_rate)
    with torch.no_grad():
        feats = log_mel_spectrogram(wav.to(device), cfg, fbank)
    return feats.cpu().numpy().astype(np.float32)


def _existing_frames(path: Path, n_mels: int) -> int | None:
    """Frames of a complete feature file, None when it is absent or unusable (then it is recomputed)."""
    if not path.is_file():
        return None
    try:
        arr = np.load(path, mmap_mode="r")
    except Exception:  # noqa: BLE001 - a foreign or damaged file is recomputed
        return None
    if arr.ndim != 2 or arr.shape[1] != n_mels or arr.dtype != np.float32 or arr.shape[0] == 0:
        return None
    return int(arr.shape[0])


# One worker process holds its config and filterbank here (set by _init_worker).
_WORKER: dict = {}


def _init_worker(cfg: MelConfig, device: str) -> None:
    torch.set_num_threads(1)
    _WORKER.update(cfg=cfg, device=device, fbank=mel_filterbank(cfg, device))


def _job(item: tuple[str, str, str]) -> tuple[str, str, int | str]:
    """(utt, wav, out) -> (utt, "computed"|"reused"|"bad", frames or the error message)."""
    utt, wav, out = item
    cfg: MelConfig = _WORKER["cfg"]
    frames = _existing_frames(Path(out), cfg.n_mels)
    if frames is not None:
        return utt, "reused", frames
    try:
        feats = extract(wav, cfg, _WORKER["device"], _WORKER["fbank"])
    except AudioError as e:
        return utt, "bad", str(e)
    atomic_write_with(out, lambda f: np.save(f, feats))
    return utt, "computed", int(feats.shape[0])


def make_features(data_dir: str | os.PathLike, out_dir: str | os.PathLike, cfg: MelConfig, nj: int = 1,
                  device: str = "cpu", skip_bad: bool = False, store: str | os.PathLike | None = None,
                  ) -> FeatureReport:
    """Compute features for every utterance of ``data_dir`` with ``nj`` processes.

    The ``.npy`` files go to ``store`` (default ``out_dir/feats``); the index files to ``out_dir``.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir).resolve()
    store = Path(store).resolve() if store is not None else out_dir / "feats"
    wavs = read_scp(data_dir / "wav.scp")
    items = [(u, w, str(store / f"{u}.npy")) for u, w in sorted(wavs.items())]
    store.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = FeatureReport()
    frames: dict[str, int] = {}
    results = _run(items, cfg, nj, device)
    try:
        for utt, status, value in progress(results, total=len(items), desc=f"features {data_dir.name}", unit="utt"):
            if status == "bad":
                if not skip_bad:
                    raise AudioError(f"{data_dir / 'wav.scp'} ({utt}): {value}")
                report.skipped[utt] = str(value)
                continue
            frames[utt] = int(value)
            (report.computed if status == "computed" else report.reused).append(utt)
    finally:
        close = getattr(results, "close", None)
        if close:
            close()
    atomic_write_text(out_dir / "skipped.txt", "".join(f"{u}\t{r}\n" for u, r in sorted(report.skipped.items())))
    atomic_write_text(out_dir / "feats_shape", "".join(f"{u} {frames[u]}\n" for u in sorted(frames)))
    atomic_write_text(out_dir / "feats.scp", "".join(f"{u} {store / (u + '.npy')}\n" for u in sorted(frames)))
    return report


def _run(items, cfg: MelConfig, nj: int, device: str):
    if nj <= 1 or device != "cpu" or len(items) < 2:
        _init_worker(cfg, device)
        return (_job(it) for it in items)
    pool = mp.get_context("fork" if os.name == "posix" else "spawn").Pool(nj, _init_worker, (cfg, device))
    return _PoolResults(pool, pool.imap(_job, items, chunksize=4))


class _PoolResults:
    """Iterator over pool results that terminates the pool when closed early (an error stops the stage)."""

    def __init__(self, pool, it):
        self.pool, self.it = pool, it

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.it)

    def close(self):
        self.pool.terminate()
        self.pool.join()


def features_complete(data_dir: str | os.PathLike, out_dir: str | os.PathLike) -> bool:
    """True when ``out_dir/feats.scp`` lists every utterance of ``data_dir`` (minus recorded skips) and files exist."""
    out_dir = Path(out_dir)
    scp = out_dir / "feats.scp"
    if not scp.is_file() or not (out_dir / "feats_shape").is_file():
        return False
    wanted = set(read_scp(Path(data_dir) / "wav.scp"))
    skipped = {line.split("\t", 1)[0] for line in (out_dir / "skipped.txt").read_text().splitlines()} \
        if (out_dir / "skipped.txt").is_file() else set()
    have = read_scp(scp)
    return set(have) | skipped == wanted and all(Path(p).is_file() for p in have.values())


def compute_stats(feats_scp: str | os.PathLike, out_path: str | os.PathLike, std_floor: float = 1e-5) -> dict:
    """Global per-bin mean and std over every frame of a set (float64 sums), saved as ``feats_stats.npz``."""
    total = sq = None
    count = 0
    for utt, path in read_scp(feats_scp).items():
        x = np.load(path).astype(np.float64)
        total = x.sum(0) if total is None else total + x.sum(0)
        sq = (x * x).sum(0) if sq is None else sq + (x * x).sum(0)
        count += x.shape[0]
    if not count:
        raise ValueError(f"{feats_scp}: no features to compute statistics from")
    mean = total / count
    std = np.sqrt(np.maximum(sq / count - mean * mean, 0.0))
    std = np.maximum(std, std_floor)
    stats = {"mean": mean.astype(np.float32), "std": std.astype(np.float32), "count": np.array(count)}
    atomic_write_with(out_path, lambda f: np.savez(f, **stats))
    return stats

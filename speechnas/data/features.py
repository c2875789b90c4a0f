"""Stage 2 feature jobs: one float32 ``.npy`` log-mel ``(frames, n_mels)`` per utterance, indexed per data directory.

Layout: ``<store>/<utt-id>.npy`` (raw natural-log mel, not normalised; by default ``<out>/feats``), and under
``<out>``: ``feats.scp``
(``<utt-id> <path>``), ``feats_shape`` (``<utt-id> <frames>``) and ``skipped.txt`` when ``skip_bad`` dropped files.
Each ``.npy`` is written atomically, so a file that exists is complete: an interrupted run, re-run, computes only
the utterances still missing. ``feats.scp`` is written last and is the set's completion marker. With ``stats`` the
jobs also return each utterance's per-bin sums, so the train statistics need no second pass over the files.

No non-finite value reaches a feature file or the statistics: a wav with NaN/inf samples (float WAVs can hold them) or
whose features overflow is a bad file (an error naming it, or a skip with ``skip_bad``); a feature file already on disk
that holds NaN/inf (e.g. from an older run) is recomputed from its wav; :func:`compute_stats` refuses such a file and
:func:`save_stats` non-finite sums. On CPU the features come from :class:`speechnas.audio.extractor.MelExtractor`
(one per process, buffers reused), on another device from :func:`log_mel_spectrogram`.
"""
from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from speechnas.audio.extractor import MelExtractor
from speechnas.audio.functional import MelConfig, log_mel_spectrogram, mel_filterbank
from speechnas.audio.io import AudioError, check_finite, load_wav
from speechnas.data.kaldi import read_scp
from speechnas.utils.io import atomic_write_text, atomic_write_with
from speechnas.utils.progress import progress

log = logging.getLogger(__name__)


@dataclass
class FrameSums:
    """Per-bin float64 sum and sum of squares over ``count`` frames: what the global mean and std come from."""
    count: int = 0
    total: np.ndarray | float = 0.0
    sq: np.ndarray | float = 0.0

    @classmethod
    def of(cls, x: np.ndarray) -> "FrameSums":
        """Sums of one ``(frames, n_mels)`` array, accumulated in float64 without a float64 copy of ``x``."""
        return cls(int(x.shape[0]), x.sum(0, dtype=np.float64), np.einsum("ij,ij->j", x, x, dtype=np.float64))

    def add(self, other: "FrameSums") -> None:
        self.count += other.count
        self.total = self.total + other.total
        self.sq = self.sq + other.sq


@dataclass
class FeatureReport:
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # utt -> reason
    sums: FrameSums | None = None  # over every utterance in feats.scp, when make_features(stats=True)


def extract(wav_path: str | os.PathLike, cfg: MelConfig, device: str = "cpu", fbank: torch.Tensor | None = None,
            ) -> np.ndarray:
    """Log-mel of one file as float32 ``(frames, n_mels)`` (resampled to ``cfg.sample_rate`` if needed).

    Raises :class:`AudioError` naming the file when it cannot be read, holds non-finite samples, or its features
    are not finite (float samples far outside [-1, 1] overflow).
    """
    if str(device) == "cpu":
        feats = _cpu_extractor(cfg, fbank)(wav_path)
    else:
        wav, _ = load_wav(wav_path, cfg.sample_rate)
        with torch.no_grad():
            feats = log_mel_spectrogram(wav.to(device), cfg, fbank).cpu().numpy()
    check_finite(feats, wav_path, "log-mel values (samples far outside [-1, 1]?)")
    return feats


_LOCAL = threading.local()  # this thread's extractors: buffers are reused from file to file


def _cpu_extractor(cfg: MelConfig, fbank: torch.Tensor | None) -> MelExtractor:
    """This thread's :class:`MelExtractor` for ``cfg`` (and ``fbank``, when given), made once."""
    cache = _LOCAL.__dict__.setdefault("extractors", {})
    key = dataclasses.astuple(cfg)
    ex = cache.get(key)
    if ex is None or (fbank is not None and fbank is not ex.source and not torch.equal(fbank.cpu(), ex.source)):
        if len(cache) >= 4:  # a few configs at most; do not keep buffers of every one a long session used
            cache.clear()
        ex = cache[key] = MelExtractor(cfg, fbank)
    return ex


def _existing(path: Path, n_mels: int) -> np.ndarray | None:
    """A complete feature file, memory-mapped; None when it is absent or unusable (then it is recomputed)."""
    if not path.is_file():
        return None
    try:
        arr = np.load(path, mmap_mode="r")
    except Exception:  # noqa: BLE001 - a foreign or damaged file is recomputed
        return None
    if arr.ndim != 2 or arr.shape[1] != n_mels or arr.dtype != np.float32 or arr.shape[0] == 0:
        return None
    if not np.isfinite(arr).all():
        log.warning("%s holds non-finite values (an older run?); computing it again from its wav", path)
        return None
    return arr


def _state(cfg: MelConfig, device: str, stats: bool) -> dict:
    """What a job needs: the config, the filterbank on ``device`` and whether to return frame sums."""
    return {"cfg": cfg, "device": device, "fbank": mel_filterbank(cfg, device), "stats": stats}


# A pool worker process holds its state here (set by _init_pool_worker).
_WORKER: dict = {}


def _init_pool_worker(cfg: MelConfig, device: str, stats: bool) -> None:
    """One thread per pool process (nj processes share the cores), as on the serial path."""
    torch.set_num_threads(1)
    _WORKER.update(_state(cfg, device, stats))


def _pool_job(item: tuple[str, str, str]):
    return _job(item, _WORKER)


def _job(item: tuple[str, str, str], state: dict) -> tuple[str, str, int | str, FrameSums | None]:
    """(utt, wav, out) -> (utt, "computed"|"reused"|"bad", frames or the error message, sums if asked for)."""
    utt, wav, out = item
    cfg: MelConfig = state["cfg"]
    feats = _existing(Path(out), cfg.n_mels)
    status = "reused"
    if feats is None:
        try:
            feats = extract(wav, cfg, state["device"], state["fbank"])
        except AudioError as e:
            return utt, "bad", str(e), None
        atomic_write_with(out, lambda f: np.save(f, feats), durable=False)  # one os.sync() before feats.scp
        status = "computed"
    return utt, status, int(feats.shape[0]), FrameSums.of(feats) if state["stats"] else None


def make_features(data_dir: str | os.PathLike, out_dir: str | os.PathLike, cfg: MelConfig, nj: int = 1,
                  device: str = "cpu", skip_bad: bool = False, store: str | os.PathLike | None = None,
                  stats: bool = False) -> FeatureReport:
    """Compute features for every utterance of ``data_dir`` with ``nj`` processes.

    The ``.npy`` files go to ``store`` (default ``out_dir/feats``); the index files to ``out_dir``. With ``stats``,
    ``report.sums`` holds the frame sums of every listed utterance (for :func:`save_stats`).
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir).resolve()
    store = Path(store).resolve() if store is not None else out_dir / "feats"
    wavs = read_scp(data_dir / "wav.scp")
    items = [(u, w, str(store / f"{u}.npy")) for u, w in sorted(wavs.items())]
    store.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = FeatureReport(sums=FrameSums() if stats else None)
    frames: dict[str, int] = {}
    results = _run(items, cfg, nj, device, stats)
    bar = progress(results, total=len(items), desc=f"features {data_dir.name}", unit="utt")
    try:
        for utt, status, value, sums in bar:
            if status == "bad":
                if not skip_bad:
                    raise AudioError(f"{data_dir / 'wav.scp'} ({utt}): {value}")
                report.skipped[utt] = str(value)
                continue
            frames[utt] = int(value)
            if sums is not None:
                report.sums.add(sums)
            (report.computed if status == "computed" else report.reused).append(utt)
    finally:
        bar.close()
        close = getattr(results, "close", None)
        if close:
            close()
    os.sync()  # the feature files were written without an fsync each; feats.scp (last) marks them complete
    atomic_write_text(out_dir / "skipped.txt", "".join(f"{u}\t{r}\n" for u, r in sorted(report.skipped.items())))
    atomic_write_text(out_dir / "feats_shape", "".join(f"{u} {frames[u]}\n" for u in sorted(frames)))
    atomic_write_text(out_dir / "feats.scp", "".join(f"{u} {store / (u + '.npy')}\n" for u in sorted(frames)))
    return report


def _run(items, cfg: MelConfig, nj: int, device: str, stats: bool):
    if nj <= 1 or device != "cpu" or len(items) < 2:
        return _serial(items, _state(cfg, device, stats), one_thread=device == "cpu")
    ctx = mp.get_context("fork" if os.name == "posix" else "spawn")
    pool = ctx.Pool(nj, _init_pool_worker, (cfg, device, stats))
    return _PoolResults(pool, pool.imap(_pool_job, items, chunksize=4))


def _serial(items, state: dict, one_thread: bool):
    """The jobs in this process; on CPU with one torch thread, the caller's setting restored afterwards.

    Each op works on one file's frames: too small for a second thread to pay for its hand-off. Measured on the 32
    real clips (2 busy cores): one thread 750-1,040x real time, two threads 50-650x.
    """
    threads = torch.get_num_threads()
    if one_thread:
        torch.set_num_threads(1)
    try:
        for it in items:
            yield _job(it, state)
    finally:
        torch.set_num_threads(threads)


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


def features_complete(data_dir: str | os.PathLike, out_dir: str | os.PathLike, skip_bad: bool = False) -> bool:
    """True when ``out_dir/feats.scp`` lists every utterance of ``data_dir`` and the files exist.

    Utterances in ``skipped.txt`` count as done only with ``skip_bad`` (without it they must be retried: fixed files
    get features, still-bad ones stop the stage).
    """
    out_dir = Path(out_dir)
    scp = out_dir / "feats.scp"
    if not scp.is_file() or not (out_dir / "feats_shape").is_file():
        return False
    wanted = set(read_scp(Path(data_dir) / "wav.scp"))
    skipped = {line.split("\t", 1)[0] for line in (out_dir / "skipped.txt").read_text().splitlines()} \
        if skip_bad and (out_dir / "skipped.txt").is_file() else set()
    have = read_scp(scp)
    return set(have) | skipped == wanted and all(Path(p).is_file() for p in have.values())


def compute_stats(feats_scp: str | os.PathLike, out_path: str | os.PathLike, std_floor: float = 1e-5) -> dict:
    """Global per-bin mean and std over every frame listed in ``feats_scp``, read back from the files.

    A file holding NaN/inf is refused (naming it and its utterance): it would make the mean and std NaN.
    """
    sums = FrameSums()
    for utt, path in read_scp(feats_scp).items():
        feats = np.load(path, mmap_mode="r")
        if not np.isfinite(feats).all():
            raise ValueError(f"{feats_scp} ({utt}): {path} holds non-finite values (an older run?); delete it and "
                             f"re-run stage 2, which computes it again from its wav")
        sums.add(FrameSums.of(feats))
    return save_stats(sums, out_path, std_floor, where=str(feats_scp))


def stats_usable(path: str | os.PathLike) -> bool:
    """True when ``path`` is a readable ``feats_stats.npz`` whose mean and std are finite."""
    try:
        with np.load(path) as z:
            return all(np.isfinite(z[k]).all() for k in ("mean", "std"))
    except Exception:  # noqa: BLE001 - absent, damaged or foreign: computed again
        return False


def save_stats(sums: FrameSums, out_path: str | os.PathLike, std_floor: float = 1e-5, where: str = "") -> dict:
    """Per-bin mean and std (floored) from float64 frame sums, saved as ``feats_stats.npz``; never non-finite ones."""
    if not sums.count:
        raise ValueError(f"{where or out_path}: no features to compute statistics from")
    if not (np.isfinite(sums.total).all() and np.isfinite(sums.sq).all()):
        raise ValueError(f"{where or out_path}: the frame sums are not finite (a feature file holds NaN/inf); "
                         f"{out_path} not written")
    mean = sums.total / sums.count
    std = np.sqrt(np.maximum(sums.sq / sums.count - mean * mean, 0.0))
    std = np.maximum(std, std_floor)
    stats = {"mean": mean.astype(np.float32), "std": std.astype(np.float32), "count": np.array(sums.count)}
    atomic_write_with(out_path, lambda f: np.savez(f, **stats))
    return stats

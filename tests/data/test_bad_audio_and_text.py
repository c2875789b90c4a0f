"""Bad audio and text cannot poison a run: non-finite samples, non-finite files on disk, repeated ids, misfit text.

Each case fails naming the file (and line or utterance), or with ``skip_bad`` is listed and left out; nothing
non-finite reaches a feature file or ``feats_stats.npz``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speechnas.audio.functional import MelConfig
from speechnas.audio.io import AudioError, load_wav, write_wav
from speechnas.data.config import DataConfig
from speechnas.data.dataset import TTSDataset
from speechnas.data.features import FrameSums, compute_stats, extract, make_features, save_stats, stats_usable
from speechnas.data.kaldi import read_scp
from speechnas.data.ljspeech import CorpusError, load_corpus, rate_band, read_metadata
from speechnas.data.normalizer import FeatureNormalizer
from speechnas.data.prepare import prepare_data, prepare_features
from speechnas.text.cleaners import get_cleaner
from conftest import shared_path

SR = 22050
WORDS = "the quick brown fox jumps over a lazy dog while seven small birds sing softly in the old tree".split()


def _sentence(i: int, words: int = 3) -> str:
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(words)).capitalize() + "."


def _audio(seconds: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * (150 + 20 * seed) * t)).astype(np.float32)


def _corpus(root: Path, lines: list[tuple[str, str]], seconds: dict[str, float] | None = None) -> Path:
    """An LJSpeech-layout corpus; each wav lasts ``len(text) / 15`` s (a reader's pace) unless ``seconds`` says."""
    (root / "wavs").mkdir(parents=True, exist_ok=True)
    (root / "metadata.csv").write_text("".join(f"{u}|{t}|{t}\n" for u, t in lines), encoding="utf-8")
    for i, (u, t) in enumerate(lines):
        if not (root / "wavs" / f"{u}.wav").exists():
            write_wav(root / "wavs" / f"{u}.wav", _audio((seconds or {}).get(u, len(t) / 15.0), i), SR)
    return root


def _lines(n: int, prefix: str = "LJ001") -> list[tuple[str, str]]:
    return [(f"{prefix}-{i:04d}", _sentence(i, 3 + i % 4)) for i in range(1, n + 1)]


def _nan_wav(path: Path, seconds: float = 1.0, value: float = math.nan, at: int = 1000) -> None:
    x = _audio(seconds)
    x[at:at + 5] = value
    sf.write(path, x, SR, subtype="FLOAT")  # float WAVs can hold NaN/inf; 16-bit PCM cannot


# ---------------------------------------------------------------- non-finite audio

def test_non_finite_samples_are_a_named_error(tmp_path):
    _nan_wav(tmp_path / "nan.wav")
    with pytest.raises(AudioError,
                       match=r"nan.wav: 5 non-finite samples \(5 NaN, 0 inf; first at sample 1000 \(0.045 s\)\)"):
        load_wav(tmp_path / "nan.wav")
    _nan_wav(tmp_path / "inf.wav", value=-math.inf, at=0)
    with pytest.raises(AudioError, match=r"inf.wav: 5 non-finite samples \(0 NaN, 5 inf; first at sample 0 "):
        load_wav(tmp_path / "inf.wav", SR)
    x = _audio(1.0)
    x[100] = 1e30  # finite, but its spectrum overflows float32
    sf.write(tmp_path / "huge.wav", x, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"huge.wav: \d+ non-finite log-mel values"):
        extract(tmp_path / "huge.wav", MelConfig())


def _stage1(tmp_path: Path, n: int = 24, skip_bad: bool = False) -> tuple[Path, dict]:
    root = _corpus(tmp_path / "corpus", _lines(n))
    res = prepare_data(root, tmp_path / "data", "x", "full", DataConfig(), skip_bad=skip_bad)
    return root, res


def test_stage2_refuses_or_skips_a_nan_wav_and_stats_stay_finite(tmp_path):
    root, res = _stage1(tmp_path)
    bad = res["sets"]["train"][0]
    _nan_wav(root / "wavs" / f"{bad}.wav")  # after stage 1: its header check cannot see samples
    dump = tmp_path / "dump"
    with pytest.raises(AudioError, match=rf"x_train/wav.scp \({bad}\): .*{bad}.wav: 5 non-finite samples"):
        prepare_features(tmp_path / "data", dump, "x", "corpus", DataConfig())
    assert not (dump / "corpus_feats" / f"{bad}.npy").exists() and not (dump / "x" / "feats_stats.npz").exists()

    prepare_features(tmp_path / "data", dump, "x", "corpus", DataConfig(), skip_bad=True)
    skipped = (dump / "x" / "train" / "skipped.txt").read_text()
    assert skipped.startswith(f"{bad}\t") and "non-finite samples" in skipped
    assert bad not in read_scp(dump / "x" / "train" / "feats.scp")
    with np.load(dump / "x" / "feats_stats.npz") as z:
        assert np.isfinite(z["mean"]).all() and np.isfinite(z["std"]).all() and int(z["count"]) > 0
    for path in read_scp(dump / "x" / "train" / "feats.scp").values():
        assert np.isfinite(np.load(path)).all()


def test_non_finite_files_from_an_older_run_never_reach_the_stats(tmp_path):
    _, res = _stage1(tmp_path)
    dump = tmp_path / "dump"
    prepare_features(tmp_path / "data", dump, "x", "corpus", DataConfig())
    stats_file = dump / "x" / "feats_stats.npz"
    with np.load(stats_file) as z:
        good_mean = z["mean"].copy()
    # what an older stage 2 left behind for a NaN wav: a NaN feature file and NaN statistics
    victim = dump / "corpus_feats" / f"{res['sets']['train'][2]}.npy"
    clean = np.load(victim)
    np.save(victim, np.full_like(clean, np.nan))
    np.savez(stats_file, mean=np.full(80, np.nan, np.float32), std=np.full(80, np.nan, np.float32), count=np.array(1))
    assert not stats_usable(stats_file)
    with pytest.raises(ValueError, match=r"feats_stats.npz: mean and std must be finite"):
        FeatureNormalizer.from_npz(stats_file)
    with pytest.raises(ValueError, match=rf"train/feats.scp \({victim.stem}\): .*{victim.name} holds non-finite"):
        compute_stats(dump / "x" / "train" / "feats.scp", tmp_path / "s.npz")
    assert not (tmp_path / "s.npz").exists()
    ds = TTSDataset(tmp_path / "data" / "x_train", dump / "x" / "train", lambda t, where=None: [1])
    with pytest.raises(ValueError, match=rf"{victim.name} \({victim.stem}\): non-finite feature values"):
        ds[ds.utt_ids.index(victim.stem)]

    summary = prepare_features(tmp_path / "data", dump, "x", "corpus", DataConfig())  # recomputes from the wav
    assert summary["train"] == {"computed": 1, "reused": len(res["sets"]["train"]) - 1, "skipped": 0}
    assert np.array_equal(np.load(victim), clean)
    with np.load(stats_file) as z:
        assert np.allclose(z["mean"], good_mean)


def test_save_stats_refuses_non_finite_sums(tmp_path):
    sums = FrameSums.of(np.ones((4, 80), np.float32))
    sums.add(FrameSums.of(np.full((2, 80), np.inf, np.float32)))
    with pytest.raises(ValueError, match=r"the frame sums are not finite .*s.npz not written"):
        save_stats(sums, tmp_path / "s.npz")
    assert not (tmp_path / "s.npz").exists()


def test_make_features_recomputes_a_nan_file_it_would_reuse(tmp_path):
    root, _ = _stage1(tmp_path, n=6)
    out = tmp_path / "dump"
    make_features(tmp_path / "data" / "x_train", out, MelConfig())
    utt = sorted(read_scp(out / "feats.scp"))[0]
    np.save(out / "feats" / f"{utt}.npy", np.full((10, 80), np.nan, np.float32))
    rep = make_features(tmp_path / "data" / "x_train", out, MelConfig(), stats=True)
    assert rep.computed == [utt] and np.isfinite(rep.sums.total).all()


# ---------------------------------------------------------------- repeated utterance ids

def test_duplicate_id_without_skip_bad_names_the_file_and_both_lines(tmp_path):
    lines = _lines(4) + [("LJ001-0002", "Another text entirely.")]
    root = _corpus(tmp_path / "c", lines)
    with pytest.raises(CorpusError, match=r"metadata.csv line 5: duplicate utterance id 'LJ001-0002', first on line 2 "
                                          r"\(line 2: 'LJ001-0002\|.*'; line 5: 'LJ001-0002\|Another text entirely"):
        read_metadata(root / "metadata.csv")


def test_duplicate_id_with_skip_bad_keeps_the_first_line(tmp_path):
    lines = _lines(24) + [("LJ001-0002", "Another text entirely."), ("LJ001-0002", "And a third.")]
    root = _corpus(tmp_path / "c", lines)
    rows, skipped = read_metadata(root / "metadata.csv", skip_bad=True)
    assert [r.utt_id for r in rows] == [u for u, _ in _lines(24)]
    assert next(r for r in rows if r.utt_id == "LJ001-0002").raw == _sentence(2, 5)
    assert [s.key for s in skipped] == ["line 25", "line 26"]
    assert "first on line 2" in skipped[1].reason and "line 2 is kept" in skipped[1].reason
    res = prepare_data(root, tmp_path / "data", "x", "full", DataConfig(), skip_bad=True)
    listed = (tmp_path / "data" / "x_skipped.txt").read_text().splitlines()
    assert [s.split("\t")[0] for s in listed] == ["line 25", "line 26"]
    assert sum(res["sizes"][s] for s in ("train", "dev", "eval")) == 24
    text = dict(line.split(" ", 1) for line in (tmp_path / "data" / "x_train" / "text").read_text().splitlines())
    assert text["LJ001-0002"] == get_cleaner("english")(_sentence(2, 5))


# ---------------------------------------------------------------- transcripts that do not fit their audio

def _misfit_corpus(tmp_path: Path, n: int) -> Path:
    lines = _lines(n) + [("LJ009-0001", " ".join(WORDS * 25)), ("LJ009-0002", "A long sentence that no reader says in "
                                                                           "a fifth of a second, not even a fast one.")]
    return _corpus(tmp_path / "c", lines, seconds={"LJ009-0001": 10.0, "LJ009-0002": 0.2})


def test_misfit_transcripts_are_named_with_line_rate_and_band(tmp_path):
    root = _misfit_corpus(tmp_path, 24)
    with pytest.raises(CorpusError) as err:
        load_corpus(root)
    msg = str(err.value)
    assert msg.startswith("2 transcript(s) do not fit their audio")
    chars = len(" ".join(WORDS * 25))
    assert (f"metadata.csv line 25 (LJ009-0001): transcript does not fit its audio: {chars} characters in 10.00 s "
            f"({root / 'wavs' / 'LJ009-0001.wav'}) = {chars / 10:.1f} characters/s, outside the accepted ") in msg
    assert "metadata.csv line 26 (LJ009-0002):" in msg and "in 0.20 s" in msg
    assert "characters/s (corpus median 15.0 over 26 utterances)" in msg


def test_misfit_transcripts_skipped_with_skip_bad(tmp_path):
    root = _misfit_corpus(tmp_path, 24)
    utts, skipped = load_corpus(root, skip_bad=True)
    assert len(utts) == 24 and [s.key for s in skipped] == ["LJ009-0001", "LJ009-0002"]
    assert all("does not fit its audio" in s.reason for s in skipped)
    prepare_data(root, tmp_path / "data", "x", "full", DataConfig(), skip_bad=True)
    listed = (tmp_path / "data" / "x_skipped.txt").read_text()
    assert "LJ009-0001\t" in listed and "LJ009-0002\t" in listed


def test_tiny_corpus_uses_the_absolute_band_too(tmp_path):
    """Three utterances, one a misfit: the median is not trusted alone, the plausible ones all stay."""
    lines = [("A-1", "Yes."), ("A-2", "A perfectly ordinary sentence."), ("A-3", "x" * 600)]
    root = _corpus(tmp_path / "c", lines, seconds={"A-1": 0.9, "A-2": 2.0, "A-3": 3.0})
    utts, skipped = load_corpus(root, skip_bad=True)
    assert [u.utt_id for u in utts] == ["A-1", "A-2"] and [s.key for s in skipped] == ["A-3"]
    assert "also accepts 2-40" in skipped[0].reason


def test_rate_band_is_robust_to_outliers():
    rates = [15.0 * (1 + 0.1 * math.sin(i)) for i in range(40)]
    clean = rate_band(rates)
    dirty = rate_band(rates + [500.0] * 10 + [0.5] * 5)
    assert abs(math.log(dirty.median / clean.median)) < 0.05 and abs(math.log(dirty.hi / clean.hi)) < 0.1
    assert clean.lo == pytest.approx(clean.median / 3) and clean.floor is None
    assert not dirty.accepts(500.0) and not dirty.accepts(0.5) and dirty.accepts(30.0)


def test_real_ljspeech_clips_all_fit_and_so_do_its_13100_transcripts():
    corpus = shared_path("data/ljspeech_mini/LJSpeech-1.1")
    utts, skipped = load_corpus(corpus)
    assert len(utts) == 32 and skipped == []
    rates = [len(u.text) / sf.info(u.wav).duration for u in utts]
    band = rate_band(rates)
    assert 11.5 < min(rates) and max(rates) < 20 and band.lo < min(rates) / 2 and band.hi > max(rates) * 2
    # all 13,100 transcripts: read at the 32 clips' median pace, clamped to LJSpeech's clip lengths (1.11-10.10 s),
    # every one is accepted; and the durations the band accepts for each overlap those clip lengths
    clean = get_cleaner("english")
    full = shared_path("data/ljspeech_mini/metadata_full_13100.csv").read_text(encoding="utf-8").splitlines()
    lengths = np.array([len(clean(line.split("|")[2] or line.split("|")[1])) for line in full])
    assert len(lengths) == 13100
    seconds = np.clip(lengths / band.median, 1.11, 10.10)
    assert all(band.accepts(r) for r in lengths / seconds)
    assert (lengths / band.hi <= 10.10).all() and (lengths / band.lo >= 1.11).all()
    assert band.accepts(lengths.sum() / (23 * 3600 + 55 * 60 + 17))  # the whole corpus's mean rate

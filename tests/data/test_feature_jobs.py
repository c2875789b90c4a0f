"""Feature jobs: per-utterance files, parallel == serial, an interrupted run resumes without redoing work, stats."""
from __future__ import annotations

import numpy as np
import pytest

from speechnas.audio.functional import MelConfig
from speechnas.audio.io import AudioError, write_wav
from speechnas.data.features import FrameSums, compute_stats, features_complete, make_features, save_stats
from speechnas.data.kaldi import Utterance, read_scp, write_data_dir
from speechnas.data.normalizer import FeatureNormalizer
from speechnas.data.synthetic import render_text

TEXTS = ["a cat.", "the dog ran", "yes", "big red box", "fish swim", "why not?"]


@pytest.fixture
def data_dir(tmp_path):
    utts = []
    for i, t in enumerate(TEXTS):
        wav = tmp_path / "wavs" / f"U{i}.wav"
        write_wav(wav, render_text(t, 1, i).audio, 22050)
        utts.append(Utterance(f"U{i}", t, str(wav), "U"))
    return write_data_dir(tmp_path / "data", utts)


def test_parallel_equals_serial_and_index_files(tmp_path, data_dir):
    r1 = make_features(data_dir, tmp_path / "d1", MelConfig(), nj=1)
    r2 = make_features(data_dir, tmp_path / "d2", MelConfig(), nj=2)
    assert len(r1.computed) == len(r2.computed) == 6
    s1, s2 = read_scp(tmp_path / "d1" / "feats.scp"), read_scp(tmp_path / "d2" / "feats.scp")
    shapes = read_scp(tmp_path / "d1" / "feats_shape")
    for u in s1:
        a, b = np.load(s1[u]), np.load(s2[u])
        assert a.dtype == np.float32 and a.shape == (int(shapes[u]), 80) and np.array_equal(a, b)
    assert features_complete(data_dir, tmp_path / "d1")


def test_interrupted_run_resumes_without_redoing(tmp_path, data_dir):
    wavs = read_scp(data_dir / "wav.scp")
    broken = wavs["U3"]
    good = open(broken, "rb").read()
    open(broken, "wb").write(good[:100])  # the stage stops here, as if killed midway
    out = tmp_path / "dump"
    with pytest.raises(AudioError, match=r"wav.scp \(U3\): .*U3.wav: truncated"):
        make_features(data_dir, out, MelConfig(), nj=1)
    assert not features_complete(data_dir, out) and not (out / "feats.scp").exists()
    done = {u: (out / "feats" / f"{u}.npy").stat().st_mtime_ns for u in ["U0", "U1", "U2"]}
    open(broken, "wb").write(good)
    rep = make_features(data_dir, out, MelConfig(), nj=1)
    assert sorted(rep.reused) == ["U0", "U1", "U2"] and sorted(rep.computed) == ["U3", "U4", "U5"]
    assert all((out / "feats" / f"{u}.npy").stat().st_mtime_ns == t for u, t in done.items())
    assert features_complete(data_dir, out)


def test_skip_bad_lists_the_file(tmp_path, data_dir):
    open(read_scp(data_dir / "wav.scp")["U2"], "wb").write(b"garbage")
    rep = make_features(data_dir, tmp_path / "dump", MelConfig(), nj=2, skip_bad=True)
    assert list(rep.skipped) == ["U2"] and "U2" not in read_scp(tmp_path / "dump" / "feats.scp")
    assert (tmp_path / "dump" / "skipped.txt").read_text().startswith("U2\t")
    assert features_complete(data_dir, tmp_path / "dump", skip_bad=True)
    assert not features_complete(data_dir, tmp_path / "dump")  # without --skip-bad a recorded skip is not done


def test_fixed_file_gets_features_when_rerun_without_skip_bad(tmp_path, data_dir):
    wav = read_scp(data_dir / "wav.scp")["U2"]
    good = open(wav, "rb").read()
    open(wav, "wb").write(b"garbage")
    make_features(data_dir, tmp_path / "dump", MelConfig(), skip_bad=True)
    open(wav, "wb").write(good)
    assert not features_complete(data_dir, tmp_path / "dump", skip_bad=False)
    rep = make_features(data_dir, tmp_path / "dump", MelConfig(), skip_bad=False)
    assert rep.computed == ["U2"] and not rep.skipped and "U2" in read_scp(tmp_path / "dump" / "feats.scp")
    assert (tmp_path / "dump" / "skipped.txt").read_text() == ""
    assert features_complete(data_dir, tmp_path / "dump")


def _assert_stats_match(stats: dict, frames: np.ndarray) -> None:
    x = frames.astype(np.float64)
    assert int(stats["count"]) == len(x)
    np.testing.assert_allclose(stats["mean"], x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(stats["std"], x.std(0), rtol=1e-6)


def test_stats_from_jobs_equal_stats_from_files(tmp_path, data_dir):
    """The jobs' sums (computed and reused files alike) give the statistics of every frame in feats.scp."""
    (tmp_path / "dump" / "feats").mkdir(parents=True)
    first = make_features(data_dir, tmp_path / "part", MelConfig(), store=tmp_path / "dump" / "feats")
    (tmp_path / "dump" / "feats" / "U4.npy").unlink()  # U4 is computed below, the others reused
    rep = make_features(data_dir, tmp_path / "dump", MelConfig(), nj=2, stats=True)
    assert sorted(rep.computed) == ["U4"] and len(first.computed) == 6 and rep.sums.count > 0
    allf = np.concatenate([np.load(p) for p in read_scp(tmp_path / "dump" / "feats.scp").values()])
    from_jobs = save_stats(rep.sums, tmp_path / "a.npz")
    from_files = compute_stats(tmp_path / "dump" / "feats.scp", tmp_path / "b.npz")
    _assert_stats_match(from_jobs, allf)
    _assert_stats_match(from_files, allf)
    assert np.array_equal(np.load(tmp_path / "a.npz")["std"], from_jobs["std"])
    with pytest.raises(ValueError, match="no features"):
        save_stats(FrameSums(), tmp_path / "c.npz", where="x/feats.scp")


def test_stats_and_normalizer_round_trip(tmp_path, data_dir):
    make_features(data_dir, tmp_path / "dump", MelConfig())
    stats = compute_stats(tmp_path / "dump" / "feats.scp", tmp_path / "stats.npz")
    allf = np.concatenate([np.load(p) for p in read_scp(tmp_path / "dump" / "feats.scp").values()])
    assert np.allclose(stats["mean"], allf.mean(0), atol=1e-4) and np.allclose(stats["std"], allf.std(0), atol=1e-3)
    norm = FeatureNormalizer.from_npz(tmp_path / "stats.npz")
    z = norm.normalize(allf)
    assert np.abs(z.mean(0)).max() < 1e-3 and np.abs(z.std(0) - 1).max() < 1e-2
    import torch

    t = torch.from_numpy(allf[:10])
    assert torch.allclose(norm.denormalize(norm.normalize(t)), t, atol=1e-5)


def test_serial_run_keeps_the_callers_thread_count(tmp_path, data_dir):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        make_features(data_dir, tmp_path / "dump", MelConfig(), nj=1)
        assert torch.get_num_threads() == 2  # only pool workers drop to one thread
    finally:
        torch.set_num_threads(before)

"""egs/ljspeech/run.sh stages 0-2 on the built-in corpus and on the 32 real clips, in a scratch copy of the recipe."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from speechnas.data.kaldi import read_scp, validate_data_dir
from speechnas.text.tokens import TokenList
from conftest import REPO, shared_path


def _recipe(tmp_path: Path) -> Path:
    """A copy of egs/ljspeech with tools/ beside it, so outputs land in tmp_path."""
    shutil.copytree(REPO / "egs" / "ljspeech", tmp_path / "egs" / "ljspeech",
                    ignore=shutil.ignore_patterns("data", "dump", "exp", "downloads"))
    (tmp_path / "tools").symlink_to(REPO / "tools")
    return tmp_path / "egs" / "ljspeech"


def _run(recipe: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable, SPEECHNAS_PROGRESS="0")
    return subprocess.run(["bash", str(recipe / "run.sh"), *args], capture_output=True, text=True, env=env,
                          timeout=300)


def _check_prefix(recipe: Path, prefix: str, sizes: tuple[int, int, int], text_only_heldout: bool = False):
    tokens = TokenList.read(recipe / "dump" / prefix / "tokens.txt")
    assert tokens == TokenList.characters()
    stats = np.load(recipe / "dump" / prefix / "feats_stats.npz")
    assert stats["mean"].shape == stats["std"].shape == (80,) and (stats["std"] > 0).all()
    for s, n in zip(("train", "dev", "eval"), sizes):
        ddir = recipe / "data" / f"{prefix}_{s}"
        assert validate_data_dir(ddir) == n
        if text_only_heldout and s != "train":
            assert not (ddir / "wav.scp").exists() and not (recipe / "dump" / prefix / s).exists()
            continue
        scp = read_scp(recipe / "dump" / prefix / s / "feats.scp")
        shapes = read_scp(recipe / "dump" / prefix / s / "feats_shape")
        assert sorted(scp) == sorted(read_scp(ddir / "text")) and len(scp) == n
        for u in list(scp)[:3]:
            x = np.load(scp[u])
            assert x.dtype == np.float32 and x.shape == (int(shapes[u]), 80) and np.isfinite(x).all()
        for u, t in read_scp(ddir / "text").items():
            tokens.encode(t)


def test_mini_stages_0_to_2_and_rerun(tmp_path):
    recipe = _recipe(tmp_path)
    r = _run(recipe, "--mini", "true", "--stop-stage", "2", "--nj", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    _check_prefix(recipe, "mini_low_resource", (251, 17, 17))
    wavs = sorted((recipe / "downloads" / "mini" / "wavs").iterdir())
    assert len(wavs) == 285
    durs = [int(n) / 22050 * 256 for n in read_scp(recipe / "dump/mini_low_resource/train/feats_shape").values()]
    assert 1.0 < np.mean(durs) < 2.0 and max(durs) < 2.6
    split = json.loads((recipe / "data" / "mini_low_resource_split.json").read_text())
    assert split["record"]["split_seed"] == 1 and split["sizes"] == {"train": 251, "dev": 17, "eval": 17}
    feat = recipe / "dump" / "mini_feats" / "MINI-0001.npy"
    mtime = feat.stat().st_mtime_ns
    r = _run(recipe, "--mini", "true", "--setting", "robustness", "--stage", "1", "--stop-stage", "2")  # reuses
    assert r.returncode == 0, r.stderr[-3000:]
    assert "is complete" not in r.stderr and "'reused': 285" in r.stderr
    _check_prefix(recipe, "mini_robustness", (285, 10, 20), text_only_heldout=True)
    r = _run(recipe, "--mini", "true", "--stage", "1", "--stop-stage", "2")  # everything complete: nothing redone
    assert r.returncode == 0 and "stage 1: data/mini_low_resource_split.json is complete" in r.stderr
    assert "'train': 'complete'" in r.stderr and feat.stat().st_mtime_ns == mtime


def test_real_clips_stages_0_to_2(tmp_path):
    lj = shared_path("data/ljspeech_mini/LJSpeech-1.1")
    recipe = _recipe(tmp_path)
    r = _run(recipe, "--ljspeech-dir", str(lj), "--setting", "full", "--stop-stage", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    _check_prefix(recipe, "full", (28, 2, 2))
    text = read_scp(recipe / "data" / "full_train" / "text")
    assert "fourteen fifty five" in text["LJ001-0007"]
    shapes = read_scp(recipe / "dump" / "full" / "train" / "feats_shape")
    assert int(shapes["LJ001-0001"]) == 212893 // 256 + 1  # samples in durations.tsv, centred frames


def test_options_and_errors(tmp_path):
    recipe = _recipe(tmp_path)
    r = _run(recipe, "--help")
    for opt in ["--stage", "--stop-stage", "--setting", "--mini", "--ljspeech-dir", "--nj", "--ngpu", "--conf",
                "--exp-dir", "--skip-bad"]:
        assert f"  {opt} " in r.stdout, opt
    r = _run(recipe, "--setting", "tiny")
    assert r.returncode != 0 and "unknown --setting tiny" in r.stderr
    r = _run(recipe, "--ljspeech-dir", str(tmp_path / "nowhere"))
    assert r.returncode != 0 and "is not a directory" in r.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "wavs").mkdir()
    (tmp_path / "bad" / "metadata.csv").write_text("LJ001-0001|Hi.|Hi.\nbroken\n")
    r = _run(recipe, "--ljspeech-dir", str(tmp_path / "bad"), "--stage", "1", "--stop-stage", "1")
    assert r.returncode != 0 and "metadata.csv line 2: expected 3" in r.stderr and "'broken'" in r.stderr

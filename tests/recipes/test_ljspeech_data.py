"""egs/ljspeech/run.sh stages 0-2 on eSpeak NG speech (mini and the full corpus's first ids), the synthetic corpus and
the 32 real clips, in a scratch copy of the recipe, with no network."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from speechnas.data.kaldi import read_scp, validate_data_dir
from speechnas.text.tokens import TokenList, read_token_file
from conftest import REPO, shared_path


def _recipe(tmp_path: Path) -> Path:
    """A copy of egs/ljspeech with tools/ beside it, so outputs land in tmp_path."""
    shutil.copytree(REPO / "egs" / "ljspeech", tmp_path / "egs" / "ljspeech",
                    ignore=shutil.ignore_patterns("data", "dump", "exp", "downloads"))
    (tmp_path / "tools").symlink_to(REPO / "tools")
    return tmp_path / "egs" / "ljspeech"


def _run(recipe: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable, SPEECHNAS_PROGRESS="0", no_proxy="", http_proxy="http://0.0.0.0:9",
               https_proxy="http://0.0.0.0:9")  # a download attempt would fail: stages 0-2 must work offline
    return subprocess.run(["bash", str(recipe / "run.sh"), *args], capture_output=True, text=True, env=env,
                          timeout=300)


def _check_prefix(recipe: Path, prefix: str, sizes: tuple[int, int, int], text_only_heldout: bool = False,
                  tokens: TokenList | None = None, text_only_dev: bool = False):
    want = tokens or TokenList.phonemes()
    tokens = TokenList.read(recipe / "dump" / prefix / "tokens.txt")
    assert tokens == want
    stats = np.load(recipe / "dump" / prefix / "feats_stats.npz")
    assert stats["mean"].shape == stats["std"].shape == (80,) and (stats["std"] > 0).all()
    for s, n in zip(("train", "dev", "eval"), sizes):
        ddir = recipe / "data" / f"{prefix}_{s}"
        assert validate_data_dir(ddir) == n
        symbols = read_token_file(recipe / "dump" / prefix / s / "token")  # stage 2 stored every set's tokens
        assert sorted(symbols) == sorted(read_scp(ddir / "text"))
        for u, syms in symbols.items():
            tokens.encode(syms, where=u)
        if (text_only_heldout or text_only_dev and s == "dev") and s != "train":
            assert not (ddir / "wav.scp").exists() and not (recipe / "dump" / prefix / s / "feats.scp").exists()
            continue
        scp = read_scp(recipe / "dump" / prefix / s / "feats.scp")
        shapes = read_scp(recipe / "dump" / prefix / s / "feats_shape")
        assert sorted(scp) == sorted(read_scp(ddir / "text")) and len(scp) == n
        for u in list(scp)[:3]:
            x = np.load(scp[u])
            assert x.dtype == np.float32 and x.shape == (int(shapes[u]), 80) and np.isfinite(x).all()


def test_mini_espeak_stages_0_to_2_and_rerun(tmp_path):
    """The main command's data: 320 short LJSpeech sentences read by eSpeak NG, phonemes, hard references."""
    recipe = _recipe(tmp_path)
    r = _run(recipe, "--mini", "true", "--stop-stage", "2", "--nj", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    _check_prefix(recipe, "mini_low_resource", (282, 19, 19))
    corpus = recipe / "downloads" / "espeak_mini"
    assert len(list((corpus / "wavs").iterdir())) == 320 and (corpus / "metadata.csv").read_text().startswith("LJ0")
    durs = [int(n) * 256 / 22050 for n in read_scp(recipe / "dump/mini_low_resource/train/feats_shape").values()]
    assert 3.0 < np.mean(durs) < 5.5 and max(durs) < 9.0 and min(durs) > 1.5
    split = json.loads((recipe / "data" / "mini_low_resource_split.json").read_text())
    assert split["record"]["split_seed"] == 1 and split["sizes"] == {"train": 282, "dev": 19, "eval": 19, "hard": 10}
    feat = next((recipe / "dump" / "espeak_mini_feats").glob("LJ*.npy"))
    mtime = feat.stat().st_mtime_ns
    r = _run(recipe, "--mini", "true", "--setting", "robustness", "--stage", "1", "--stop-stage", "2")  # reuses
    assert r.returncode == 0, r.stderr[-3000:]
    assert "is complete" not in r.stderr and "'reused': 320" in r.stderr
    _check_prefix(recipe, "mini_robustness", (320, 10, 10), text_only_dev=True)  # eval: rendered references
    assert read_scp(recipe / "data" / "mini_robustness_eval" / "wav.scp")["hard_eval_001"].endswith(
        "hard/wavs/hard_eval_001.wav")
    r = _run(recipe, "--mini", "true", "--stage", "1", "--stop-stage", "2")  # everything complete: nothing redone
    assert r.returncode == 0 and "stage 1: data/mini_low_resource_split.json is complete" in r.stderr
    assert "'train': 'complete'" in r.stderr and feat.stat().st_mtime_ns == mtime


def test_espeak_corpus_stages_0_to_2(tmp_path):
    """run.sh --corpus espeak --stop-stage 2: the low_resource setting on the rendered corpus (its first 60 ids)."""
    recipe = _recipe(tmp_path)
    conf = recipe / "conf" / "data_60.yaml"
    text = (recipe / "conf" / "data.yaml").read_text()
    assert text.count("num_utterances: null") == 1  # the espeak section's
    conf.write_text(text.replace("num_utterances: null", "num_utterances: 60"))
    r = _run(recipe, "--corpus", "espeak", "--stop-stage", "2", "--data-conf", "conf/data_60.yaml")
    assert r.returncode == 0, r.stderr[-3000:]
    _check_prefix(recipe, "espeak_low_resource", (52, 4, 4))
    stats = json.loads((recipe / "downloads" / "espeak" / "LJSpeech-1.1" / "corpus_stats.json").read_text())
    assert stats["utterances"] == 60 and 4.5 < stats["frames_per_char"]["mean"] < 7.0
    assert read_token_file(recipe / "dump" / "espeak_low_resource" / "train" / "token")


def test_synthetic_corpus_stages_0_to_2(tmp_path):
    recipe = _recipe(tmp_path)
    r = _run(recipe, "--corpus", "synthetic", "--mini", "true", "--stop-stage", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    _check_prefix(recipe, "synthetic_low_resource", (251, 17, 17), tokens=TokenList.characters())
    assert len(list((recipe / "downloads" / "synthetic" / "wavs").iterdir())) == 285
    durs = [int(n) / 22050 * 256 for n in read_scp(recipe / "dump/synthetic_low_resource/train/feats_shape").values()]
    assert 1.0 < np.mean(durs) < 2.0 and max(durs) < 2.6


def test_real_clips_stages_0_to_2(tmp_path):
    lj = shared_path("data/ljspeech_mini/LJSpeech-1.1")
    recipe = _recipe(tmp_path)
    r = _run(recipe, "--ljspeech-dir", str(lj), "--setting", "full", "--stop-stage", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    _check_prefix(recipe, "full", (28, 2, 2))
    text = read_scp(recipe / "data" / "full_train" / "text")
    assert "fourteen fifty five" in text["LJ001-0007"]
    phones = read_token_file(recipe / "dump" / "full" / "train" / "token")["LJ001-0007"]
    assert "".join(phones).count("ˈ") > 10 and " " in phones
    # decoding never cuts a real clip: the cap from the train set's frames per token, and the default ratio
    import torch

    from speechnas.tts.decoding.decode import DecodeConfig, max_lengths
    from speechnas.tts.recipe.data import RecipeData

    data = RecipeData(recipe / "data", recipe / "dump", "full")
    stats = json.loads((recipe / "dump" / "full" / "length_stats.json").read_text())["frames_per_token"]
    assert stats["train"]["utterances"] == 28 and 4.0 < stats["train"]["mean"] < 9.0
    assert data.frames_per_token == stats["train"]["mean"]
    for s in ("train", "dev", "eval"):
        frames = {u: int(n) for u, n in read_scp(recipe / "dump" / "full" / s / "feats_shape").items()}
        tokens = read_token_file(recipe / "dump" / "full" / s / "token")
        lengths = torch.tensor([len(tokens[u]) + 1 for u in frames])
        for cfg in (data.decode_config(DecodeConfig()), DecodeConfig()):
            cap = max_lengths(lengths, cfg)
            assert (cap >= torch.tensor(list(frames.values()))).all(), (s, cfg.max_len_ratio)
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

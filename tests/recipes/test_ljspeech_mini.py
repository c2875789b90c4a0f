"""egs/ljspeech/run.sh --mini true, stages 0-8, with still smaller sizes, in a scratch copy of the recipe.

One recipe run serves every assertion: stages 0-3, then stage 4 killed once some architectures are scored,
then the whole command again (stages 0-3 find their work done, stage 4 resumes keeping the scores, 5-8 run).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from speechnas.data.kaldi import read_scp, validate_data_dir
from speechnas.tts.model.arch import TTSSearchSpace, from_str
from speechnas.tts.model.backbone import TTSModelConfig
from speechnas.tts.recipe.pack import load_model
from speechnas.tts.model.supernet import SuperNet
from speechnas.utils.config import from_dict

from test_ljspeech_data import _recipe

PREFIX = "mini_low_resource"
TINY = {
    "search_model": {"hidden_size": 16, "prenet_size": 8, "encoder_layers": 2, "decoder_layers": 2,
                     "attention_dropout": 0.0},
    "supernet": {"lr": 3e-3, "warmup_steps": 10, "max_steps": 30, "batch_frames": 1600, "log_every": 10,
                 "image_every": 0, "save_every": 10, "loss": {"guided_attn_until": 20}},
    # fill_random: a 2+2-layer space is small enough for ascent to repeat itself on some machines; the counts
    # below need exactly 8 queries (the no-fill behaviour is tested in tests/nas)
    "search": {"budget": 8, "evaluator": {"steps_per_new_arch": 3, "pool_steps_per_arch": 1, "seeds": [0, 1, 2]},
               "seminas": {"initial": 4, "new_per_iteration": 2, "top_k": 4, "iterations": 2, "unlabelled": 20,
                           "pretrain_epochs": 50, "train_epochs": 10, "fill_random": True},
               "nao": {"initial": 4, "new_per_iteration": 2, "top_k": 4, "iterations": 2, "unlabelled": 0,
                       "pretrain_epochs": 50, "train_epochs": 10, "fill_random": True}},
    "final_model": {"hidden_size": 16, "prenet_size": 8, "encoder_layers": 2, "decoder_layers": 2,
                    "attention_dropout": 0.0},
    "final_train": {"lr": 3e-3, "warmup_steps": 10, "max_steps": 30, "batch_frames": 1600, "log_every": 10,
                    "image_every": 0, "save_every": 10},
    "synth": {"griffin_lim": {"n_iter": 8}, "decode": {"max_len_ratio": 3.0, "max_len_offset": 20}},
}


def _env():
    return dict(os.environ, PYTHON=sys.executable, SPEECHNAS_PROGRESS="0")


def _run(recipe: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(recipe / "run.sh"), *args], capture_output=True, text=True, env=_env(),
                          timeout=400)


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """The recipe run: returns (recipe dir, options, killed-run scores, final run's stderr, stage-3 mtime)."""
    recipe = _recipe(tmp_path_factory.mktemp("mini"))
    data_conf = yaml.safe_load((recipe / "conf" / "data.yaml").read_text())
    data_conf["mini"]["num_utterances"] = 40
    data_conf["mini"]["hard_eval"] = 3  # the hard-sentence set of stages 6-7
    (recipe / "conf" / "tiny_data.yaml").write_text(yaml.safe_dump(data_conf))
    (recipe / "conf" / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    opts = ["--mini", "true", "--data-conf", "conf/tiny_data.yaml", "--conf", "conf/tiny.yaml"]
    r = _run(recipe, *opts, "--stop-stage", "3")
    assert r.returncode == 0, r.stderr[-3000:]
    exp = recipe / "exp" / PREFIX
    ckpt = exp / "supernet" / "checkpoints" / "ckpt_00000030.pt"
    mtime = ckpt.stat().st_mtime_ns
    # stage 4, killed (the whole process group) as soon as the first architectures are scored
    scores = exp / "search" / "seminas" / "score_cache.jsonl"
    proc = subprocess.Popen(["bash", str(recipe / "run.sh"), *opts, "--stage", "4", "--stop-stage", "4"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if scores.is_file() and scores.read_text().count("\n") >= 2:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    result = exp / "search" / "seminas" / "result.json"
    assert not (result.is_file() and json.loads(result.read_text())["finished"]), "stage 4 ended before the kill"
    killed = [json.loads(x) for x in scores.read_text().splitlines() if x.endswith("}")]
    r = _run(recipe, *opts)  # the README's command: everything, resuming where the kill left it
    assert r.returncode == 0, r.stderr[-4000:]
    return recipe, opts, killed, r.stdout + r.stderr, mtime


def test_data_and_stage3(mini):
    recipe, _, _, log, mtime = mini
    for s, n in (("train", 36), ("dev", 2), ("eval", 2)):
        assert validate_data_dir(recipe / "data" / f"{PREFIX}_{s}") == n
    exp = recipe / "exp" / PREFIX
    ckpt = exp / "supernet" / "checkpoints" / "ckpt_00000030.pt"
    assert ckpt.stat().st_mtime_ns == mtime and "stage 3: exp/mini_low_resource/supernet is complete" in log
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    cfg = from_dict(TTSModelConfig, yaml.safe_load((exp / "supernet" / "supernet.json").read_text())["model"])
    SuperNet(cfg).load_state_dict(state["model"])  # loadable
    pool = (exp / "supernet" / "pool.txt").read_text().splitlines()
    assert len(pool) == 4 and all(TTSSearchSpace(2, 2).from_str(a) for a in pool)


def test_search_resumed_and_results(mini):
    recipe, _, killed, log, _ = mini
    assert killed
    space = TTSSearchSpace(2, 2)
    for method in ("seminas", "nao"):
        out = recipe / "exp" / PREFIX / "search" / method
        queries = [json.loads(x) for x in (out / "queries.jsonl").read_text().splitlines()]
        assert len(queries) == 8 and len({q["key"] for q in queries}) == 8
        assert all(0.0 <= q["metrics"]["dfr"] <= 1.0 for q in queries)
        pool = (recipe / "exp" / PREFIX / "supernet" / "pool.txt").read_text().splitlines()
        assert [q["arch"] for q in queries[:4]] == pool  # the supernet trained on what the search scored first
        scores = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
        assert [sum(s["iteration"] == it for s in scores) for it in range(3)] == [4, 6, 8]  # the pool, re-scored
        latest = {s["key"]: s["metrics"]["dfr"] for s in scores}
        result = json.loads((out / "result.json").read_text())
        assert result["finished"] and space.is_valid(space.from_str(result["best"]["arch"]))
        assert result["best"]["metrics"]["dfr"] == max(latest.values())
        summary = json.loads((out / "summary.json").read_text())
        assert summary["best_dfr"] >= summary["median_dfr"] and summary["seconds_per_score"] > 0
        assert summary["decoding_seeds"] == [0, 1, 2] and 0 < summary["text_blind_dfr"]["mean"] <= 1
        assert (out / "progress.png").stat().st_size > 1000
        assert result["best"]["arch"] in (out / "ranking.txt").read_text().splitlines()[2]
    cache = [json.loads(x) for x in
             (recipe / "exp" / PREFIX / "search" / "seminas" / "score_cache.jsonl").read_text().splitlines()]
    for rec in killed:  # every score computed before the kill is kept as it was
        assert rec in cache
    summary = json.loads((recipe / "exp" / PREFIX / "search" / "seminas" / "summary.json").read_text())
    assert summary["scores_reused"] == len(killed) and summary["scores_computed"] == (4 + 6 + 8) * 3 - len(killed)


def test_models_synthesis_table_and_pack(mini, tmp_path):
    recipe, opts, _, log, _ = mini
    exp = recipe / "exp" / PREFIX
    best = {m: json.loads((exp / "search" / m / "result.json").read_text())["best"]["arch"] for m in ("seminas", "nao")}
    found = best["seminas"]
    eval_ids = sorted(read_scp(recipe / "data" / f"{PREFIX}_eval" / "text"))
    want = {"found": found, "transformer": "enc: tf4 tf4 | dec: tf4 tf4", "nao": best["nao"]}
    for name in ("found", "transformer", "nao"):
        model = load_model(exp / "train" / name)
        assert str(model.arch) == str(from_str(want[name], 2))
        assert json.loads((exp / "train" / name / "done.json").read_text())["steps"] == 30
        synth = exp / "synth" / "eval" / name
        for utt in eval_ids:
            wav, sr = sf.read(synth / f"{utt}.wav")
            assert sr == 22050 and wav.ndim == 1 and np.sqrt(np.mean(wav ** 2)) > 1e-3
            assert (synth / "attention" / f"{utt}.png").stat().st_size > 1000
    assert from_str(found, 2) == load_model(exp / "train" / "found").arch
    sets = json.loads((exp / "eval" / "results.json").read_text())["sets"]
    assert list(sets) == ["eval", "hard"]
    hard = sets["hard"]["models"]
    assert all(r["sentences"] == 3 and r["mcd_sentences"] == 3 and r["error_unit"] == "word" for r in hard.values())
    results = sets["eval"]["models"]
    assert list(results) == ["found", "transformer", "nao"]
    for name, r in results.items():
        assert r["sentences"] == 2 and 0 <= r["dfr"] <= 1 and r["mcd"] > 0 and r["mcd_sentences"] == 2
        utts = r["utterances"]
        assert sorted(utts) == eval_ids
        assert r["repeat_sentences"] == sum(bool(u["repeats"]) for u in utts.values())
        assert r["skip_sentences"] == sum(bool(u["skips"]) for u in utts.values())
        assert r["error_sentences"] == sum(bool(u["repeats"] or u["skips"]) for u in utts.values())
        # stage 7's DFR is the one stage 6 recorded, the search reward's (against the reference's length)
        synth = json.loads((exp / "synth" / "eval" / name / "synth.json").read_text())["utterances"]
        assert all(utts[u]["dfr"] == synth[u]["dfr"] and 0 <= synth[u]["dfr"] <= 1 for u in eval_ids)
        assert r["dfr"] == pytest.approx(np.mean([synth[u]["dfr"] for u in eval_ids]))
    table = (exp / "eval" / "results.txt").read_text()
    assert all(name in table for name in results) and "error rate" in table and "MCD" in table
    assert "run.sh: stages 0-100 done (mini_low_resource)" in log and (exp / "demo" / "0001.wav").is_file()
    # the packed model speaks a new sentence, and refuses characters it does not know
    packed = exp / "packed" / "found"
    cmd = [sys.executable, "-m", "speechnas.bin.synthesize", "--model", str(packed), "--out-dir", str(tmp_path)]
    r = subprocess.run([*cmd, "--text", "Quick brown foxes are not here today."], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    wav, sr = sf.read(tmp_path / "0001.wav")
    assert sr == 22050 and len(wav) > 256
    r = subprocess.run([*cmd, "--text", "Ωmega"], capture_output=True, text=True)
    assert r.returncode == 2 and "'ω'" in r.stderr


def test_rerun_skips_finished_models_and_synthesis(mini):
    recipe, opts, _, _, _ = mini
    exp = recipe / "exp" / PREFIX
    done = sorted((exp / "train").glob("*/checkpoints/ckpt_*.pt")) + sorted((exp / "synth").glob("*/*/*.wav"))
    before = {p: p.stat().st_mtime_ns for p in done}
    r = _run(recipe, *opts, "--stage", "5", "--stop-stage", "6", "--nj", "1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(before) >= 6 and {p: p.stat().st_mtime_ns for p in done} == before
    log = r.stdout + r.stderr
    assert "found is complete" in log and "synth/eval/found is complete, skipping" in log


def test_stage6_without_a_model_names_the_path(mini, tmp_path):
    recipe, opts, _, _, _ = mini
    r = _run(recipe, *opts, "--stage", "6", "--stop-stage", "6", "--exp-dir", str(tmp_path / "empty"))
    assert r.returncode != 0
    assert f"{tmp_path / 'empty' / 'train' / 'found'} not found" in r.stderr and "run stage 5" in r.stderr

"""recipes/imagenet/run.sh --mini true, stages 0-5, with still smaller sizes, in a scratch copy of the recipe.

One recipe run serves every assertion: stages 0-1, then stage 2 killed once it has scored an architecture of its
second iteration, then the whole command again (stages 0-1 find their work done, stage 2 resumes keeping every
score, 3-5 run), then a re-run that skips everything.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

import speechnas.image
from speechnas.image.space import ImageNetSpace, parse_arch

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
WIDTHS = {"stem": 8, "first": 8, "stages": [8, 16, 16, 24, 24, 32], "head": 48}
TINY = {
    "data": {"image_size": 32, "crop_scale_min": 0.5, "workers": 0},
    "split": {"holdout": 16},
    "mini": {"num_classes": 4, "train_per_class": 40, "val_per_class": 10, "image_size": 40},
    "supernet": {"model": {"widths": WIDTHS},
                 "train": {"batch_size": 16, "lr": 0.1, "max_steps": 12, "log_every": 4, "save_every": 4}},
    "search": {"budget": 10, "oneshot": {"steps_per_new_arch": 2},
               "score": {"holdout_images": 16, "recalibration_images": 32, "batch_size": 16},
               "seminas": {"initial": 4, "new_per_iteration": 3, "top_k": 4, "iterations": 2, "unlabelled": 30,
                           "pretrain_epochs": 30, "train_epochs": 5, "semi_epochs": 2, "fill_random": True, "controller": {"hidden_size": 8, "mlp_hidden": 8}}},
    "final": {"model": {"widths": WIDTHS, "dropout": 0.1},
              "train": {"batch_size": 16, "lr": 0.1, "epochs": 2, "log_every": 5, "save_every": 5}},
    "eval_batch_size": 20,
}


def _env():
    return dict(os.environ, PYTHON=sys.executable, SPEECHNAS_PROGRESS="0", OMP_NUM_THREADS="1")


def _run(recipe: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(recipe / "run.sh"), *args], capture_output=True, text=True, env=_env(),
                          timeout=300)


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """(recipe dir, options, scores kept by the killed search, the resumed run's log, the re-run's log)."""
    root = tmp_path_factory.mktemp("imagenet")
    shutil.copytree(REPO / "recipes" / "imagenet", root / "recipes" / "imagenet",
                    ignore=shutil.ignore_patterns("data", "exp"))
    (root / "tools").symlink_to(REPO / "tools")
    recipe = root / "recipes" / "imagenet"
    (recipe / "conf" / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    opts = ["--mini", "true", "--conf", "conf/tiny.yaml"]
    r = _run(recipe, *opts, "--stop-stage", "1")
    assert r.returncode == 0, r.stderr[-3000:]
    scores = recipe / "exp" / "mini" / "search" / "seminas" / "score_cache.jsonl"
    proc = subprocess.Popen(["bash", str(recipe / "run.sh"), *opts, "--stage", "2", "--stop-stage", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), start_new_session=True)
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if scores.is_file() and scores.read_text().count("\n") >= 5:  # 4 initial + 1 of the second iteration
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    result = scores.with_name("result.json")
    assert not (result.is_file() and json.loads(result.read_text())["finished"]), "stage 2 ended before the kill"
    killed = [json.loads(x) for x in scores.read_text().splitlines() if x.endswith("}")]
    r = _run(recipe, *opts)  # everything, resuming where the kill left it
    assert r.returncode == 0, r.stderr[-4000:]
    again = _run(recipe, *opts)
    assert again.returncode == 0, again.stderr[-3000:]
    return recipe, opts, killed, r.stdout + r.stderr, again.stdout + again.stderr


def test_data_and_supernet(mini):
    recipe = mini[0]
    data = json.loads((recipe / "data" / "mini" / "data.json").read_text())
    assert data["classes"] == 4 and data["train_images"] == 160 and data["holdout"] == 16 and data["val_images"] == 40
    split = json.loads((recipe / "data" / "mini" / "split.json").read_text())
    assert len(split["holdout_files"]) == 16 and split["root"] == "data/mini/images"
    sup = recipe / "exp" / "mini" / "supernet"
    assert json.loads((sup / "done.json").read_text())["step"] == 12 and (sup / "checkpoints" / "ckpt_00000012.pt").is_file()
    assert len((sup / "pool.txt").read_text().splitlines()) == 4 and (sup / "config.yaml").is_file()


def test_search_resumed_under_the_limit(mini):
    recipe, _, killed, log, _ = mini
    out = recipe / "exp" / "mini" / "search" / "seminas"
    space = ImageNetSpace()
    queries = [json.loads(x) for x in (out / "queries.jsonl").read_text().splitlines()]
    assert len(queries) == 10 and len({q["key"] for q in queries}) == 10
    pool = (recipe / "exp" / "mini" / "supernet" / "pool.txt").read_text().splitlines()
    assert [q["arch"] for q in queries[:4]] == pool
    for q in queries:  # the limit holds for every queried architecture, and its count is recorded
        assert q["metrics"]["madds"] == space.cost(parse_arch(q["arch"])).madds < 600e6
        assert 0 <= q["metrics"]["top1"] <= 1 and q["metrics"]["score_s"] > 0
    first = {q["key"]: q["metrics"] for q in queries}
    assert len(killed) >= 5
    cache = [json.loads(x) for x in (out / "score_cache.jsonl").read_text().splitlines()]
    for rec in killed:  # every score made before the kill is kept as it was
        assert rec in cache
    for rec in killed[:4]:  # the initial architectures' first scores
        assert first[rec["key"]] == rec["metrics"]
    assert "architecture score(s) reused" in log
    summary = json.loads((out / "summary.json").read_text())
    # the pool re-scored every iteration: 4, then 7, then 10 scores
    assert summary["scores"] == 4 + 7 + 10
    assert summary["all_under_limit"] and summary["queries"] == 10 and summary["supernet_step"] == 12 + 2 * 3 * 2
    result = json.loads((out / "result.json").read_text())
    scores = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
    latest = [s["metrics"]["top1"] for s in scores if s["iteration"] == scores[-1]["iteration"]]
    assert len(latest) == 10 and result["finished"] and result["best"]["metrics"]["top1"] == max(latest)
    assert result["best"]["arch"] in (out / "best_archs.txt").read_text()


def test_final_training_evaluation_export_and_rerun(mini, tmp_path):
    recipe, _, _, log, again = mini
    exp = recipe / "exp" / "mini"
    best = json.loads((exp / "search" / "seminas" / "result.json").read_text())["best"]["arch"]
    done = json.loads((exp / "train" / "final" / "done.json").read_text())
    assert done["arch"] == best and done["steps"] == 2 * (160 // 16)
    res = json.loads((exp / "eval" / "results.json").read_text())
    assert res["images"] == 40 and 0 <= res["top1"] <= res["top5"] <= 1 and res["madds_at_limit_widths"] < 600e6
    assert "top-1" in (exp / "eval" / "results.txt").read_text()
    clf = speechnas.image.load_model(exp / "export")
    assert str(clf.model.arch) == best and clf.meta["top1"] == res["top1"] and len(clf.classes) == 4
    trained = speechnas.image.load_model(exp / "train" / "final")  # the training directory loads too
    assert all(torch.equal(a, b) for a, b in zip(clf.model.state_dict().values(), trained.model.state_dict().values()))
    preds = [json.loads(x) for x in (exp / "demo" / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 10 and all(len(p["top"]) == 3 for p in preds)
    assert "run.sh: stages 0-100 done (mini)" in log
    for skipped in ("mini image set data/mini/images exists, skipping", "supernet is complete (step 12), skipping",
                    "train/final is complete", "holds the results of step 20, skipping"):
        assert skipped in again, skipped

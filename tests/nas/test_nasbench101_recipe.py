"""NAS-Bench-101 recipe: the presets encode the paper's settings; stages 0-3 run end to end on the demo file."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import REPO, shared_path
from speechnas.nas.methods import METHODS
from speechnas.nas.nasbench101.experiment import ExperimentConfig
from speechnas.utils.config import load_config

RECIPE = REPO / "recipes" / "nasbench101"


@pytest.mark.parametrize("conf", sorted(p.name for p in (RECIPE / "conf").glob("*.yaml")))
def test_every_preset_loads(conf):
    cfg = load_config(ExperimentConfig, RECIPE / "conf" / conf)
    assert {"seminas", "seminas_screen"} <= set(cfg.methods) <= set(METHODS)


@pytest.mark.parametrize("conf, n, new, iters, up", [("q300.yaml", 100, 100, 2, 100), ("q2000.yaml", 1100, 300, 3, 10)])
def test_paper_settings(conf, n, new, iters, up):
    cfg = load_config(ExperimentConfig, RECIPE / "conf" / conf)
    s = cfg.seminas
    assert (s.initial, s.unlabelled, s.top_k, s.new_per_iteration, s.iterations, s.upsample) == (n, 10000, 100, new, iters, up)
    assert cfg.budget == n + iters * new and cfg.report.reference == 94.32 and cfg.report.metric == "test_acc"
    assert (cfg.nao.initial, cfg.nao.unlabelled, cfg.nao.new_per_iteration, cfg.nao.iterations) == (n, 0, new, iters)
    assert {"seminas", "seminas_screen", "nao", "re", "random"} <= set(cfg.methods)


def test_demo_recipe_stages_0_to_3(tmp_path):
    shared = shared_path("data", "nasbench").parent.parent
    exp = tmp_path / "exp"
    quick = ("initial 8", "new_per_iteration 4", "pretrain_epochs 3", "train_epochs 1", "semi_epochs 1",
             "ascent.step_max 2", "controller.hidden_size 8")
    overrides = " ".join(f"--{m}.{q}" for m in ("seminas", "seminas_screen") for q in quick)
    overrides += " --budget 16 --seeds 1 --re.population 8 --re.tournament 3"
    env = {**os.environ, "SPEECHNAS_SHARED": str(shared), "SPEECHNAS_PROGRESS": "0"}
    cmd = ["bash", str(RECIPE / "run.sh"), "--demo", "true", "--nb101-file", str(tmp_path / "demo.tfrecord"),
           "--exp-dir", str(exp), "--nj", "2", "--methods", "seminas,seminas_screen,re", "--overrides", overrides]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads((exp / "benchmark.json").read_text())["cells"] == 321
    report = json.loads((exp / "report.json").read_text())
    assert set(report["methods"]) == set(report["nasbench101"]["methods"]) == {"seminas", "seminas_screen", "re"}
    assert report["budgets"] == [16] and report["report_metric"] == "valid_mean_acc"
    for method, m in report["methods"].items():
        assert m["runs"] == 1 and len(m["curve_mean"]) == 16
        nb = report["nasbench101"]["methods"][method]["16"]
        (seed,) = nb["per_seed"]
        assert nb["rank_median"] >= 1 and 0 <= nb["regret_mean"] < 10
        assert seed["value"] == m["at"]["16"]["mean"] and seed["regret"] == report["nasbench101"]["reference"] - seed["value"]
    run = json.loads((exp / "seminas" / "seed0" / "run.json").read_text())
    costs = [json.loads(x)["cost"] for x in (exp / "seminas" / "seed0" / "queries.jsonl").read_text().splitlines()]
    assert run["queries"] == 16 and run["epochs_spent"] == 16 * 108  # training times: only 30 cells of the file have them
    assert run["simulated_training_time_s"] == pytest.approx(sum(costs)) and min(costs) >= 0
    for method in ("seminas", "seminas_screen"):  # how the 16 cells came about (random fill is on in the demo)
        origins = json.loads((exp / method / "seed0" / "result.json").read_text())["origins"]
        assert origins["initial"] == 8 and sum(origins.values()) == 16 and set(origins) <= {
            "initial", "ascent", "seed_decoding", "random_fill"}
    text = (exp / "report.txt").read_text()
    assert (exp / "report.png").stat().st_size > 1000 and "regret against" in text and "median rank" in text
    again = subprocess.run(cmd + ["--stage", "2", "--stop-stage", "2"], env=env, capture_output=True, text=True,
                           timeout=600)  # the core grid runner skips finished runs (config checked)
    assert again.returncode == 0 and "0 runs done now, 3 finished before" in again.stdout, again.stdout + again.stderr
    with pytest.raises(subprocess.CalledProcessError):  # a bad option fails with its name
        subprocess.run(["bash", str(RECIPE / "run.sh"), "--no-such-option", "1"], check=True, capture_output=True)

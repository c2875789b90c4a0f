"""On the real NAS-Bench-201 table: a short SemiNAS run beats random search, and the recipe runs end to end."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from conftest import REPO, shared_path
from speechnas.nas.benchmarks import build_nasbench201
from speechnas.nas.run import run_search
from speechnas.nas.seminas import SemiNASConfig


@pytest.fixture(scope="module")
def nb201():
    return build_nasbench201(shared_path("data", "nasbench", "nb201_cifar10.csv"))


def test_short_seminas_beats_the_median_of_random_search(nb201):
    space, evaluator = nb201
    budget = 40
    cfg = SemiNASConfig(initial=20, new_per_iteration=10, pretrain_epochs=100, train_epochs=20, unlabelled=1000)
    semi = [run_search(space, evaluator, "seminas", cfg, budget, seed).budget.best().metrics["valid_acc"] for seed in range(3)]
    rand = [run_search(space, evaluator, "random", None, budget, seed).budget.best().metrics["valid_acc"] for seed in range(30)]
    assert np.median(semi) > np.median(rand), (semi, np.median(rand))


def test_recipe_end_to_end(tmp_path):
    table = shared_path("data", "nasbench", "nb201_cifar10.csv")
    exp = tmp_path / "exp"
    cmd = ["bash", str(REPO / "recipes/nasbench201/run.sh"), "--table", str(table), "--exp-dir", str(exp),
           "--methods", "re,random", "--seeds", "0:2", "--budgets", "20,30", "--nj", "2", "--overrides", "--re.population 10"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert '"unique_keys": 6466' in out.stdout  # stage 1 checked the table
    report = json.loads((exp / "report" / "report.json").read_text())
    assert set(report["methods"]) == {"re", "random"} and report["budgets"] == [20, 30]
    for method, entry in report["methods"].items():
        assert entry["runs"] == 2 and len(entry["curve_mean"]) == 30
        for b in (20, 30):  # test_acc of the best-by-valid_acc cell among the first B queries (earliest wins ties)
            found = []
            for seed in (0, 1):
                lines = (exp / "search" / method / f"seed{seed}" / "queries.jsonl").read_text().splitlines()[:b]
                rows = [json.loads(x)["metrics"] for x in lines]
                found.append(rows[int(np.argmax([r["valid_acc"] for r in rows]))]["test_acc"])
            assert entry["at"][str(b)]["mean"] == pytest.approx(np.mean(found), abs=1e-9), (method, b)
    table_txt = (exp / "report" / "report.txt").read_text()
    assert "re - random" in table_txt and "B=30" in table_txt and "±" in table_txt
    assert (exp / "report" / "report.png").stat().st_size > 1000
    run = exp / "search" / "re" / "seed1"
    assert len((run / "queries.jsonl").read_text().splitlines()) == 30 and (run / "best_so_far.png").exists()
    assert any((run / "tb").iterdir())  # TensorBoard events
    assert "population: 10" in (exp / "search" / "config.yaml").read_text()  # the resolved config is recorded
    # re-running skips finished searches
    again = subprocess.run(cmd + ["--stage", "2", "--stop-stage", "2"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 to run" in again.stderr
    bad = subprocess.run(["bash", str(REPO / "recipes/nasbench201/run.sh"), "--table", str(tmp_path / "missing.csv")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "does not exist" in bad.stderr

"""The grid (methods x seeds) refuses what it cannot run faithfully, and the report's numbers are the right ones."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from conftest import REPO, shared_path
from speechnas.bin import nas_search
from speechnas.nas.benchmarks import grid_builder
from speechnas.nas.grid import Job, SearchConfig, job_dir, pending_jobs, run_grid
from speechnas.nas.report import summarize
from speechnas.utils.config import load_config, to_dict


def hand_run(method: str, seed: int, rows: list[tuple[float, float]], budget: int | None = None) -> dict:
    """A loaded run as :func:`speechnas.nas.report.load_runs` returns it: (valid, test) per query."""
    queries = [{"query": i + 1, "metrics": {"valid": v, "test": t}} for i, (v, t) in enumerate(rows)]
    result = {"method": method, "seed": seed, "budget": budget or len(rows), "finished": True,
              "search_metric": "valid", "wall_s": 1.0 + seed}
    return {"result": result, "queries": queries}


def test_summarize_two_hand_made_runs():
    runs = {
        "re": {0: hand_run("re", 0, [(1, 50), (3, 60), (3, 70), (2, 80)]),  # tie at 3: the earlier query (60) stays
               1: hand_run("re", 1, [(5, 90), (4, 10), (6, 91), (1, 0)])},
        "random": {0: hand_run("random", 0, [(2, 40), (1, 99), (9, 45), (0, 0)]),
                   1: hand_run("random", 1, [(7, 88), (8, 86)], budget=4)},  # stopped early: space exhausted
    }
    s = summarize(runs, [1, 3, 4], "test")
    assert list(s["methods"]) == ["re", "random"]  # METHOD_ORDER
    re, rnd = s["methods"]["re"]["at"], s["methods"]["random"]["at"]
    assert re["1"]["mean"] == 70.0 and re["3"]["mean"] == pytest.approx((60 + 91) / 2)
    assert re["4"]["std"] == pytest.approx(np.std([60, 91], ddof=1)) and re["4"]["min"] == 60 and re["4"]["max"] == 91
    assert rnd["3"]["mean"] == pytest.approx((45 + 86) / 2) and rnd["4"]["mean"] == pytest.approx((45 + 86) / 2)
    pair = s["paired"]["re - random"]["3"]
    d = np.array([60 - 45, 91 - 86])
    assert pair["seeds"] == 2 and pair["mean"] == pytest.approx(d.mean())
    assert pair["stderr"] == pytest.approx(d.std(ddof=1) / np.sqrt(2))
    assert s["methods"]["re"]["curve_mean"] == [70.0, 75.0, 75.5, 75.5]
    assert s["methods"]["re"]["wall_s_mean"] == 1.5


def test_report_refuses_a_budget_a_run_never_reached():
    runs = {"re": {0: hand_run("re", 0, [(1, 50), (3, 60)]), 1: hand_run("re", 1, [(1, 50), (3, 60), (2, 1)])}}
    with pytest.raises(ValueError, match="budget 3 is above the 2-query budget of the run re/seed0"):
        summarize(runs, [2, 3], "test")
    with pytest.raises(ValueError, match="positive"):
        summarize(runs, [0], "test")


def test_grid_refuses_unknown_methods_and_no_workers(tmp_path):
    for bad in ("budget", "tensorboard", "bo"):
        with pytest.raises(ValueError, match=f"unknown search method.*{bad}.*choose from"):
            pending_jobs(SearchConfig(), ["re", bad], [0], tmp_path)
    with pytest.raises(ValueError, match="nj .* at least 1, got 0"):
        run_grid(grid_builder("nasbench201", tmp_path / "t.csv"), SearchConfig(), ["re"], [0], tmp_path, nj=0)
    with pytest.raises(ValueError, match="unknown benchmark 'nb999'"):
        grid_builder("nb999", tmp_path / "t.csv")
    assert nas_search.main(["--table", "x.csv", "--exp-dir", str(tmp_path / "e"), "--methods", "re,budget"]) == 2
    assert not (tmp_path / "e").exists()


def test_changed_config_on_a_finished_run_is_refused(tmp_path, capsys):
    table = shared_path("data", "nasbench", "nb201_cifar10.csv")
    exp = tmp_path / "exp"
    argv = ["--table", str(table), "--exp-dir", str(exp), "--methods", "random", "--seeds", "0,1", "--budget", "10",
            "--tensorboard", "false", "--random.batch_size", "5"]
    assert nas_search.main(argv) == 0
    run = job_dir(exp, Job("random", 1))
    result = json.loads((run / "result.json").read_text())
    assert result["finished"] and result["queries"] == 10 and result["config"] == {"batch_size": 5}
    cfg = load_config(SearchConfig, None, ["--budget", "10", "--random.batch_size", "5"])
    assert pending_jobs(cfg, ["random"], [0, 1], exp) == ([], 2)  # same settings: nothing to run
    capsys.readouterr()
    assert nas_search.main(argv[:-1] + ["3"]) == 2
    err = capsys.readouterr().err
    assert "random/seed0 holds a run with a different config" in err and "'batch_size': 3" in err
    assert "batch_size: 5" in (exp / "config.yaml").read_text()  # the record of the finished runs is kept
    # a result.json from before configs were recorded: the run is handed to run_search, which checks state.pt
    (run / "result.json").write_text(json.dumps({k: v for k, v in result.items() if k != "config"}))
    assert pending_jobs(cfg, ["random"], [0, 1], exp) == ([Job("random", 1)], 1)


def _keys(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        out |= _keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
    return out


def test_the_recipe_config_lists_every_knob_at_its_default():
    path = REPO / "recipes/nasbench201/conf/search.yaml"
    assert _keys(yaml.safe_load(path.read_text())) == _keys(to_dict(SearchConfig()))
    assert load_config(SearchConfig, str(path), []) == SearchConfig()

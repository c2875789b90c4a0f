"""The one-shot task the shared search loop drives: training paths, scoring, exact resume; the temporary driver."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from speechnas.image.data import make_split
from speechnas.image.search import run_image_search
from speechnas.nas.oneshot import OneShotConfig
from speechnas.image.recipe import build_task, search_space
from speechnas.image.recipe_config import load_recipe_config
from speechnas.image.space import parse_arch
from speechnas.nas.seminas import SemiNASConfig
from speechnas.nas.budget import Budget
from speechnas.nas.controller import ControllerConfig
from speechnas.nas.evaluator import FunctionalEvaluator
from speechnas.nas.strategy import Strategy
from speechnas.utils.config import to_dict

from image_fixtures import TINY, mini_root  # noqa: F401 (mini_root: a fixture)

SETTINGS = {
    "data": {"image_size": 32, "crop_scale_min": 0.5, "workers": 0},
    "split": {"holdout": 16},
    "supernet": {"model": {"widths": to_dict(TINY)},
                 "train": {"batch_size": 16, "lr": 0.1, "max_steps": 4, "device": "cpu", "log_every": 4, "save_every": 4}},
    "search": {"score": {"holdout_images": 16, "recalibration_images": 32, "batch_size": 16}},
}


@pytest.fixture
def setup(mini_root, tmp_path):
    (tmp_path / "conf.yaml").write_text(yaml.safe_dump(SETTINGS))
    cfg = load_recipe_config(str(tmp_path / "conf.yaml"))
    make_split(mini_root, cfg.split.holdout, 0, tmp_path / "data" / "split.json")
    space = search_space(cfg)
    rng = np.random.default_rng(0)
    pool = [space.sample(rng) for _ in range(4)]
    stage1 = build_task(cfg, tmp_path / "data", tmp_path / "stage1", pool)
    stage1.trainer.train(stage1.train_loader)  # 4 steps: the "finished supernet"
    start = stage1.trainer.ckpt_dir / "ckpt_00000004.pt"
    return cfg, tmp_path, space, pool, start


def _task(setup, name):
    cfg, tmp, space, pool, start = setup
    task = build_task(cfg, tmp / "data", tmp / name, pool)
    task.start_from(start)
    return task


def _weights(task):
    return {k: v.clone() for k, v in task.trainer.model.state_dict().items()}


def test_train_paths_trains_only_those_paths(setup):
    task = _task(setup, "a")
    before = _weights(task)
    archs = [parse_arch("1 7 7 7 2 7 7 7 3 7 7 7 4 7 7 7 5 7 7 7 6"), parse_arch("1 1 7 7 2 2 7 7 3 3 7 7 4 4 7 7 5 5 7 7 6")]
    task.train_paths(archs, 6)
    assert task.step == 10
    after = task.trainer.model.state_dict()
    used = {(pos, t) for a in archs for pos, t in enumerate(a.ops) if t != 7}
    for key, value in after.items():
        parts = key.split(".")
        if parts[0] == "blocks" and "num_batches_tracked" not in key:
            changed = not torch.equal(value, before[key])
            assert changed == ((int(parts[1]), int(parts[2]) + 1) in used), key
    assert task.checkpoint.parent.name == "pinned" and task.checkpoint.name == "ckpt_00000010.pt"


def test_score_is_deterministic_and_leaves_the_supernet_alone(setup):
    task = _task(setup, "a")
    cfg, _, space, pool, _ = setup
    before = _weights(task)
    first = task.score(pool)
    assert [sorted(m) for m in first] == [sorted(["top1", "top5", "loss", "score_s", "madds", "params",
                                                  "madds_search_widths", "supernet_step"])] * 4
    for m, arch in zip(first, pool):
        assert 0 <= m["top1"] <= 1 and m["score_s"] > 0 and m["madds"] == space.cost(arch).madds < 600e6
    again = task.score(pool[::-1])[::-1]
    assert [m["top1"] for m in again] == [m["top1"] for m in first]
    assert [m["loss"] for m in again] == [m["loss"] for m in first]
    assert all(torch.equal(v, before[k]) for k, v in task.trainer.model.state_dict().items())
    task.recalibration = None  # the official scoring: the supernet's running statistics
    assert [m["loss"] for m in task.score(pool)] != [m["loss"] for m in first]


def test_state_dict_resume_and_a_killed_training_continue_exactly(setup, caplog):
    archs = setup[3][:2]
    a = _task(setup, "a")
    a.train_paths(archs, 4)
    state = a.state_dict()
    a.train_paths(archs, 8)
    want = _weights(a)
    # a fresh task restores the saved state and repeats the second call
    b = _task(setup, "b_from_state")
    b.load_state_dict(json.loads(json.dumps(state)))
    assert b.step == 8
    b.train_paths(archs, 8)
    assert all(torch.equal(v, want[k]) for k, v in b.trainer.model.state_dict().items())
    # a training killed after its checkpoint at step 12 (of 4..16) and called again continues from there
    c = _task(setup, "c")
    c.train_paths(archs, 4)
    c.sampler.pool = list(archs)
    c.trainer.train(c.train_loader, max_steps=12)
    d = _task(setup, "c")
    d.load_state_dict(c.state_dict() | {"step": 8, "checkpoint": str(c.checkpoint)})
    with caplog.at_level("INFO"):
        d.train_paths(archs, 8)
    assert "ckpt_00000012.pt at step 12" in caplog.text and d.step == 16
    assert all(torch.equal(v, want[k]) for k, v in d.trainer.model.state_dict().items())


def test_driver_search_keeps_every_query_under_the_limit(setup):
    cfg, tmp, space, _, _ = setup
    pool = Strategy(space, None, cfg.search.seed).sample_new(Budget(space, FunctionalEvaluator(list), 10), 4)
    task = _task(setup, "search")
    sem = SemiNASConfig(initial=4, new_per_iteration=3, top_k=4, iterations=2, unlabelled=30, pretrain_epochs=20,
                        train_epochs=5, fill_random=True, controller=ControllerConfig(hidden_size=8, mlp_hidden=8))
    summary = run_image_search(space, task, "seminas", sem, 10, cfg.search.seed, tmp / "out",
                               OneShotConfig(steps_per_new_arch=1, pool_steps_per_arch=0))
    queries = [json.loads(x) for x in (tmp / "out" / "queries.jsonl").read_text().splitlines()]
    assert len(queries) == 10 and summary["queries"] == 10 and summary["all_under_limit"]
    assert all(q["metrics"]["madds"] < 600e6 for q in queries)
    assert all(space.cost(parse_arch(q["arch"])).madds == q["metrics"]["madds"] for q in queries)
    assert [q["arch"] for q in queries[:4]] == [str(a) for a in pool]  # the supernet's pool is scored first
    assert task.step == 4 + 2 * 3 and summary["supernet_step"] == 10
    assert sorted(p.name for p in (tmp / "search" / "pinned").glob("*.pt")) == ["ckpt_00000010.pt"]
    assert json.loads((tmp / "out" / "result.json").read_text())["finished"]


def test_ddp_training_and_split_scoring_match_one_process(setup):
    """Two gloo ranks: the same weights on both after DDP steps; scores split across ranks equal one process's."""
    cfg, tmp, space, pool, start = setup
    out = tmp / "ddp.pt"
    worker = Path(__file__).with_name("ddp_task_worker.py")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone", str(worker),
           str(tmp / "conf.yaml"), str(tmp / "data"), str(tmp / "ddp"), str(start), str(out), *map(str, pool[:3])]
    # KNOWN ISSUE: the two gloo ranks hang now and then (about 1 run in 4 here, at any load, no CPU used; cause not
    # found yet). A hung run is killed with its whole process group and run once more; the checks below are unchanged.
    for attempt in range(2):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env=dict(os.environ, OMP_NUM_THREADS="1"))
        try:
            _, err = proc.communicate(timeout=150)
            break
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            assert attempt == 0, "the DDP run hung twice"
    assert proc.returncode == 0, err[-3000:]
    res = torch.load(out, weights_only=False)
    assert res["world"] == 2 and res["params_equal"] and res["state"]["step"] == 7
    assert res["every_rank"][0] == res["every_rank"][1] == res["scores"]
    alone = build_task(cfg, tmp / "data", tmp / "alone", pool[:3])
    alone.load_state_dict(res["state"])
    for got, want in zip(res["scores"], alone.score(pool[:3])):
        assert {k: v for k, v in got.items() if k != "score_s"} == {k: v for k, v in want.items() if k != "score_s"}

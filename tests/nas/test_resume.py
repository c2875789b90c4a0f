"""A killed search resumes from its last saved iteration and ends exactly like an uninterrupted run."""
from __future__ import annotations

import json

import pytest

from speechnas.nas.evaluator import Result
from speechnas.nas.run import run_search
from speechnas.nas.spaces.toy import ToySpace
from test_strategies import small_config


class Killed(Exception):
    pass


class StatefulEvaluator:
    """Like a supernet: its answers depend on how much it has been trained (one step per call), and it saves that."""

    search_metric = "score"

    def __init__(self):
        self.steps = 0

    def evaluate(self, archs):
        self.steps += 1
        return [Result({"score": float(sum(a)) + 0.01 * self.steps, "test": float(a[0])}, cost=1.0) for a in archs]

    def state_dict(self):
        return {"steps": self.steps}

    def load_state_dict(self, state):
        self.steps = state["steps"]


def kill_at(iteration):
    def hook(it, strategy, budget):
        if it == iteration:
            raise Killed
    return hook


@pytest.mark.parametrize("method", ["seminas", "seminas_re", "re"])
def test_resume_equals_an_uninterrupted_run(tmp_path, method):
    space = ToySpace([(1, 2, 3, 4, 5)] * 4)
    args = dict(method=method, config=small_config(method), budget=30, seed=7, plot=False)
    full = run_search(space, StatefulEvaluator(), out_dir=tmp_path / "full", **args)
    with pytest.raises(Killed):
        run_search(space, StatefulEvaluator(), out_dir=tmp_path / "cut", hook=kill_at(2), **args)
    partial = (tmp_path / "cut" / "state.pt").exists()
    ev = StatefulEvaluator()  # a fresh process: the evaluator's state comes back from state.pt
    resumed = run_search(space, ev, out_dir=tmp_path / "cut", **args)
    assert partial and ev.steps == full.budget.history[-1].iteration + 1
    assert [(q.arch, q.metrics) for q in resumed.budget.history] == [(q.arch, q.metrics) for q in full.budget.history]
    lines = [json.loads(x) for x in (tmp_path / "cut" / "queries.jsonl").read_text().splitlines()]
    assert [x["arch"] for x in lines] == [space.to_str(q.arch) for q in full.budget.history]
    result = json.loads((tmp_path / "cut" / "result.json").read_text())
    assert result["finished"] and result["queries"] == 30 and result["best"]["arch"] == space.to_str(full.budget.best().arch)
    # a finished run is reloaded, not re-run; a different configuration is refused
    again = run_search(space, StatefulEvaluator(), out_dir=tmp_path / "cut", **args)
    assert [q.arch for q in again.budget.history] == [q.arch for q in full.budget.history]
    with pytest.raises(ValueError, match="different seed"):
        run_search(space, StatefulEvaluator(), out_dir=tmp_path / "cut", **{**args, "seed": 8})


def test_hook_sees_each_iterations_new_queries_once():
    space = ToySpace([(1, 2, 3, 4, 5)] * 4)
    seen = []

    def hook(it, strategy, budget):
        seen.append((it, [q.arch for q in budget.queries_of(it)]))

    res = run_search(space, StatefulEvaluator(), "seminas", small_config("seminas"), budget=25, seed=0, hook=hook)
    assert [it for it, _ in seen] == list(range(len(seen))) and len(seen[0][1]) == 10
    assert [a for _, archs in seen for a in archs] == [q.arch for q in res.budget.history]

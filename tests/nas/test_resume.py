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


def test_a_run_killed_before_its_final_write_gets_its_outputs_on_reload(tmp_path):
    """state.pt says done but result.json is stale (killed between the two writes): re-running writes the outputs."""
    space = ToySpace([(1, 2, 3, 4, 5)] * 4)
    args = dict(method="re", config=small_config("re"), budget=20, seed=3, out_dir=tmp_path, plot=False)
    first = StatefulEvaluator()
    full = run_search(space, first, **args)
    stale = json.loads((tmp_path / "result.json").read_text())
    (tmp_path / "result.json").write_text(json.dumps({**stale, "finished": False, "queries": 10}))
    (tmp_path / "queries.jsonl").unlink()
    ev = StatefulEvaluator()
    run_search(space, ev, **args)
    assert ev.steps == first.steps  # restored from state.pt, nothing re-evaluated
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["finished"] and result["queries"] == 20 and result["best"] == stale["best"]
    assert result["config"] == stale["config"] == {"population": 10, "tournament": 3, "children_per_iteration": 1,
                                                   "mutation_tries": 50}
    lines = [json.loads(x) for x in (tmp_path / "queries.jsonl").read_text().splitlines()]
    assert [x["arch"] for x in lines] == [space.to_str(q.arch) for q in full.budget.history]


def test_state_saved_every_few_seconds_still_resumes_exactly(tmp_path):
    """save_every_s: a kill before the first timed save leaves no state.pt; the rerun then equals a fresh run."""
    space = ToySpace([(1, 2, 3, 4, 5)] * 4)
    args = dict(method="seminas", config=small_config("seminas"), budget=25, seed=5, plot=False)
    full = run_search(space, StatefulEvaluator(), out_dir=tmp_path / "full", **args)
    with pytest.raises(Killed):
        run_search(space, StatefulEvaluator(), out_dir=tmp_path / "cut", hook=kill_at(2), save_every_s=3600, **args)
    assert not (tmp_path / "cut" / "state.pt").exists()  # iterations 0 and 1 were not saved yet
    resumed = run_search(space, StatefulEvaluator(), out_dir=tmp_path / "cut", save_every_s=3600, **args)
    assert [(q.arch, q.metrics) for q in resumed.budget.history] == [(q.arch, q.metrics) for q in full.budget.history]
    ev = StatefulEvaluator()
    again = run_search(space, ev, out_dir=tmp_path / "cut", save_every_s=3600, **args)  # saved at the end
    assert ev.steps == full.budget.history[-1].iteration + 1 and again.budget.used == 25

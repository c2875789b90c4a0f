"""The one-shot loop: one growing pool, own steps then whole-pool training, every architecture re-scored each
iteration, strategies learning from the latest scores, budget cut, exact resume."""
from __future__ import annotations

import json

import pytest

from speechnas.nas.oneshot import OneShotConfig, run_oneshot_search
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.nas.seminas import SemiNASConfig
from speechnas.nas.spaces.toy import ToySpace

SPACE = ToySpace([(1, 2, 3, 4, 5)] * 4)


class ToySupernet:
    """A path's score = its quality (sum of values) x how much it trained, so scores change as training goes on:
    what a one-shot loop must re-score. Records every training call."""

    search_metric = "score"

    def __init__(self):
        self.trained: dict[str, int] = {}
        self.calls: list[tuple[list[str], int]] = []
        self._step = 0

    @property
    def step(self) -> int:
        return self._step

    def train_paths(self, archs, steps):
        keys = [SPACE.key(a) for a in archs]
        self.calls.append((keys, steps))
        for i in range(steps):  # round robin stands in for uniform sampling
            self.trained[keys[i % len(keys)]] = self.trained.get(keys[i % len(keys)], 0) + 1
        self._step += steps

    def score(self, archs):
        return [{"score": sum(a) * (1 + self.trained.get(SPACE.key(a), 0)) / 100.0, "trained": float(
            self.trained.get(SPACE.key(a), 0))} for a in archs]

    def state_dict(self):
        return {"trained": dict(self.trained), "step": self._step}

    def load_state_dict(self, state):
        self.trained, self._step = dict(state["trained"]), int(state["step"])


def _seminas():
    return SemiNASConfig(initial=6, new_per_iteration=3, top_k=4, iterations=2, unlabelled=20, pretrain_epochs=5,
                         train_epochs=3, fill_random=True)  # a barely trained controller may find nothing new


def test_pool_grows_trains_and_rescores_everything(tmp_path):
    task = ToySupernet()
    cfg = OneShotConfig(steps_per_new_arch=4, pool_steps_per_arch=2)
    res = run_oneshot_search(SPACE, task, "random", RandomSearchConfig(batch_size=6), budget=15, seed=0,
                             out_dir=tmp_path, cfg=cfg)
    assert len(res.pool) == 15 and len({SPACE.key(a) for a in res.pool}) == 15
    # initial 6: not trained here (the caller did); then 6 new + whole pool of 12, then 3 new + whole pool of 15
    assert [len(k) for k, _ in task.calls] == [6, 12, 3, 15]
    assert [s for _, s in task.calls] == [4 * 6, 2 * 12, 4 * 3, 2 * 15]
    assert task.calls[0][0] == res.keys[6:12] and task.calls[1][0] == res.keys[:12]
    scores = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    assert len(scores) == 6 + 12 + 15  # every pool architecture scored again each iteration
    for k in res.keys:  # the latest score is the last iteration's, which differs from the first for old paths
        last = [s for s in scores if s["key"] == k][-1]
        assert last["iteration"] == 2 and res.latest[k] == last["metrics"]
    first_of_initial = res.first[0]["metrics"]["score"]
    assert res.latest[res.keys[0]]["score"] > first_of_initial  # trained in the pool steps since
    out = json.loads((tmp_path / "result.json").read_text())
    assert out["finished"] and out["architectures"] == 15
    assert out["best"]["key"] == max(res.keys, key=lambda k: res.latest[k]["score"])
    assert (tmp_path / "progress.png").is_file() and (tmp_path / "ranking.txt").read_text().count("\n") == 17


def test_strategy_learns_from_the_latest_scores(monkeypatch, tmp_path):
    """What SemiNAS's controller trains on after iteration 1 is the pool's scores of that moment, not first ones."""
    from speechnas.nas import seminas

    seen = []
    real = seminas.SemiNAS.step

    def spy(self, view):
        archs, values = view.labelled()
        seen.append({SPACE.key(a): v for a, v in zip(archs, values)})
        return real(self, view)

    monkeypatch.setattr(seminas.SemiNAS, "step", spy)
    task = ToySupernet()
    res = run_oneshot_search(SPACE, task, "seminas", _seminas(), budget=12, seed=1, out_dir=tmp_path,
                             cfg=OneShotConfig(steps_per_new_arch=2, pool_steps_per_arch=1))
    scores = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    assert len(seen) >= 2 and len(res.pool) == 12
    for it, labels in enumerate(seen[1:], start=0):  # step it+1 sees the scores of iteration it
        expected = {s["key"]: s["metrics"]["score"] for s in scores if s["iteration"] == it}
        assert labels == expected


def test_budget_cut_and_exact_resume(tmp_path):
    cfg = OneShotConfig(steps_per_new_arch=2, pool_steps_per_arch=1)
    whole = run_oneshot_search(SPACE, ToySupernet(), "seminas", _seminas(), budget=11, seed=3,
                               out_dir=tmp_path / "a", cfg=cfg)
    assert len(whole.pool) == 11  # 6 + 3 + 2 (the last batch cut at the budget)

    class Killed(Exception):
        pass

    def kill_after_first(iteration, result):
        if iteration == 1:
            raise Killed

    task = ToySupernet()
    with pytest.raises(Killed):
        run_oneshot_search(SPACE, task, "seminas", _seminas(), budget=11, seed=3, out_dir=tmp_path / "b", cfg=cfg,
                           hook=kill_after_first)
    resumed = run_oneshot_search(SPACE, ToySupernet(), "seminas", _seminas(), budget=11, seed=3,
                                 out_dir=tmp_path / "b", cfg=cfg)
    assert resumed.keys == whole.keys and resumed.latest == whole.latest
    assert (tmp_path / "a" / "scores.jsonl").read_text() == (tmp_path / "b" / "scores.jsonl").read_text()
    with pytest.raises(ValueError, match="different budget"):
        run_oneshot_search(SPACE, ToySupernet(), "seminas", _seminas(), budget=12, seed=3, out_dir=tmp_path / "b",
                           cfg=cfg)


def test_cached_scores_survive_a_restart(tmp_path):
    from speechnas.nas.oneshot import CachedScores

    task = ToySupernet()
    cached = CachedScores(task, SPACE, tmp_path / "cache.jsonl")
    archs = [(1, 2, 3, 4), (5, 5, 5, 5)]
    first = cached.score(archs)
    assert cached.scored == 2 and first == task.score(archs)
    again = CachedScores(task, SPACE, tmp_path / "cache.jsonl")  # a restarted run at the same supernet step
    assert again.score(archs[::-1]) == first[::-1] and again.scored == 0 and again.reused == 2
    again.train_paths(archs[:1], 3)  # new weights: scored anew
    assert again.score(archs[:1])[0] != first[0] and again.scored == 1

"""Stage 4 pieces: the supernet's training pool is exactly what a search queries first; the supernet evaluator
trains on new architectures before scoring them, scores in [0, 1], reuses cached scores, pins the checkpoint
the saved state refers to; a search killed inside an iteration resumes to the same result."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from speechnas.nas.evaluator import FunctionalEvaluator, Result
from speechnas.nas.run import run_search
from speechnas.nas.seminas import SemiNASConfig
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.tts.arch import TTSSearchSpace
from speechnas.tts.decode import DecodeConfig
from speechnas.tts.model import TTSModelConfig
from speechnas.tts.recipe_config import EvaluatorConfig, SearchStageConfig
from speechnas.tts.search import SupernetEvaluator, architecture_pool, run_tts_search
from speechnas.tts.supernet import ArchSampler, SuperNet
from speechnas.tts.train import Trainer, TrainConfig

from tts_testdata import VOCAB_SIZE, random_batch

SPACE = TTSSearchSpace(2, 2)


def _search_cfg(**kw) -> SearchStageConfig:
    # fill_random: a controller this small often decodes only cells it has seen; random ones fill in (counted)
    small = dict(initial=4, new_per_iteration=2, top_k=4, iterations=1, pretrain_epochs=20, train_epochs=5,
                 fill_random=True)
    return SearchStageConfig(budget=6, seed=3, seminas=SemiNASConfig(unlabelled=8, **small),
                             nao=SemiNASConfig(unlabelled=0, **small), random=RandomSearchConfig(batch_size=4), **kw)


@pytest.mark.parametrize("method", ["seminas", "nao", "random"])
def test_pool_is_what_the_search_queries_first(method, tmp_path):
    cfg = _search_cfg()
    pool = architecture_pool(SPACE, cfg, method)
    ev = FunctionalEvaluator(lambda archs: [Result({"dfr": sum(a.tokens) / 44}) for a in archs], "dfr")
    res = run_search(SPACE, ev, method, cfg.method_config(method), cfg.budget, cfg.seed)
    queried = [q.arch for q in res.budget.history]
    assert len(pool) == 4 and queried[:4] == pool
    assert architecture_pool(SPACE, _search_cfg(), method) == pool  # deterministic
    cfg.seed = 4
    assert architecture_pool(SPACE, cfg, method) != pool


def _trainer(tmp_path, name="sn"):
    torch.manual_seed(0)
    net = SuperNet(TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16, prenet_size=8, encoder_layers=2,
                                  decoder_layers=2))
    sampler = ArchSampler(SPACE, [SPACE.sample(np.random.default_rng(0))], seed=1)
    cfg = TrainConfig(lr=1e-3, warmup_steps=2, max_steps=3, log_every=100, image_every=0, save_every=100,
                      device="cpu")
    trainer = Trainer(net, cfg, tmp_path / name, sampler)
    data = [random_batch([6, 5], [12, 9], seed=i) for i in range(2)]
    trainer.train(data)  # "stage 3": step 3, checkpoint ckpt_00000003.pt
    return trainer, sampler, data


def test_evaluator_trains_on_new_architectures_scores_and_caches(tmp_path):
    trainer, sampler, data = _trainer(tmp_path)
    start = trainer.ckpt_dir / "ckpt_00000003.pt"
    dev = [random_batch([7, 4], [10, 6], seed=9), {k: v for k, v in random_batch([5], [1], seed=8).items()
                                                      if k in ("utt_ids", "text", "text_lengths")}]
    cfg = EvaluatorConfig(decode=DecodeConfig(seed=0, max_len_offset=8), steps_per_new_arch=1)
    ev = SupernetEvaluator(trainer, sampler, dev, data, cfg, tmp_path / "search", start)
    pool = list(sampler.pool)
    res = ev.evaluate(pool)  # the architectures stage 3 trained on: scored as they are
    assert trainer.step == 3 and ev.scored == 1 and 0.0 <= res[0].metrics["dfr"] <= 1.0 and res[0].cost > 0
    new = [SPACE.sample(np.random.default_rng(i)) for i in range(1, 4)]
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    res = ev.evaluate(new)  # the supernet trains on the new ones (one step each) before scoring them
    assert trainer.step == 6 and sampler.pool == new and ev.pool == pool + new
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    assert ev.scored == 4 and all(0.0 <= r.metrics["dfr"] <= 1.0 for r in res)
    recs = [json.loads(x) for x in (tmp_path / "search" / "scores.jsonl").read_text().splitlines()]
    assert [r["supernet_step"] for r in recs] == [3, 6, 6, 6]
    # a new evaluator over the same directory (a restarted run) re-scores nothing at the same supernet step
    again = SupernetEvaluator(trainer, sampler, dev, data, cfg, tmp_path / "search", start)
    res2 = again.evaluate(new[::-1])
    assert again.scored == 0 and again.reused == 3 and trainer.step == 6
    assert [r.metrics for r in res2] == [r.metrics for r in res[::-1]]
    state = ev.state_dict()
    assert state["step"] == 6 and state["pool"] == [SPACE.encode(a) for a in pool + new]
    weights6 = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    more = [SPACE.sample(np.random.default_rng(i)) for i in range(4, 6)]
    ev.evaluate(more)
    assert trainer.step == 8 and len(ev.pool) == 6 and sampler.pool == more
    pinned = sorted(p.name for p in (tmp_path / "sn" / "pinned").iterdir())
    assert pinned == ["ckpt_00000006.pt", "ckpt_00000008.pt"]  # the saved state's checkpoint is kept
    ev.load_state_dict(state)  # back to the state saved at step 6
    assert trainer.step == 6 and ev.pool == pool + new
    assert all(torch.equal(weights6[k], v) for k, v in trainer.model.state_dict().items())
    with pytest.raises(FileNotFoundError, match="gone"):
        ev.load_state_dict({"step": 9, "checkpoint": str(tmp_path / "nowhere.pt"), "pool": []})


def test_killed_search_resumes_to_the_same_result(tmp_path):
    cfg = _search_cfg(evaluator=EvaluatorConfig(decode=DecodeConfig(seed=0), steps_per_new_arch=1))
    cfg.seminas.iterations, cfg.budget = 2, 8
    dev = [random_batch([7, 4], [10, 6], seed=9)]

    def search(out, name, stop_after=None):
        trainer, sampler, data = _trainer(tmp_path, name)
        start = trainer.ckpt_dir / "ckpt_00000003.pt"
        if stop_after is None:
            return run_tts_search(cfg, "seminas", trainer, sampler, dev, data, out, start)
        ev = SupernetEvaluator(trainer, sampler, dev, data, cfg.evaluator, out, start)

        def hook(it, strategy, budget):  # dies after iteration 1 (0-based) is scored, before its state is saved
            if it == stop_after:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_search(SPACE, ev, "seminas", cfg.seminas, cfg.budget, cfg.seed, out, hook=hook)

    full = search(tmp_path / "full", "a")
    search(tmp_path / "cut", "b", stop_after=1)
    scored_before = len((tmp_path / "cut" / "scores.jsonl").read_text().splitlines())
    assert scored_before == 6  # 4 initial + 2 of the interrupted iteration
    resumed = search(tmp_path / "cut", "b")
    assert resumed["reused_scores"] == 2 and resumed["scored_now"] == 2
    a = [json.loads(x) for x in (tmp_path / "full" / "queries.jsonl").read_text().splitlines()]
    b = [json.loads(x) for x in (tmp_path / "cut" / "queries.jsonl").read_text().splitlines()]
    assert [(q["key"], q["metrics"]) for q in a] == [(q["key"], q["metrics"]) for q in b] and len(a) == 8
    assert full["best_arch"] == resumed["best_arch"]
    lines = (tmp_path / "cut" / "best_archs.txt").read_text().splitlines()
    rows = [line.split(maxsplit=5) for line in lines[2:]]  # rank, dfr, fr, pcr, query, architecture
    assert [int(r[0]) for r in rows] == list(range(1, 9))  # all 8 architectures, ranked
    dfrs = [float(r[1]) for r in rows]
    assert dfrs == sorted(dfrs, reverse=True) and dfrs[0] == pytest.approx(resumed["best_dfr"], abs=1e-4)
    assert rows[0][5] == resumed["best_arch"]
    assert sorted(r[5] for r in rows) == sorted(q["arch"] for q in b)

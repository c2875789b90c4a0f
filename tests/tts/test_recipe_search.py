"""Stage 4 pieces: the supernet's training pool is exactly what a search queries first; the supernet evaluator
scores in [0, 1], reuses cached scores, trains and pins the supernet between iterations, and a killed search
resumes with the same result."""
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
    small = dict(initial=4, new_per_iteration=2, top_k=4, iterations=1, pretrain_epochs=20, train_epochs=5)
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


def test_evaluator_scores_caches_and_trains_between_iterations(tmp_path):
    trainer, sampler, data = _trainer(tmp_path)
    start = trainer.ckpt_dir / "ckpt_00000003.pt"
    dev = [random_batch([7, 4], [10, 6], seed=9), {k: v for k, v in random_batch([5], [1], seed=8).items()
                                                      if k in ("utt_ids", "text", "text_lengths")}]
    cfg = EvaluatorConfig(decode=DecodeConfig(seed=0, max_len_offset=8), steps_per_iteration=2)
    ev = SupernetEvaluator(trainer, sampler, dev, data, cfg, tmp_path / "search", start)
    archs = [SPACE.sample(np.random.default_rng(i)) for i in range(3)]
    res = ev.evaluate(archs)
    assert ev.scored == 3 and all(0.0 <= r.metrics["dfr"] <= 1.0 and r.cost > 0 for r in res)
    assert len((tmp_path / "search" / "scores.jsonl").read_text().splitlines()) == 3
    # a new evaluator over the same directory (a restarted run) re-scores nothing at the same supernet step
    again = SupernetEvaluator(trainer, sampler, dev, data, cfg, tmp_path / "search", start)
    res2 = again.evaluate(archs[::-1])
    assert again.scored == 0 and again.reused == 3
    assert [r.metrics for r in res2] == [r.metrics for r in res[::-1]]

    class _Budget:  # what the hook reads from the NAS core's budget
        exhausted, used = False, 3

        def labelled(self):
            return archs, [r.metrics["dfr"] for r in res]

    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    ev.after_iteration(1, None, _Budget())
    assert trainer.step == 5 and sampler.pool == archs
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    state = ev.state_dict()
    assert state["step"] == 5 and (tmp_path / "sn" / "pinned" / "iter1_ckpt_00000005.pt").is_file()
    # scores after training are new work: the cache is keyed by the supernet step
    assert ev.evaluate(archs[:1]) and ev.scored == 4
    # restoring the state brings the step-5 weights back after more training
    weights5 = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    ev.after_iteration(2, None, _Budget())
    pinned = sorted(p.name for p in (tmp_path / "sn" / "pinned").iterdir())
    assert trainer.step == 7 and pinned == ["iter1_ckpt_00000005.pt", "iter2_ckpt_00000007.pt"]
    ev.load_state_dict(state | {"checkpoint": str(tmp_path / "sn" / "checkpoints" / "ckpt_00000005.pt")})
    assert trainer.step == 5 and all(torch.equal(weights5[k], v) for k, v in trainer.model.state_dict().items())
    with pytest.raises(FileNotFoundError, match="gone"):
        ev.load_state_dict({"step": 9, "checkpoint": str(tmp_path / "nowhere.pt")})


def test_killed_search_resumes_to_the_same_result(tmp_path):
    cfg = _search_cfg(evaluator=EvaluatorConfig(decode=DecodeConfig(seed=0), steps_per_iteration=2))
    cfg.seminas.iterations, cfg.budget = 2, 8
    dev = [random_batch([7, 4], [10, 6], seed=9)]

    def search(out, name, stop_after=None):
        trainer, sampler, data = _trainer(tmp_path, name)
        start = trainer.ckpt_dir / "ckpt_00000003.pt"
        if stop_after is None:
            return run_tts_search(cfg, "seminas", trainer, sampler, dev, data, out, start)
        ev = SupernetEvaluator(trainer, sampler, dev, data, cfg.evaluator, out, start)

        def hook(it, strategy, budget):  # dies in the hook after iteration 1 (0-based), before its state is saved
            if it == stop_after:
                raise KeyboardInterrupt
            ev.after_iteration(it, strategy, budget)

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
    assert lines[2].split()[-1] != "" and resumed["best_arch"] in lines[2]

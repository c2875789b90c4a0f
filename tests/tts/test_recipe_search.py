"""Stage 4 pieces: the supernet's training pool is exactly what a search queries first; the one-shot task trains
the paths it is given, scores as the mean over decoding seeds, reuses cached scores, pins the checkpoint the saved
state refers to; a search re-scores the whole pool each iteration and, killed, resumes to the same result."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from speechnas.nas.evaluator import FunctionalEvaluator, Result
from speechnas.nas.run import run_search
from speechnas.nas.seminas import SemiNASConfig
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.tts.model.arch import TTSSearchSpace
from speechnas.tts.decoding.decode import DecodeConfig
from speechnas.tts.model.backbone import TTSModelConfig
from speechnas.tts.recipe.config import EvaluatorConfig, SearchStageConfig
from speechnas.nas.oneshot import run_oneshot_search
from speechnas.tts.recipe.search import TTSSupernetTask, architecture_pool, oneshot_config, run_tts_search
from speechnas.tts.model.supernet import ArchSampler, SuperNet
from speechnas.tts.training.trainer import Trainer, TrainConfig

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


def test_task_trains_scores_over_seeds_caches_and_pins(tmp_path):
    trainer, sampler, data = _trainer(tmp_path)
    start = trainer.ckpt_dir / "ckpt_00000003.pt"
    dev = [random_batch([7, 4], [10, 6], seed=9), {k: v for k, v in random_batch([5], [1], seed=8).items()
                                                      if k in ("utt_ids", "text", "text_lengths")}]
    cfg = EvaluatorConfig(decode=DecodeConfig(max_len_offset=8), seeds=[0, 1, 2], steps_per_new_arch=1)
    task = TTSSupernetTask(trainer, sampler, dev, data, cfg, tmp_path / "search", start, frames_per_token=1.5)
    pool = list(sampler.pool)
    res = task.score(pool)  # the architectures stage 3 trained on: scored as they are, 3 decoding seeds
    assert trainer.step == 3 and task.scored == 3 and 0.0 <= res[0]["dfr"] <= 1.0
    assert res[0]["dfr_std"] >= 0 and {"dfr", "dfr_paper", "fr", "pcr"} <= set(res[0])
    recs = [json.loads(x) for x in (tmp_path / "search" / "score_cache.jsonl").read_text().splitlines()]
    assert [r["seed"] for r in recs] == [0, 1, 2]
    assert res[0]["dfr"] == pytest.approx(np.mean([r["metrics"]["dfr"] for r in recs]))
    new = [SPACE.sample(np.random.default_rng(i)) for i in range(1, 4)]
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    task.train_paths(new, 3)
    assert trainer.step == 6 and sampler.pool == new
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    scores6 = task.score(new)
    # a new task over the same directory (a restarted run) re-scores nothing at the same supernet step
    again = TTSSupernetTask(trainer, sampler, dev, data, cfg, tmp_path / "search", start, frames_per_token=1.5)
    assert again.score(new[::-1]) == scores6[::-1] and again.scored == 0 and again.reused == 9
    state = task.state_dict()
    assert state["step"] == 6
    weights6 = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    task.train_paths(pool + new, 2)
    assert trainer.step == 8 and sampler.pool == pool + new
    pinned = sorted(p.name for p in (tmp_path / "sn" / "pinned").iterdir())
    assert pinned == ["ckpt_00000006.pt", "ckpt_00000008.pt"]  # the saved state's checkpoint is kept
    task.load_state_dict(state)  # back to the state saved at step 6
    assert trainer.step == 6
    assert all(torch.equal(weights6[k], v) for k, v in trainer.model.state_dict().items())
    with pytest.raises(FileNotFoundError, match="gone"):
        task.load_state_dict({"step": 9, "checkpoint": str(tmp_path / "nowhere.pt")})
    blind = task.text_blind()
    assert blind["mean"] is None and "text-only" in blind["note"]  # the second dev batch has no audio
    assert 0.0 < TTSSupernetTask(trainer, sampler, dev[:1], data, cfg, tmp_path / "s2", start,
                                 frames_per_token=1.5).text_blind()["mean"] <= 1.0


def test_killed_search_resumes_to_the_same_result(tmp_path):
    cfg = _search_cfg(evaluator=EvaluatorConfig(decode=DecodeConfig(), seeds=[0, 1], steps_per_new_arch=1,
                                                pool_steps_per_arch=1))
    cfg.seminas.iterations, cfg.budget = 2, 8
    dev = [random_batch([7, 4], [10, 6], seed=9)]

    def search(out, name, stop_after=None):
        trainer, sampler, data = _trainer(tmp_path, name)
        sampler.pool = architecture_pool(SPACE, cfg, "seminas")  # what "stage 3" trained on
        start = trainer.ckpt_dir / "ckpt_00000003.pt"
        if stop_after is None:
            return run_tts_search(cfg, "seminas", trainer, sampler, dev, data, out, start, 1.5)
        task = TTSSupernetTask(trainer, sampler, dev, data, cfg.evaluator, out, start, 1.5)

        def hook(it, res):  # dies after iteration 1 (0-based) is scored and saved
            if it == stop_after:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_oneshot_search(SPACE, task, "seminas", cfg.seminas, cfg.budget, cfg.seed, out,
                               cfg=oneshot_config(cfg.evaluator), hook=hook)

    full = search(tmp_path / "full", "a")
    search(tmp_path / "cut", "b", stop_after=1)
    resumed = search(tmp_path / "cut", "b")
    a = [json.loads(x) for x in (tmp_path / "full" / "queries.jsonl").read_text().splitlines()]
    b = [json.loads(x) for x in (tmp_path / "cut" / "queries.jsonl").read_text().splitlines()]
    assert [(q["key"], q["metrics"]) for q in a] == [(q["key"], q["metrics"]) for q in b] and len(a) == 8
    assert full["best_arch"] == resumed["best_arch"] and full["best_dfr"] == resumed["best_dfr"]
    scores = [json.loads(x) for x in (tmp_path / "full" / "scores.jsonl").read_text().splitlines()]
    assert [sum(s["iteration"] == it for s in scores) for it in range(3)] == [4, 6, 8]  # the whole pool each time
    assert len({s["supernet_step"] for s in scores}) == 3
    lines = (tmp_path / "cut" / "ranking.txt").read_text().splitlines()
    rows = [line.split(maxsplit=4) for line in lines[2:]]  # rank, latest dfr, first dfr, query, architecture
    assert [int(r[0]) for r in rows] == list(range(1, 9))
    dfrs = [float(r[1]) for r in rows]
    assert dfrs == sorted(dfrs, reverse=True) and dfrs[0] == pytest.approx(resumed["best_dfr"], abs=1e-4)
    assert rows[0][4] == resumed["best_arch"]
    result = json.loads((tmp_path / "cut" / "result.json").read_text())
    assert result["finished"] and result["best"]["arch"] == resumed["best_arch"]

"""Stages 3-5 as library calls on tiny models: a re-run with settings the earlier work does not hold fails before
it rewrites anything (supernet, search, final model), and a stage-5 re-run that still has to train is not
"finished" while it trains."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from speechnas.audio.functional import MelConfig
from speechnas.nas.random_search import RandomSearchConfig
from speechnas.text.tokens import TokenList
from speechnas.tts.decoding.decode import DecodeConfig
from speechnas.tts.model.backbone import TTSModelConfig
from speechnas.tts.recipe.config import EvaluatorConfig, RecipeConfig, SearchStageConfig
from speechnas.tts.recipe.search_stage import search_stage
from speechnas.tts.recipe.supernet_stage import train_supernet_stage
from speechnas.tts.recipe.train_stage import final_architectures, model_names, train_model_stage, trained_model_dir
from speechnas.tts.training.trainer import TrainConfig

from tts_testdata import random_batch

TOKENS = TokenList.characters()
ARCH = "enc: conv5 tf2 | dec: tf2 lstm"


class FakeData:
    """What the stages read from stages 1-2 (:class:`speechnas.tts.recipe.data.RecipeData`), from random batches."""

    def __init__(self, root: Path, interrupt: bool = False):
        self.tokens, self.token_type = TOKENS, "char"
        self.tokens_path, self.stats_path = root / "tokens.txt", root / "stats.npz"
        TOKENS.write(self.tokens_path)
        np.savez(self.stats_path, mean=np.zeros(80, np.float32), std=np.ones(80, np.float32))
        self.root, self.interrupt = root, interrupt
        self.batches = [random_batch([6, 5], [12, 9], vocab=len(TOKENS), seed=i) for i in range(2)]

    frames_per_token = 1.5

    def mel_config(self) -> MelConfig:
        return MelConfig()

    def decode_config(self, decode):
        return decode

    def data_dir(self, name: str) -> Path:
        (self.root / name).mkdir(exist_ok=True)  # no wav.scp: stage 5 skips the teacher-forced dev check
        return self.root / name

    def train_loader(self, *args, **kwargs):
        if self.interrupt:
            raise KeyboardInterrupt  # the run is killed as training starts
        return self.batches

    def fixed_batches(self, name: str, batch_frames: int, limit: int = 0, decode=None) -> list[dict]:
        dev = random_batch([7, 4, 5], [10, 6, 8], vocab=len(TOKENS), seed=9)
        n = limit or 3
        return [{k: v[:n] for k, v in dev.items()}]


def _cfg() -> RecipeConfig:
    model = TTSModelConfig(hidden_size=16, prenet_size=8, encoder_layers=2, decoder_layers=2)
    train = TrainConfig(lr=1e-3, warmup_steps=1, max_steps=2, log_every=100, image_every=0, save_every=100,
                        device="cpu")
    search = SearchStageConfig(method="random", budget=2, seed=1, random=RandomSearchConfig(batch_size=2),
                               evaluator=EvaluatorConfig(decode=DecodeConfig(seed=0, max_len_offset=8),
                                                         steps_per_new_arch=1))
    return RecipeConfig(search_model=model, supernet=train, search=search, final_model=model, final_train=train)


def test_stages_3_4_refuse_changed_settings_before_writing(tmp_path):
    cfg, data, exp = _cfg(), FakeData(tmp_path), tmp_path / "exp"
    assert train_supernet_stage(cfg, data, exp)["step"] == 2
    recorded = (exp / "supernet" / "config.yaml").read_bytes()
    bigger = replace(cfg, search_model=replace(cfg.search_model, hidden_size=24))
    with pytest.raises(ValueError, match=r"model\.hidden_size \(16, now 24\).*remove .*supernet"):
        train_supernet_stage(bigger, data, exp)
    assert (exp / "supernet" / "config.yaml").read_bytes() == recorded  # the trainer never started
    assert search_stage(cfg, data, exp, "random")["architectures"] == 2
    search_cfg = exp / "search" / "random" / "supernet" / "config.yaml"
    recorded, scores = search_cfg.read_bytes(), (exp / "search" / "random" / "scores.jsonl").read_text()
    fewer = replace(cfg, search=replace(cfg.search, evaluator=replace(cfg.search.evaluator, dev_utterances=2)))
    changed = r"different dev \(.*\), evaluator\.dev_utterances \(0, now 2\); remove .*random"
    with pytest.raises(ValueError, match=changed):  # which settings changed, and what to remove
        search_stage(fewer, data, exp, "random")
    assert search_cfg.read_bytes() == recorded
    assert (exp / "search" / "random" / "scores.jsonl").read_text() == scores
    assert search_stage(cfg, data, exp, "random")["best_dfr"] >= 0  # the same settings: resumes (finished)


def test_stage5_checks_the_model_first_and_unfinished_training_is_not_done(tmp_path):
    cfg, data, exp = _cfg(), FakeData(tmp_path), tmp_path / "exp"
    assert train_model_stage(cfg, data, exp, "found", ARCH)["step"] == 2
    out = trained_model_dir(exp, "found")
    assert json.loads((out / "done.json").read_text())["steps"] == 2
    model_yaml = (out / "model.yaml").read_bytes()
    wider = replace(cfg, final_model=replace(cfg.final_model, hidden_size=24))
    with pytest.raises(ValueError, match=r"model\.hidden_size \(16, now 24\)"):
        train_model_stage(wider, data, exp, "found", ARCH)
    assert (out / "model.yaml").read_bytes() == model_yaml  # still describes the checkpoints
    longer = replace(cfg, final_train=replace(cfg.final_train, max_steps=4))
    with pytest.raises(KeyboardInterrupt):  # more steps asked for, and the re-run is killed
        train_model_stage(longer, FakeData(tmp_path, interrupt=True), exp, "found", ARCH)
    with pytest.raises(FileNotFoundError, match="done.json not found"):
        trained_model_dir(exp, "found")  # a half-trained model never looks finished
    assert train_model_stage(longer, data, exp, "found", ARCH)["step"] == 4
    assert json.loads((trained_model_dir(exp, "found") / "done.json").read_text())["steps"] == 4


def test_final_architectures_follow_model_names(tmp_path):
    cfg = _cfg()
    for method, arch in (("seminas", ARCH), ("nao", "enc: tf2 tf2 | dec: lstm lstm")):
        (tmp_path / "search" / method).mkdir(parents=True)
        (tmp_path / "search" / method / "result.json").write_text(
            json.dumps({"finished": True, "best": {"arch": arch}}))
    archs = final_architectures(cfg, tmp_path, "seminas", baselines=True)
    assert list(archs) == model_names("seminas", True) == ["found", "transformer", "nao"]
    assert [str(a) for a in archs.values()] == [ARCH, "enc: tf4 tf4 | dec: tf4 tf4", "enc: tf2 tf2 | dec: lstm lstm"]
    assert list(final_architectures(cfg, tmp_path, "nao", baselines=True)) == ["found", "transformer"]
    assert str(final_architectures(cfg, tmp_path, "nao", baselines=False)["found"]) == "enc: tf2 tf2 | dec: lstm lstm"


@pytest.mark.parametrize("conf", ["low_resource.yaml", "robustness.yaml", "full.yaml", "mini.yaml", "cpu.yaml"])
def test_shipped_recipe_configs_load_and_keep_the_paper_rules(conf):
    """Every shipped stage 3-8 config is valid; the paper settings limit guided attention to the first 10%."""
    from speechnas.tts.recipe.config import load_recipe_config

    cfg = load_recipe_config(str(Path(__file__).resolve().parents[2] / "egs" / "ljspeech" / "conf" / conf))
    assert len(cfg.search.evaluator.seeds) >= 3 and cfg.search.evaluator.decode.max_len_ratio is None
    initial = cfg.search.initial_count(cfg.search.method)
    assert initial + cfg.search.seminas.iterations * cfg.search.seminas.new_per_iteration >= cfg.search.budget
    if conf in ("low_resource.yaml", "robustness.yaml", "full.yaml"):
        for train in (cfg.supernet, cfg.final_train):
            assert 0 < train.loss.guided_attn_until <= 0.1 * train.max_steps
        assert cfg.search.seminas.pretrain_epochs == 10000 and cfg.search.seminas.unlabelled == 4000

"""The paper's controller schedules are presets, and the NAS-Bench-101 configs are exactly those presets."""
from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import REPO
from speechnas.nas.nasbench101.experiment import ExperimentConfig
from speechnas.nas.presets import PRESETS, nao_of, preset
from speechnas.nas.seminas import SemiNASConfig
from speechnas.utils.config import load_config, to_dict

CONF = REPO / "recipes" / "nasbench101" / "conf"


@pytest.mark.parametrize("name, n, m, k, new, iters, up, pre, semi, scaling, sigmoid, hidden, mlp, lr, eta", [
    ("nb101_q300", 100, 10_000, 100, 100, 2, 100, 10_000, 1_000, "minmax", True, 64, 16, 1e-3, 1.0),
    ("nb101_q2000", 1_100, 10_000, 100, 300, 3, 10, 1_000, 500, "fixed", False, 64, 16, 1e-3, 1.0),
    ("imagenet", 100, 4_000, 100, 100, 3, 1, 10_000, 1_000, "minmax", True, 16, 64, 1e-3, 0.1),
    ("tts", 100, 4_000, 100, 100, 3, 1, 10_000, 1_000, "minmax", True, 16, 64, 1e-3, 0.1),
])
def test_paper_schedules(name, n, m, k, new, iters, up, pre, semi, scaling, sigmoid, hidden, mlp, lr, eta):
    """Numbers from ../shared/reference/seminas_nao.md (sections 1.5-1.7, 2.5, 3.6)."""
    c = preset(name)
    assert (c.initial, c.unlabelled, c.top_k, c.new_per_iteration, c.iterations, c.upsample) == (n, m, k, new, iters, up)
    assert c.pretrain_epochs == c.train_epochs == pre and c.semi_epochs == semi  # the labelled phase every iteration
    assert (c.target_scaling, c.controller.sigmoid, c.controller.hidden_size, c.controller.mlp_hidden) == (scaling, sigmoid, hidden, mlp)
    assert (c.train.lr, c.train.weight_decay, c.train.batch_size, c.train.grad_clip, c.train.trade_off) == (lr, 1e-4, 100, 5.0, 0.8)
    assert (c.ascent.step_start, c.ascent.step_growth, c.ascent.step_max) == (eta, eta, 100.0)
    assert c.fill_random is False and c.candidate_factor == 1.0 and c.semi_batch_size == 100
    assert (c.train.optimizer, c.train.keep_optimizer) == (("adamw", True) if name == "tts" else ("adam", False))
    assert n + iters * new == {"nb101_q300": 300, "nb101_q2000": 2000}.get(name, 400)


def test_fixed_targets_are_the_official_constants_in_percent():
    c = preset("nb101_q2000")
    assert (c.target_mean, c.target_std, c.target_clip) == (90.8192301, 2.3961, 0.0)


def test_fast_preset_is_the_code_default_and_presets_are_fresh_copies():
    assert preset("fast") == SemiNASConfig()
    a, b = preset("nb101_q300"), preset("nb101_q300")
    a.controller.hidden_size = 1
    assert b.controller.hidden_size == 64
    assert nao_of(b).unlabelled == 0 and nao_of(b).pretrain_epochs == 10_000
    with pytest.raises(ValueError, match="unknown SemiNAS preset 'nb201'.*nb101_q300"):
        preset("nb201")
    assert set(PRESETS) == {"nb101_q300", "nb101_q2000", "imagenet", "tts", "fast"}


@pytest.mark.parametrize("conf, name, screen_semi", [("q300.yaml", "nb101_q300", 100), ("q2000.yaml", "nb101_q2000", 50)])
def test_nasbench101_configs_are_the_presets(conf, name, screen_semi):
    cfg = load_config(ExperimentConfig, CONF / conf)
    assert cfg.seminas == preset(name)
    assert cfg.nao == nao_of(preset(name))
    screen = to_dict(cfg.seminas_screen)
    assert screen == to_dict(replace(preset(name), unlabelled=100_000, semi_epochs=screen_semi))
    assert {"seminas", "seminas_screen", "nao", "re", "random"} <= set(cfg.methods)
    for method in ("seminas", "seminas_screen", "seminas_re"):  # never the whole 423,624-cell space
        assert getattr(cfg, method).unlabelled > 0

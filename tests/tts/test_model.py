"""Backbone, standalone model and supernet: a supernet path equals the standalone model with copied weights
(outputs and gradients), padding changes nothing, the post-net is optional."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from speechnas.tts.model.arch import TTSSearchSpace, from_str
from speechnas.tts.training.loss import LossConfig, tts_loss
from speechnas.tts.model.backbone import TTSModel, TTSModelConfig
from speechnas.tts.model.supernet import ArchSampler, SuperNet

from tts_testdata import VOCAB_SIZE, random_batch

CFG = TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16, prenet_size=8, encoder_layers=3, decoder_layers=3,
                     arch="enc: conv5 tf2 lstm | dec: tf4 conv9 lstm")


def _batch():
    return random_batch([7, 5, 3], [11, 8, 6], seed=4)


def _ones_masks(model, batch):
    b, t = batch["feats"].shape[:2]
    return model.prenet.draw_masks(b, t, enabled=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_supernet_path_equals_standalone_with_copied_weights(seed):
    torch.manual_seed(seed)
    supernet = SuperNet(CFG)
    arch = TTSSearchSpace(3, 3).sample(np.random.default_rng(seed))
    standalone = supernet.standalone(arch)
    assert set(standalone.state_dict()) == set(supernet.path_state_dict(arch))
    assert standalone.num_parameters() < supernet.num_parameters() / 4
    batch = _batch()
    loss_cfg = LossConfig(guided_attn_layers=[-1], guided_attn_heads=1)
    # training mode: the same dropout draws in the same order, so outputs and gradients agree
    torch.manual_seed(100)
    out_s = supernet(batch, arch)
    loss_s, _ = tts_loss(out_s, batch, loss_cfg)
    loss_s.backward()
    torch.manual_seed(100)
    out_a = standalone(batch)
    loss_a, _ = tts_loss(out_a, batch, loss_cfg)
    loss_a.backward()
    torch.testing.assert_close(out_a["mel"], out_s["mel"], atol=1e-6, rtol=0)
    torch.testing.assert_close(loss_a, loss_s, atol=1e-6, rtol=0)
    grads_s = {n: p.grad for n, p in supernet.named_parameters()}
    mapped = {}
    for name, p in standalone.named_parameters():
        parts = name.split(".")
        if parts[0] in ("encoder", "decoder"):
            op = (arch.encoder if parts[0] == "encoder" else arch.decoder)[int(parts[1])] - 1
            parts.insert(2, str(op))
        mapped[".".join(parts)] = p.grad
        if p.grad is not None:
            torch.testing.assert_close(p.grad, grads_s[".".join(parts)], atol=1e-6, rtol=0)
    # ops off the path got no gradient at all (single-path training)
    assert all(g is None for n, g in grads_s.items() if n not in mapped)


def test_supernet_needs_a_fitting_architecture():
    supernet = SuperNet(CFG)
    with pytest.raises(ValueError, match="needs an architecture"):
        supernet(_batch())
    with pytest.raises(ValueError, match="does not fit"):
        supernet(_batch(), from_str("enc: conv5 conv5 | dec: conv5 conv5"))


def test_standalone_model_checks_its_architecture():
    with pytest.raises(ValueError, match="encoder_layers=6"):
        TTSModel(TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16), "enc: conv5 | dec: conv5")
    model = TTSModel(CFG)
    assert str(model.arch) == CFG.arch
    with pytest.raises(ValueError, match="not"):
        model(_batch(), from_str("enc: conv1 conv1 conv1 | dec: conv1 conv1 conv1"))


@pytest.mark.parametrize("postnet", [False, True])
def test_padding_does_not_change_any_utterance(postnet):
    torch.manual_seed(0)
    cfg = TTSModelConfig(**{**CFG.__dict__, "postnet": postnet, "postnet_channels": 8})
    model = TTSModel(cfg).eval()
    batch = _batch()
    with torch.no_grad():
        out = model(batch, prenet_masks=_ones_masks(model, batch))
        for b in range(3):
            lt, lf = int(batch["text_lengths"][b]), int(batch["feats_lengths"][b])
            single = {"text": batch["text"][b: b + 1, :lt], "text_lengths": batch["text_lengths"][b: b + 1],
                      "feats": batch["feats"][b: b + 1, :lf], "feats_lengths": batch["feats_lengths"][b: b + 1]}
            alone = model(single, prenet_masks=_ones_masks(model, single))
            torch.testing.assert_close(out["mel"][b, :lf], alone["mel"][0], atol=1e-5, rtol=0)
            torch.testing.assert_close(out["stop_logits"][b, :lf], alone["stop_logits"][0], atol=1e-5, rtol=0)
            for a, a1 in zip(out["attentions"], alone["attentions"]):
                torch.testing.assert_close(a[b, :, :lf, :lt], a1[0], atol=1e-5, rtol=0)
    assert out["mel"].shape == (3, 11, 80) and out["stop_logits"].shape == (3, 11)
    assert (out["mel"] is out["mel_before"]) == (not postnet)
    _, stats = tts_loss(out, batch, LossConfig())
    assert ("postnet_l1" in stats) == postnet


def test_prenet_dropout_stays_on_in_eval_mode_unless_masked():
    torch.manual_seed(0)
    model = TTSModel(CFG).eval()
    batch = _batch()
    with torch.no_grad():
        a, b = model(batch)["mel"], model(batch)["mel"]
        c, d = (model(batch, prenet_masks=_ones_masks(model, batch))["mel"] for _ in range(2))
    assert not torch.allclose(a, b)  # dropout on at inference (as trained)
    torch.testing.assert_close(c, d, atol=0, rtol=0)


def test_arch_sampler_is_a_function_of_step_and_respects_the_pool():
    space = TTSSearchSpace(3, 3)
    sampler = ArchSampler(space, seed=5)
    assert [sampler(s) for s in range(20)] == [ArchSampler(space, seed=5)(s) for s in range(20)]
    assert len({sampler(s) for s in range(20)}) == 20
    pool = [space.sample(np.random.default_rng(i)) for i in range(3)]
    drawn = [ArchSampler(space, pool, seed=1)(s) for s in range(60)]
    assert set(drawn) == set(pool)
    with pytest.raises(ValueError):
        ArchSampler(space, [from_str(CFG.arch.replace("lstm |", "lstm conv1 |"))])

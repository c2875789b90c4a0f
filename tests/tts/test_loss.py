"""Losses and the learning-rate schedule: padding is ignored, stop targets the last real frame, guided
attention rewards the diagonal and can be limited to the first steps."""
from __future__ import annotations

import math

import pytest
import torch

from speechnas.tts.training.loss import (
    LossConfig, guided_attention_loss, guided_attention_weights, masked_mel_losses, stop_loss, to_floats, tts_loss,
)
from speechnas.tts.training.trainer import learning_rate


def test_mel_losses_ignore_padding():
    g = torch.Generator().manual_seed(0)
    target = torch.randn(2, 10, 80, generator=g)
    pred = target + 0.5
    lengths = torch.tensor([10, 6])
    l1, mse = masked_mel_losses(pred, target, lengths)
    assert float(l1) == pytest.approx(0.5) and float(mse) == pytest.approx(0.25)
    pred[1, 6:] = 1e3  # garbage after the end
    assert float(masked_mel_losses(pred, target, lengths)[0]) == pytest.approx(0.5)


def test_stop_loss_targets_the_last_real_frame():
    lengths = torch.tensor([5, 3])
    good = torch.full((2, 7), -20.0)
    good[0, 4] = good[1, 2] = 20.0
    good[1, 3:] = 50.0  # padding is ignored whatever it says
    assert float(stop_loss(good, lengths, 5.0)) < 1e-6
    late = torch.full((2, 7), -20.0)
    late[0, 3] = late[1, 1] = 20.0  # one frame early
    assert float(stop_loss(late, lengths, 5.0)) > 5.0
    zero = torch.zeros(2, 7)  # p = 0.5 everywhere: (8 frames * log 2 + 2 positives * 4 extra) / (8 + 2 * 4)
    assert float(stop_loss(zero, lengths, 5.0)) == pytest.approx(math.log(2), rel=1e-5)


def _diag_attention(t, s, heads=2):
    a = torch.zeros(1, heads, t, s)
    a[0, :, torch.arange(t), (torch.arange(t) * s) // t] = 1.0
    return a


def test_guided_attention_prefers_the_diagonal():
    t, s = 60, 15
    w = guided_attention_weights(torch.tensor([t]), torch.tensor([s]), t + 5, s + 3, 0.2)
    assert w.shape == (1, t + 5, s + 3)
    assert float(w[0, t:].abs().sum()) == 0 and float(w[0, :, s:].abs().sum()) == 0
    assert float(w[0, 0, 0]) == 0 and float(w[0, t - 1, 0]) > 0.99
    diag = _diag_attention(t, s)
    anti = diag.flip(2)
    uniform = torch.full((1, 2, t, s), 1.0 / s)
    losses = [float(guided_attention_loss([x], torch.tensor([t]), torch.tensor([s]), [-1], 2, 0.2))
              for x in (diag, uniform, anti)]
    assert losses[0] < 0.03 < 0.3 < losses[1] < losses[2] and losses[2] > 0.7


def test_guided_attention_only_until_the_configured_step():
    t, s = 12, 5
    out = {"mel_before": torch.zeros(1, t, 80, requires_grad=True), "stop_logits": torch.zeros(1, t),
           "attentions": [_diag_attention(t, s, 1), _diag_attention(t, s, 4).flip(2)]}
    out["mel"] = out["mel_before"]
    batch = {"feats": torch.zeros(1, t, 80), "feats_lengths": torch.tensor([t]), "text_lengths": torch.tensor([s])}
    cfg = LossConfig(guided_attn_until=100, guided_attn_layers=[0, 1], guided_attn_heads=2)
    total, parts = tts_loss(out, batch, cfg, step=100)
    assert total.requires_grad and all(isinstance(v, torch.Tensor) and not v.requires_grad for v in parts.values())
    stats = to_floats(parts)
    assert "guided_attn" in stats and stats["loss"] == pytest.approx(float(total.detach()))
    total2, stats2 = tts_loss(out, batch, cfg, step=101)
    assert "guided_attn" not in stats2
    assert float(total.detach()) - float(total2.detach()) == pytest.approx(stats["guided_attn"], rel=1e-5)
    assert stats["guided_attn"] > 0.2  # the flipped layer is penalised, averaged with the clean one


def test_learning_rate_warms_up_then_decays_with_inverse_sqrt():
    peak, warm = 2e-3, 100
    lrs = [learning_rate(s, peak, warm) for s in range(400)]
    assert lrs[0] == pytest.approx(peak / warm) and lrs[warm - 1] == pytest.approx(peak)
    assert all(a < b for a, b in zip(lrs[: warm - 1], lrs[1:warm]))
    assert lrs[4 * warm - 1] == pytest.approx(peak / 2)

"""Autoregressive decoding: free-running equals teacher forcing on the generated frames, incremental equals
recomputing the prefix, batched per-utterance stopping, the maximum length, the monotonic constraint."""
from __future__ import annotations

import pytest
import torch

from speechnas.tts.decoding.decode import DecodeConfig, generate, max_lengths
from speechnas.tts.decoding.monotonic import find_diagonal_heads
from speechnas.tts.model.backbone import TTSModel, TTSModelConfig
from speechnas.tts.model.supernet import SuperNet
from speechnas.tts.model.arch import from_str

from tts_testdata import VOCAB_SIZE, random_batch

ARCH = "enc: conv5 tf2 lstm | dec: tf4 conv9 lstm"


def _model(postnet=False, seed=0):
    torch.manual_seed(seed)
    cfg = TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16, prenet_size=8, encoder_layers=3, decoder_layers=3,
                         arch=ARCH, postnet=postnet, postnet_channels=8)
    return TTSModel(cfg)


def _text():
    b = random_batch([9, 6, 4], [1, 1, 1], seed=7)
    return b["text"], b["text_lengths"]


@pytest.mark.parametrize("postnet", [False, True])
def test_free_running_equals_teacher_forcing_on_generated_frames(postnet):
    model = _model(postnet)
    text, tl = _text()
    out = generate(model, text, tl, DecodeConfig(seed=3, max_len_offset=12, stop_threshold=2.0))  # dropout on
    assert out["mel_before"].shape == (3, int(out["lengths"].max()), 80)
    model.eval()
    with torch.no_grad():
        tf = model({"text": text, "text_lengths": tl, "feats": out["mel_before"], "feats_lengths": out["lengths"]},
                   prenet_masks=out["prenet_masks"])
    for b, n in enumerate(out["lengths"].tolist()):
        torch.testing.assert_close(tf["mel_before"][b, :n], out["mel_before"][b, :n], atol=1e-5, rtol=0)
        torch.testing.assert_close(tf["mel"][b, :n], out["mel"][b, :n], atol=1e-5, rtol=0)
        torch.testing.assert_close(torch.sigmoid(tf["stop_logits"][b, :n]), out["stop_probs"][b, :n], atol=1e-5, rtol=0)
        for a_tf, a_fr in zip(tf["attentions"], out["attentions"]):
            torch.testing.assert_close(a_tf[b, :, :n], a_fr[b, :, :n], atol=1e-5, rtol=0)
        assert float(out["mel_before"][b, n:].abs().sum()) == 0.0  # zero padding after the end


def test_incremental_state_equals_recomputing_the_prefix_on_a_supernet_path():
    torch.manual_seed(0)
    cfg = TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16, prenet_size=8, encoder_layers=3, decoder_layers=3)
    supernet = SuperNet(cfg)
    arch = from_str("enc: tf8 conv1 lstm | dec: lstm tf2 conv25")
    text, tl = _text()
    cfg_d = DecodeConfig(seed=1, max_len_offset=10, stop_threshold=2.0)
    a = generate(supernet, text, tl, cfg_d, arch=arch)
    b = generate(supernet, text, tl, cfg_d, arch=arch, incremental=False)
    torch.testing.assert_close(a["mel_before"], b["mel_before"], atol=1e-5, rtol=0)
    for x, y in zip(a["attentions"], b["attentions"]):
        torch.testing.assert_close(x, y, atol=1e-5, rtol=0)
    assert supernet.training  # the training mode is restored


def test_batched_decoding_stops_each_utterance_on_its_own():
    model = _model(seed=2)
    text, tl = _text()
    free = DecodeConfig(prenet_dropout=False, max_len_offset=30, stop_threshold=2.0)
    ref = generate(model, text, tl, free, lengths=torch.tensor([30, 30, 30]))  # stop tracked, never ends
    probs = ref["stop_probs"]
    # a threshold that the utterances cross at different frames
    thr = float(torch.quantile(probs.max(dim=1).values, 0.5)) - 1e-4
    expected = [int((p > thr).nonzero()[0]) + 1 if bool((p > thr).any()) else 30 for p in probs]
    assert len(set(expected)) > 1
    out = generate(model, text, tl, DecodeConfig(prenet_dropout=False, max_len_offset=30, max_len=30, stop_threshold=thr))
    assert out["lengths"].tolist() == expected
    assert out["stopped"].tolist() == [bool((p > thr).any()) for p in probs]
    for b, n in enumerate(expected):
        torch.testing.assert_close(out["mel_before"][b, :n], ref["mel_before"][b, :n], atol=1e-5, rtol=0)
        single = generate(model, text[b: b + 1, : int(tl[b])], tl[b: b + 1],
                          DecodeConfig(prenet_dropout=False, max_len_offset=30, max_len=30, stop_threshold=thr))
        assert single["lengths"].tolist() == [n]
        torch.testing.assert_close(single["mel_before"][0], out["mel_before"][b, :n], atol=1e-5, rtol=0)


def test_maximum_length_without_a_stop():
    model = _model()
    text, tl = _text()
    cfg = DecodeConfig(max_len_ratio=2.0, max_len_offset=3, max_len=15, stop_threshold=2.0, return_attention=False)
    out = generate(model, text, tl, cfg)
    assert out["lengths"].tolist() == [15, 15, 11] == max_lengths(tl, cfg).tolist()
    assert not out["stopped"].any() and out["attentions"] is None


def test_seeded_prenet_dropout_is_reproducible_and_can_be_switched_off():
    model = _model()
    text, tl = _text()
    run = lambda **kw: generate(model, text, tl, DecodeConfig(max_len_offset=8, stop_threshold=2.0, **kw))["mel"]  # noqa: E731
    torch.testing.assert_close(run(seed=4), run(seed=4), atol=0, rtol=0)
    assert not torch.allclose(run(seed=4), run(seed=5))
    torch.testing.assert_close(run(prenet_dropout=False), run(prenet_dropout=False), atol=0, rtol=0)


def test_monotonic_constraint_keeps_diagonal_heads_in_a_forward_moving_window():
    model = _model(seed=3)
    text, tl = _text()
    cfg = DecodeConfig(attn_constraint=True, diagonal_head_threshold=0.0, probe_steps=5, max_len_offset=40,
                       stop_threshold=0.0, prenet_dropout=False)  # every head constrained; stop fires when allowed
    out = generate(model, text, tl, cfg)
    for b, n in enumerate(out["lengths"].tolist()):
        src = int(tl[b]) - 1
        starts = []
        for att in out["attentions"]:
            for frame in att[b, :, :n].reshape(-1, n, att.shape[-1]).transpose(0, 1):  # (heads, S) per frame
                support = (frame.sum(0) > 0).nonzero().squeeze(1)
                assert int(support.max() - support.min()) < cfg.window_back + cfg.window_ahead
                starts.append(int(support.min()))
        # the window start never moves back (checked per layer, frame by frame)
        per_layer = [starts[i * n: (i + 1) * n] for i in range(len(out["attentions"]))]
        assert all(s2 >= s1 for row in per_layer for s1, s2 in zip(row, row[1:]))
        # with stop_threshold 0 the stop fires once pos reaches src_len - 5 (pos may advance on the last frame)
        assert out["stopped"][b]
        assert max(row[-1] for row in per_layer) >= src - cfg.stop_margin - cfg.window_back - 1
        if src - cfg.stop_margin > 0:  # the stop fires at once, but may not end before pos has moved
            assert out["lengths"][b] >= src - cfg.stop_margin  # pos moves at most one token per frame


def test_monotonic_constraint_refuses_prefix_recomputation():
    """The window bias is per frame: recomputing the prefix would apply today's window to every earlier frame."""
    model = _model(seed=3)
    text, tl = _text()
    cfg = DecodeConfig(attn_constraint=True, probe_steps=3, max_len_offset=5, prenet_dropout=False)
    with pytest.raises(ValueError, match="attn_constraint needs incremental"):
        generate(model, text, tl, cfg, incremental=False)
    assert model.training  # refused before the mode was touched
    assert generate(model, text, tl, cfg)["lengths"].min() >= 1  # the incremental path still runs


def test_diagonal_heads_are_those_focused_on_average_over_real_frames():
    t, s = 8, 5
    sharp = torch.zeros(t, s)
    sharp[torch.arange(t), torch.arange(t) * (s - 1) // t] = 1.0
    blur = torch.full((t, s), 1.0 / s)
    att = torch.stack([torch.stack([sharp, blur, 0.65 * sharp + 0.35 * blur])] * 2)  # (B=2, 3 heads, T, S)
    att[1, 1, 4:] = 1.0  # the blur head of utterance 1 is peaked only in its padded frames
    heads = find_diagonal_heads([att], torch.tensor([s, s]), torch.tensor([t, 4]), threshold=0.6)
    assert [h.tolist() for h in heads] == [[[True, False, True], [True, False, True]]]
    assert find_diagonal_heads([att], torch.tensor([s, s]), torch.tensor([t, 4]), threshold=0.75)[0].tolist() == [
        [True, False, False], [True, False, False]]  # 0.65 + 0.35 / 5 = 0.72 on the mixed head

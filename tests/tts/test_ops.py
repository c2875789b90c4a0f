"""The 11 candidate ops: incremental decoding equals the full causal pass, decoders never see the future,
encoders see the whole sequence and ignore padding."""
from __future__ import annotations

import pytest
import torch

from speechnas.tts.model.arch import OP_NAMES, op_kind
from speechnas.tts.model.layers import SelfAttention
from speechnas.tts.model.ops import make_decoder_op, make_encoder_op

H, B, T, S = 16, 3, 14, 9
TOKENS = list(range(1, 12))


def _memory(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    memory = torch.randn(B, S, H, generator=g)
    pad = torch.zeros(B, S, dtype=torch.bool)
    pad[1, 6:] = True
    pad[2, 3:] = True
    return memory.masked_fill(pad[..., None], 0.0), pad


def _decoder(token: int):
    torch.manual_seed(token)
    return make_decoder_op(token, H, dropout=0.1, attention_dropout=0.1, cross_heads=2).eval()


@pytest.mark.parametrize("token", TOKENS, ids=OP_NAMES)
@pytest.mark.parametrize("chunk", [1, 4])
def test_incremental_equals_full_causal_pass(token, chunk):
    op = _decoder(token)
    memory, pad = _memory()
    x = torch.randn(B, T, H, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full, w_full = op(x, memory, pad)
        state: dict = {}
        pieces = [op(x[:, t: t + chunk], memory, pad, state) for t in range(0, T, chunk)]
    inc = torch.cat([p[0] for p in pieces], dim=1)
    w_inc = torch.cat([p[1] for p in pieces], dim=2)
    assert full.shape == (B, T, H) and w_full.shape == (B, op.cross_heads, T, S)
    torch.testing.assert_close(inc, full, atol=1e-5, rtol=0)
    torch.testing.assert_close(w_inc, w_full, atol=1e-5, rtol=0)
    # the weights are distributions over the real tokens only
    torch.testing.assert_close(w_full.sum(-1), torch.ones(B, op.cross_heads, T))
    assert float(w_full.masked_select(pad[:, None, None, :].expand_as(w_full)).abs().max()) == 0.0


@pytest.mark.parametrize("token", TOKENS, ids=OP_NAMES)
def test_decoder_ops_never_see_the_future(token):
    op = _decoder(token)
    memory, pad = _memory()
    x = torch.randn(B, T, H, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        base, w_base = op(x, memory, pad)
        for t in (0, 5, T - 2):
            changed = x.clone()
            changed[:, t + 1:] += 10.0 * torch.randn_like(changed[:, t + 1:])
            y, w = op(changed, memory, pad)
            torch.testing.assert_close(y[:, : t + 1], base[:, : t + 1], atol=1e-6, rtol=0)
            torch.testing.assert_close(w[:, :, : t + 1], w_base[:, :, : t + 1], atol=1e-6, rtol=0)
            assert not torch.allclose(y[:, t + 1:], base[:, t + 1:], atol=1e-3)  # later frames do react


@pytest.mark.parametrize("token", TOKENS, ids=OP_NAMES)
def test_encoder_ops_ignore_padding_and_see_the_whole_sequence(token):
    torch.manual_seed(token)
    op = make_encoder_op(token, H, dropout=0.1, attention_dropout=0.1).eval()
    g = torch.Generator().manual_seed(3)
    lengths = [S, 6, 3]
    x = torch.randn(B, S, H, generator=g)
    pad = torch.arange(S)[None, :] >= torch.tensor(lengths)[:, None]
    x_padded = x.masked_fill(pad[..., None], 0.0) + 5.0 * pad[..., None]  # garbage in the padding
    with torch.no_grad():
        batched = op(x_padded, pad)
        for b, n in enumerate(lengths):
            alone = op(x[b: b + 1, :n], torch.zeros(1, n, dtype=torch.bool))
            torch.testing.assert_close(batched[b, :n], alone[0], atol=1e-5, rtol=0)
        changed = x.clone()
        changed[:, -1] += 10.0 * torch.randn(B, H, generator=g)  # not a constant: LayerNorm would remove it
        later = op(changed, torch.zeros(B, S, dtype=torch.bool))
        earlier = op(x, torch.zeros(B, S, dtype=torch.bool))
    kind, size = op_kind(token)
    first_frame_moves = not torch.allclose(later[:, 0], earlier[:, 0], atol=1e-4)
    reaches_last_frame = kind != "conv" or size // 2 >= S - 1  # conv: receptive field of half a kernel each side
    assert first_frame_moves == reaches_last_frame


def test_conv_and_lstm_decoders_keep_their_own_residual():
    """The op's output reaches the layer output directly, not only through the attention query (the official
    conv/LSTM decoder ops drop it from the second residual)."""
    for token in (2, 11):
        op = _decoder(token)
        memory, pad = _memory()
        torch.nn.init.zeros_(op.cross.out.weight)  # attention contributes nothing: output = x + op(x)
        x = torch.randn(B, T, H)
        with torch.no_grad():
            y, _ = op(x, memory, pad)
        assert not torch.allclose(y, x, atol=1e-4)


def _reference_causal_attention(attn: SelfAttention, x: torch.Tensor) -> torch.Tensor:
    """Causal multi-head attention written out: softmax(q k^T / sqrt(d) with the future at -inf) v."""
    b, t, c = x.shape
    q, k, v = (z.view(b, t, attn.heads, -1).transpose(1, 2) for z in attn.qkv(x).chunk(3, dim=-1))
    logits = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
    future = torch.ones(t, t, dtype=torch.bool).triu(1)
    y = torch.softmax(logits.masked_fill(future, float("-inf")), dim=-1) @ v
    return attn.out(y.transpose(1, 2).reshape(b, t, c))


def test_causal_self_attention_full_pass_and_cached_chunks_match_the_written_out_reference():
    """The full pass (SDPA's is_causal) and chunks after a cache (explicit offset mask) both equal the reference."""
    torch.manual_seed(0)
    attn = SelfAttention(H, 4).eval()
    x = torch.randn(B, T, H, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        ref = _reference_causal_attention(attn, x)
        full = attn(x, causal=True)
        state: dict = {}
        chunks = torch.cat([attn(x[:, t: t + 5], causal=True, state=state) for t in range(0, T, 5)], dim=1)
        no_mask = attn(x)  # not causal: every frame sees the future, so the two must differ
    torch.testing.assert_close(full, ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(chunks, ref, atol=1e-5, rtol=0)
    assert not torch.allclose(no_mask[:, :-1], ref[:, :-1], atol=1e-3)


def test_cross_attention_returns_weights_before_dropout():
    """Guided attention and the DFR must see the softmax, not dropout's zeroed and rescaled copy of it."""
    from speechnas.tts.model.layers import CrossAttention

    torch.manual_seed(0)
    att = CrossAttention(16, 2, dropout=0.5)
    x, memory = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    att.train()
    y_train, w_train = att(x, memory, None)
    att.eval()
    y_eval, w_eval = att(x, memory, None)
    torch.testing.assert_close(w_train, w_eval)
    torch.testing.assert_close(w_train.sum(-1), torch.ones(2, 2, 5))
    assert (w_train > 0).all() and not torch.allclose(y_train, y_eval)  # dropout still acts on the mixing

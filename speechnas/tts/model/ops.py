"""The 11 candidate ops of the searchable TTS model, for the encoder and for the causal decoder.

Token -> op (see :mod:`speechnas.tts.model.arch`): conv with kernel 1/5/9/13/17/21/25, Transformer layer with
2/4/8 heads, LSTM. Every op is pre-LayerNorm and keeps the residual path on its own output (unlike the
official conv/LSTM decoder ops, whose second residual re-adds the layer input and drops the op's output).

Encoder ops: ``forward(x (B, S, C), pad_mask (B, S) True at padding) -> (B, S, C)``; they see the whole sequence.
Decoder ops: ``forward(x (B, t, C), memory (B, S, C), memory_pad (B, S), state=None, cross_bias=None)
-> (y (B, t, C), attention weights (B, heads, t, S))``. With ``state=None`` they run causally over all ``t``
frames; with a dict they continue from it (causal conv buffer, self-attention key/value cache, LSTM state,
cached encoder keys/values) so frame-by-frame decoding equals the full causal pass.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from speechnas.tts.model.arch import op_kind
from speechnas.tts.model.layers import (
    CausalConv, ConvFeedForward, CrossAttention, Dropout, SameConv, SelfAttention, init_conv_, substate,
)


def lengths_from_pad(pad_mask: torch.Tensor) -> torch.Tensor:
    return (~pad_mask).sum(dim=1)


class EncoderConv(nn.Module):
    """LN -> 'same' conv -> ReLU -> dropout, plus the residual."""

    def __init__(self, dim: int, kernel: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.conv = SameConv(dim, dim, kernel)
        init_conv_(self.conv.conv, dropout)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None) -> torch.Tensor:
        return x + self.dropout(F.relu(self.conv(self.norm(x), pad_mask)))


class EncoderTransformer(nn.Module):
    """Pre-LN self-attention and pre-LN conv feed-forward (kernel 9), each with its residual."""

    def __init__(self, dim: int, heads: int, dropout: float, attention_dropout: float):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads, attention_dropout)
        self.ffn = ConvFeedForward(dim, dropout=dropout)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None) -> torch.Tensor:
        x = x + self.dropout(self.attn(self.norm1(x), pad_mask))
        return x + self.dropout(self.ffn(self.norm2(x), pad_mask))


class EncoderLSTM(nn.Module):
    """Pre-LN bidirectional LSTM (padding packed away), linear 2C -> C, dropout, residual."""

    def __init__(self, dim: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * dim, dim)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None) -> torch.Tensor:
        h = self.norm(x)
        lengths = lengths_from_pad(pad_mask).cpu() if pad_mask is not None else None  # the one device sync
        if lengths is not None and bool((lengths < x.shape[1]).any()):
            packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        else:
            out, _ = self.lstm(h)
        return x + self.dropout(self.proj(out))


class DecoderConv(nn.Module):
    """Pre-LN causal conv -> ReLU -> dropout + residual, then pre-LN encoder-decoder attention + residual."""

    def __init__(self, dim: int, kernel: int, dropout: float, attention_dropout: float, cross_heads: int):
        super().__init__()
        self.cross_heads = cross_heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.conv = CausalConv(dim, dim, kernel)
        init_conv_(self.conv.conv, dropout)
        self.cross = CrossAttention(dim, cross_heads, attention_dropout)
        self.dropout = Dropout(dropout)

    def forward(self, x, memory, memory_pad, state=None, cross_bias=None):
        x = x + self.dropout(F.relu(self.conv(self.norm1(x), substate(state, "conv"))))
        a, w = self.cross(self.norm2(x), memory, memory_pad, substate(state, "cross"), cross_bias)
        return x + self.dropout(a), w


class DecoderTransformer(nn.Module):
    """Pre-LN causal self-attention, encoder-decoder attention (same heads) and causal conv feed-forward."""

    def __init__(self, dim: int, heads: int, dropout: float, attention_dropout: float):
        super().__init__()
        self.cross_heads = heads
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.self_attn = SelfAttention(dim, heads, attention_dropout)
        self.cross = CrossAttention(dim, heads, attention_dropout)
        self.ffn = ConvFeedForward(dim, dropout=dropout, causal=True)
        self.dropout = Dropout(dropout)

    def forward(self, x, memory, memory_pad, state=None, cross_bias=None):
        x = x + self.dropout(self.self_attn(self.norm1(x), causal=True, state=substate(state, "self")))
        a, w = self.cross(self.norm2(x), memory, memory_pad, substate(state, "cross"), cross_bias)
        x = x + self.dropout(a)
        return x + self.dropout(self.ffn(self.norm3(x), state=substate(state, "ffn"))), w


class DecoderLSTM(nn.Module):
    """Pre-LN unidirectional LSTM started from the encoder's time-mean (h0 = c0), residual, then attention."""

    def __init__(self, dim: int, dropout: float, attention_dropout: float, cross_heads: int):
        super().__init__()
        self.cross_heads = cross_heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.lstm = nn.LSTM(dim, dim, batch_first=True)
        self.cross = CrossAttention(dim, cross_heads, attention_dropout)
        self.dropout = Dropout(dropout)

    @staticmethod
    def initial_state(memory: torch.Tensor, memory_pad: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if memory_pad is None:
            mean = memory.mean(dim=1)
        else:
            keep = (~memory_pad).unsqueeze(-1).to(memory.dtype)
            mean = (memory * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        h0 = mean.unsqueeze(0).contiguous()
        return h0, h0.clone()

    def forward(self, x, memory, memory_pad, state=None, cross_bias=None):
        sub = substate(state, "lstm")
        if sub is not None and "h" in sub:  # stored batch first, (B, 1, C), so the decoder can prune rows
            hc = (sub["h"].transpose(0, 1).contiguous(), sub["c"].transpose(0, 1).contiguous())
        else:
            hc = self.initial_state(memory, memory_pad)
        y, (h, c) = self.lstm(self.norm1(x), hc)
        if sub is not None:
            sub["h"], sub["c"] = h.transpose(0, 1), c.transpose(0, 1)
        x = x + self.dropout(y)
        a, w = self.cross(self.norm2(x), memory, memory_pad, substate(state, "cross"), cross_bias)
        return x + self.dropout(a), w


def make_encoder_op(token: int, dim: int, dropout: float = 0.1, attention_dropout: float = 0.0) -> nn.Module:
    """The encoder op for ``token`` (1..11)."""
    kind, size = op_kind(token)
    if kind == "conv":
        return EncoderConv(dim, size, dropout)
    if kind == "tf":
        return EncoderTransformer(dim, size, dropout, attention_dropout)
    return EncoderLSTM(dim, dropout)


def make_decoder_op(token: int, dim: int, dropout: float = 0.1, attention_dropout: float = 0.0,
                    cross_heads: int = 1) -> nn.Module:
    """The causal decoder op for ``token``; conv and LSTM ops get ``cross_heads``-head enc-dec attention."""
    kind, size = op_kind(token)
    if kind == "conv":
        return DecoderConv(dim, size, dropout, attention_dropout, cross_heads)
    if kind == "tf":
        return DecoderTransformer(dim, size, dropout, attention_dropout)
    return DecoderLSTM(dim, dropout, attention_dropout, cross_heads)

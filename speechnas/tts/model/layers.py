"""Building blocks of the candidate ops: attention with a key/value cache, convolutions with a rolling buffer,
sinusoidal positions, and the helpers that walk an incremental-state dict.

Shapes are batch first: sequences are ``(batch, time, channels)``. Incremental state is a plain dict the
caller owns; a module reads and writes only its own sub-dict (see :func:`substate`).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def substate(state: dict | None, name: str) -> dict | None:
    """The sub-dict ``state[name]`` (created on first use), or ``None`` for a full (non-incremental) pass."""
    if state is None:
        return None
    return state.setdefault(name, {})


def reorder_state(state, index: torch.Tensor):
    """Select batch rows ``index`` of every tensor in a (nested) state, in place for dicts; returns the state.

    Dict keys starting with ``_`` hold batch-independent values (e.g. a reshaped weight) and are left alone.
    """
    if isinstance(state, torch.Tensor):
        return state.index_select(0, index)
    if isinstance(state, dict):
        for k, v in state.items():
            if not (isinstance(k, str) and k.startswith("_")):
                state[k] = reorder_state(v, index)
        return state
    if isinstance(state, list):
        return [reorder_state(v, index) for v in state]
    return state


class Dropout(nn.Dropout):
    """``nn.Dropout`` that costs nothing when inactive (eval mode or p = 0): decoding calls it per frame and layer."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return super().__call__(x)


def sinusoidal_positions(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer sinusoids for integer ``positions`` ``(t,)``: ``(t, dim)`` (sin on even, cos on odd channels)."""
    half = dim // 2
    freq = torch.exp(torch.arange(half, device=positions.device, dtype=torch.float32) * (-math.log(10000.0) / max(half - 1, 1)))
    angles = positions.float()[:, None] * freq[None, :]
    pe = torch.zeros(positions.numel(), dim, device=positions.device)
    pe[:, 0: 2 * half: 2] = torch.sin(angles)
    pe[:, 1: 2 * half: 2] = torch.cos(angles)
    return pe


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    b, t, c = x.shape
    return x.view(b, t, heads, c // heads).transpose(1, 2)  # (B, h, t, d)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)


class SelfAttention(nn.Module):
    """Multi-head self-attention (no bias, as the official ops); causal mode keeps a key/value cache."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"hidden size {dim} is not divisible by {heads} heads")
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None = None, causal: bool = False,
                state: dict | None = None) -> torch.Tensor:
        """``x`` (B, t, C); ``pad_mask`` (B, t) True at padding (non-causal use); ``state`` appends to the cache."""
        q, k, v = (_split_heads(z, self.heads) for z in self.qkv(x).chunk(3, dim=-1))
        past = 0
        if state is not None:
            if "k" in state:
                past = state["k"].shape[2]
                k = torch.cat([state["k"], k], dim=2)
                v = torch.cat([state["v"], v], dim=2)
            state["k"], state["v"] = k, v
        mask, is_causal = None, False
        if causal and q.shape[2] > 1:
            if past == 0:  # whole sequence: SDPA's own causal mode keeps the flash kernel usable on CUDA
                is_causal = True
            else:  # a chunk after cached frames: query i sits at position past + i
                t, s = q.shape[2], k.shape[2]
                qpos = torch.arange(past, past + t, device=x.device)[:, None]
                mask = torch.arange(s, device=x.device)[None, :] <= qpos  # True = may attend
        elif pad_mask is not None:
            mask = ~pad_mask[:, None, None, :]
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=is_causal)
        return self.out(_merge_heads(y))


class CrossAttention(nn.Module):
    """Encoder-decoder attention returning its weights ``(B, heads, t, S)``; memory keys/values are cached.

    The weights returned are taken before dropout (what guided attention, the DFR and the plots must see: dropout
    zeroes and rescales entries); dropout applies only to the weights that mix the values.
    """

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"hidden size {dim} is not divisible by {heads} heads")
        self.heads, self.dropout = heads, dropout
        self.q = nn.Linear(dim, dim, bias=False)
        self.kv = nn.Linear(dim, 2 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, memory_pad: torch.Tensor | None,
                state: dict | None = None, bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``bias`` (B, heads, t or 1, S) is added to the logits (the monotonic constraint uses -inf)."""
        q = _split_heads(self.q(x), self.heads)
        if state is not None and "k" in state:
            k, v = state["k"], state["v"]
        else:
            k, v = (_split_heads(z, self.heads) for z in self.kv(memory).chunk(2, dim=-1))
            if state is not None:
                state["k"], state["v"] = k, v
        logits = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
        if bias is not None:
            logits = logits + bias
        if memory_pad is not None:
            logits = logits.masked_fill(memory_pad[:, None, None, :], float("-inf"))
        weights = torch.softmax(logits.float(), dim=-1)
        if weights.dtype != q.dtype:
            weights = weights.to(q.dtype)
        mixing = F.dropout(weights, self.dropout, True) if self.training and self.dropout > 0 else weights
        y = torch.matmul(mixing, v)
        return self.out(_merge_heads(y)), weights


class CausalConv(nn.Module):
    """1-D convolution over time that sees only the current and the ``kernel - 1`` previous frames.

    Incrementally, ``state["buf"]`` holds the last ``kernel - 1`` input frames (zeros before the start); a
    single-frame step runs as one matrix product with the weight flattened once per decoding session (on CPU
    2-3x cheaper than a tiny conv1d call).
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, bias: bool = True):
        super().__init__()
        self.kernel = kernel
        self.conv = nn.Conv1d(c_in, c_out, kernel, bias=bias)

    def forward(self, x: torch.Tensor, state: dict | None = None) -> torch.Tensor:
        k = self.kernel
        if k > 1:
            if state is None:
                x = F.pad(x, (0, 0, k - 1, 0))
            else:
                buf = state.get("buf")
                if buf is None:
                    buf = x.new_zeros(x.shape[0], k - 1, x.shape[2])
                x = torch.cat([buf, x], dim=1)
                state["buf"] = x[:, -(k - 1):]
        if state is not None and x.shape[1] == k:  # exactly one output frame
            flat = state.get("_weight")
            if flat is None:
                w = self.conv.weight  # (out, in, k) -> (out, k * in), matching the (k, in) frame window
                flat = state["_weight"] = w.permute(0, 2, 1).reshape(w.shape[0], -1)
            return F.linear(x.reshape(x.shape[0], 1, -1), flat, self.conv.bias)
        return self.conv(x.transpose(1, 2)).transpose(1, 2)


class SameConv(nn.Module):
    """1-D convolution over time with 'same' padding; padded frames are zeroed first so they never leak in."""

    def __init__(self, c_in: int, c_out: int, kernel: int, bias: bool = True):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"'same' convolution needs an odd kernel, got {kernel}")
        self.conv = nn.Conv1d(c_in, c_out, kernel, padding=kernel // 2, bias=bias)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None = None) -> torch.Tensor:
        if pad_mask is not None:
            x = x.masked_fill(pad_mask[..., None], 0.0)
        return self.conv(x.transpose(1, 2)).transpose(1, 2)


class ConvFeedForward(nn.Module):
    """The Transformer layer's feed-forward block: conv (kernel 9, 4x width), ReLU, dropout, linear back."""

    def __init__(self, dim: int, kernel: int = 9, expansion: int = 4, dropout: float = 0.1, causal: bool = False):
        super().__init__()
        self.causal = causal
        conv_cls = CausalConv if causal else SameConv
        self.conv = conv_cls(dim, expansion * dim, kernel)
        self.proj = nn.Linear(expansion * dim, dim)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None = None, state: dict | None = None) -> torch.Tensor:
        h = self.conv(x, state) if self.causal else self.conv(x, pad_mask)
        return self.proj(self.dropout(F.relu(h)))


def init_conv_(conv: nn.Conv1d, dropout: float) -> None:
    """Official conv-op init: normal with std sqrt(4 (1 - p) / (kernel * in_channels)), zero bias."""
    std = math.sqrt(4.0 * (1.0 - dropout) / (conv.kernel_size[0] * conv.in_channels))
    nn.init.normal_(conv.weight, 0.0, std)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)

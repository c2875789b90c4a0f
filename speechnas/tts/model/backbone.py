"""The TTS backbone (embedding, searchable encoder/decoder layers, pre-net, mel + stop projection, optional
post-net) and the standalone model built from one architecture.

The backbone owns the shared parts; a subclass says which op runs at each layer (:class:`TTSModel` holds
one op per layer, :class:`speechnas.tts.model.supernet.SuperNet` holds all 11). Decoding state is an explicit dict
owned by the caller (:mod:`speechnas.tts.decoding.decode`); the model never loops over time itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from speechnas.data import padding_mask
from speechnas.tts.model.arch import TTSArch, from_str
from speechnas.tts.model.layers import Dropout, sinusoidal_positions
from speechnas.tts.model.ops import make_decoder_op, make_encoder_op

LOW_RESOURCE_ARCH = "enc: tf8 tf8 conv13 conv9 conv21 conv9 | dec: tf4 conv5 conv13 conv5 lstm conv21"


@dataclass
class TTSModelConfig:
    """Sizes of the searchable TTS model (paper: hidden 64 during search, 256 for the final model)."""

    vocab_size: int = 64  # number of token ids incl. <pad>=0 and <eos>=1 (from tokens.txt)
    n_mels: int = 80
    hidden_size: int = 256
    encoder_layers: int = 6
    decoder_layers: int = 6
    cross_heads: int = 1  # heads of the enc-dec attention of conv and LSTM decoder layers (Transformer ops use their own)
    dropout: float = 0.1
    attention_dropout: float = 0.0  # 0.1 officially; on CPU dropout on attention weights made steps ~3x slower
    prenet_size: int = 32
    prenet_dropout: float = 0.5  # kept on at inference (decode.py can seed it or switch it off)
    postnet: bool = False  # off during search (the official model has none)
    postnet_layers: int = 5
    postnet_channels: int = 256
    postnet_kernel: int = 5
    postnet_dropout: float = 0.5
    arch: str = LOW_RESOURCE_ARCH  # the standalone model's architecture when none is passed


class Prenet(nn.Module):
    """Decoder pre-net: two ReLU layers with dropout (always on unless explicit masks say otherwise), then a
    linear projection to the hidden size (re-centres the ReLU output before positions are added)."""

    def __init__(self, n_mels: int, size: int, hidden: int, dropout: float):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(n_mels, size), nn.Linear(size, size)])
        self.out = nn.Linear(size, hidden)
        self.dropout = dropout

    def draw_masks(self, batch: int, length: int, generator: torch.Generator | None = None,
                   device: torch.device | str = "cpu", enabled: bool = True) -> list[torch.Tensor]:
        """Scaled dropout masks ``(batch, length, size)`` per layer: seeded by ``generator``, all ones when disabled."""
        masks = []
        for lin in self.layers:
            shape = (batch, length, lin.out_features)
            if not enabled or self.dropout == 0.0:
                masks.append(torch.ones(shape, device=device))
            else:
                keep = torch.rand(shape, generator=generator)  # drawn on the CPU so a seed means the same on any device
                masks.append(((keep >= self.dropout).float() / (1.0 - self.dropout)).to(device))
        return masks

    def forward(self, x: torch.Tensor, masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        for i, lin in enumerate(self.layers):
            x = F.relu(lin(x))
            x = x * masks[i].to(x.dtype) if masks is not None else F.dropout(x, self.dropout, training=True)
        return self.out(x)


class Postnet(nn.Module):
    """Non-causal conv stack predicting a residual on the whole mel (run after decoding, not inside the loop)."""

    def __init__(self, n_mels: int, channels: int, layers: int, kernel: int, dropout: float):
        super().__init__()
        dims = [n_mels] + [channels] * (layers - 1) + [n_mels]
        self.convs = nn.ModuleList(nn.Conv1d(a, b, kernel, padding=kernel // 2) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = Dropout(dropout)

    def forward(self, mel: torch.Tensor, pad_mask: torch.Tensor | None = None) -> torch.Tensor:
        h = mel.transpose(1, 2)
        keep = None if pad_mask is None else (~pad_mask)[:, None, :].to(mel.dtype)
        for i, conv in enumerate(self.convs):
            if keep is not None:
                h = h * keep
            h = conv(h)
            if i < len(self.convs) - 1:
                h = self.dropout(torch.tanh(h))
        return mel + h.transpose(1, 2)


def shift_right(feats: torch.Tensor) -> torch.Tensor:
    """Decoder inputs for teacher forcing: a zero 'go' frame, then the targets without their last frame."""
    return F.pad(feats, (0, 0, 1, 0))[:, :-1]


class TTSBackbone(nn.Module):
    """Shared parts plus the forward logic; subclasses implement :meth:`encoder_op` and :meth:`decoder_op`."""

    def __init__(self, cfg: TTSModelConfig):
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden_size
        self.embed = nn.Embedding(cfg.vocab_size, h, padding_idx=0)
        nn.init.normal_(self.embed.weight, 0.0, h ** -0.5)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        self.enc_pos_scale = nn.Parameter(torch.ones(()))
        self.dec_pos_scale = nn.Parameter(torch.ones(()))
        self.prenet = Prenet(cfg.n_mels, cfg.prenet_size, h, cfg.prenet_dropout)
        self.enc_norm, self.dec_norm = nn.LayerNorm(h), nn.LayerNorm(h)
        self.proj = nn.Linear(h, cfg.n_mels + 1)
        self.postnet = (Postnet(cfg.n_mels, cfg.postnet_channels, cfg.postnet_layers, cfg.postnet_kernel,
                                cfg.postnet_dropout) if cfg.postnet else None)
        self.dropout = Dropout(cfg.dropout)
        self._pe: torch.Tensor | None = None  # sinusoid table, grown on demand (not part of the state dict)

    def positions(self, start: int, length: int, device: torch.device) -> torch.Tensor:
        """Sinusoids of positions ``start .. start + length - 1``: ``(length, hidden)``."""
        end = start + length
        if self._pe is None or self._pe.shape[0] < end or self._pe.device != device:
            size = max(end, 1024, 2 * (self._pe.shape[0] if self._pe is not None else 0))
            self._pe = sinusoidal_positions(torch.arange(size, device=device), self.cfg.hidden_size)
        return self._pe[start:end]

    def encoder_op(self, index: int, arch: TTSArch | None) -> nn.Module:
        raise NotImplementedError

    def decoder_op(self, index: int, arch: TTSArch | None) -> nn.Module:
        raise NotImplementedError

    def encode(self, text: torch.Tensor, text_lengths: torch.Tensor, arch: TTSArch | None = None):
        """``text`` (B, L) -> (memory (B, L, C), memory_pad (B, L) True at padding)."""
        pad = padding_mask(text_lengths, text.shape[1])
        pos = self.positions(0, text.shape[1], text.device)
        x = self.embed(text) * math.sqrt(self.cfg.hidden_size) + self.enc_pos_scale * pos
        x = self.dropout(x)
        for i in range(self.cfg.encoder_layers):
            x = self.encoder_op(i, arch)(x, pad)
        return self.enc_norm(x).masked_fill(pad[..., None], 0.0), pad

    def decode(self, prev: torch.Tensor, memory: torch.Tensor, memory_pad: torch.Tensor | None,
               arch: TTSArch | None = None, state: dict | None = None,
               prenet_masks: list[torch.Tensor] | None = None,
               cross_biases: list[torch.Tensor | None] | None = None) -> dict:
        """Decoder on input frames ``prev`` (B, t, n_mels): the full causal pass when ``state`` is None, else the
        next ``t`` frames after those already in ``state``. Returns ``mel`` (B, t, n_mels), ``stop_logits``
        (B, t) and ``attentions`` (per layer (B, heads, t, S)). ``prenet_masks`` are for these ``t`` frames."""
        start = 0 if state is None else state.get("pos", 0)
        t = prev.shape[1]
        pos = self.positions(start, t, prev.device)
        x = self.dropout(self.prenet(prev, prenet_masks) + self.dec_pos_scale * pos)
        layer_states = None
        if state is not None:
            layer_states = state.setdefault("layers", [{} for _ in range(self.cfg.decoder_layers)])
            state["pos"] = start + t
        attentions = []
        for i in range(self.cfg.decoder_layers):
            bias = cross_biases[i] if cross_biases is not None else None
            ls = layer_states[i] if layer_states is not None else None
            x, w = self.decoder_op(i, arch)(x, memory, memory_pad, ls, bias)
            attentions.append(w)
        out = self.proj(self.dec_norm(x))
        return {"mel": out[..., :-1], "stop_logits": out[..., -1], "attentions": attentions}

    def apply_postnet(self, mel: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Post-net residual on a whole mel (identity when the post-net is off)."""
        if self.postnet is None:
            return mel
        pad = None if lengths is None else padding_mask(lengths, mel.shape[1])
        return self.postnet(mel, pad)

    def forward(self, batch: dict, arch: TTSArch | None = None, prenet_masks: list[torch.Tensor] | None = None) -> dict:
        """Teacher-forced pass over a contract batch. Returns ``mel_before`` / ``mel`` (after the post-net)
        (B, T, n_mels), ``stop_logits`` (B, T), ``attentions`` and the encoder ``memory`` / ``memory_pad``."""
        memory, memory_pad = self.encode(batch["text"], batch["text_lengths"], arch)
        out = self.decode(shift_right(batch["feats"]), memory, memory_pad, arch, prenet_masks=prenet_masks)
        out["mel_before"] = out.pop("mel")
        out["mel"] = self.apply_postnet(out["mel_before"], batch.get("feats_lengths"))
        out["memory"], out["memory_pad"] = memory, memory_pad
        return out

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class TTSModel(TTSBackbone):
    """A standalone model: one op per layer, from ``arch`` (or ``cfg.arch``)."""

    def __init__(self, cfg: TTSModelConfig, arch: TTSArch | str | None = None):
        super().__init__(cfg)
        arch = from_str(cfg.arch if arch is None else arch, cfg.encoder_layers) if not isinstance(arch, TTSArch) else arch
        if len(arch.encoder) != cfg.encoder_layers or len(arch.decoder) != cfg.decoder_layers:
            raise ValueError(f"architecture '{arch}' has {len(arch.encoder)}+{len(arch.decoder)} layers but the config "
                             f"asks for encoder_layers={cfg.encoder_layers}, decoder_layers={cfg.decoder_layers}")
        self.arch = arch
        kw = dict(dim=cfg.hidden_size, dropout=cfg.dropout, attention_dropout=cfg.attention_dropout)
        self.encoder = nn.ModuleList(make_encoder_op(t, **kw) for t in arch.encoder)
        self.decoder = nn.ModuleList(make_decoder_op(t, cross_heads=cfg.cross_heads, **kw) for t in arch.decoder)

    def _check(self, arch: TTSArch | None) -> None:
        if arch is not None and arch != self.arch:
            raise ValueError(f"this standalone model is '{self.arch}', not '{arch}'")

    def encoder_op(self, index: int, arch: TTSArch | None) -> nn.Module:
        self._check(arch)
        return self.encoder[index]

    def decoder_op(self, index: int, arch: TTSArch | None) -> nn.Module:
        self._check(arch)
        return self.decoder[index]

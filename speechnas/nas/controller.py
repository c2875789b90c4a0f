"""The NAO/SemiNAS controller: LSTM encoder, MLP performance predictor and attention LSTM decoder.

Generic over any space: it only needs ``vocab_size`` (token 0 is the start symbol) and ``seq_len``.
Shapes: tokens ``[B, T]`` (long), encoder outputs ``[B, T, H]`` (each token L2-normalised), architecture
embedding ``[B, H]`` (mean over tokens, L2-normalised), predictions ``[B]``, decoder log-probs ``[B, T, V]``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

_HALF = math.sqrt(0.5)


@dataclass
class ControllerConfig:
    """Sizes of the encoder-predictor-decoder."""

    hidden_size: int = 16  # H: token embedding, LSTM state (per direction) and architecture embedding
    mlp_hidden: int = 16  # predictor MLP width (the official NASBench model is H=64, MLP 16)
    mlp_layers: int = 2  # hidden layers of the residual predictor MLP
    dropout: float = 0.1
    bidirectional: bool = True  # bidirectional encoder LSTM (SemiNAS); NAO-V1 used a unidirectional one
    sigmoid: bool = False  # sigmoid on the prediction (official 300-query/ImageNet/TTS code, min-max targets)


class Controller(nn.Module):
    """Encoder -> (predictor, decoder). Train with :func:`speechnas.nas.controller_train.train_controller`."""

    def __init__(self, vocab_size: int, seq_len: int, cfg: ControllerConfig = ControllerConfig()):
        super().__init__()
        self.vocab_size, self.seq_len, self.cfg = vocab_size, seq_len, cfg
        h = cfg.hidden_size
        self.drop = nn.Dropout(cfg.dropout)
        self.enc_emb = nn.Embedding(vocab_size, h)
        self.enc_lstm = nn.LSTM(h, h, batch_first=True, bidirectional=cfg.bidirectional)
        self.enc_proj = nn.Linear(2 * h if cfg.bidirectional else h, h)
        dims = [h] + [cfg.mlp_hidden] * (cfg.mlp_layers - 1) + [h] if cfg.mlp_layers > 0 else []
        self.mlp = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.regressor = nn.Linear(h, 1)
        self.dec_emb = nn.Embedding(vocab_size, h)
        self.dec_lstm = nn.LSTM(h, h, batch_first=True)
        self.attn_query = nn.Linear(h, h, bias=False)
        self.attn_out = nn.Linear(2 * h, h, bias=False)
        self.out = nn.Linear(h, vocab_size)

    # -- encoder and predictor ----------------------------------------------------------------------------------
    def encode(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``tokens [B, T]`` -> per-token outputs ``[B, T, H]`` and architecture embedding ``[B, H]``."""
        emb = self.drop(self.enc_emb(tokens))
        out, _ = self.enc_lstm(emb)
        out = F.normalize(self.enc_proj(out) + emb, dim=-1)
        return out, self.pool(out)

    @staticmethod
    def pool(outputs: torch.Tensor) -> torch.Tensor:
        return F.normalize(outputs.mean(dim=1), dim=-1)

    def predict_emb(self, arch_emb: torch.Tensor) -> torch.Tensor:
        """Predicted (normalised) score ``[B]`` of architecture embeddings ``[B, H]``."""
        x = arch_emb
        for layer in self.mlp:
            x = self.drop(F.relu(layer(x)))
        if len(self.mlp):
            x = (arch_emb + x) * _HALF
        out = self.regressor(x).squeeze(-1)
        return torch.sigmoid(out) if self.cfg.sigmoid else out

    # -- decoder ----------------------------------------------------------------------------------------------------
    def _decoder_layer(self, inp: torch.Tensor, state, outputs: torch.Tensor):
        x = self.drop(self.dec_emb(inp))
        y, state = self.dec_lstm(x, state)
        x = (x + y) * _HALF
        scores = torch.bmm(self.attn_query(x), outputs.transpose(1, 2))
        ctx = torch.bmm(torch.softmax(scores, dim=-1), outputs)
        x = (x + torch.tanh(self.attn_out(torch.cat([ctx, x], dim=-1)))) * _HALF
        return F.log_softmax(self.out(x), dim=-1), state

    def decode_teacher(self, outputs: torch.Tensor, arch_emb: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher-forced log-probs ``[B, T, V]`` of ``tokens`` (input is ``[0] + tokens[:-1]``)."""
        inp = torch.cat([torch.zeros_like(tokens[:, :1]), tokens[:, :-1]], dim=1)
        state = (arch_emb.unsqueeze(0).contiguous(), arch_emb.unsqueeze(0).contiguous())
        logp, _ = self._decoder_layer(inp, state, outputs)
        return logp

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``tokens [B, T]`` -> predictions ``[B]`` and teacher-forced log-probs ``[B, T, V]``."""
        outputs, arch_emb = self.encode(tokens)
        return self.predict_emb(arch_emb), self.decode_teacher(outputs, arch_emb, tokens)

    @torch.no_grad()
    def greedy_decode(self, outputs: torch.Tensor, arch_emb: torch.Tensor, allowed) -> torch.Tensor:
        """Constrained greedy decoding: ``[B, T]`` tokens, each the best among the allowed ones.

        ``allowed`` is a bool mask ``[T, V]`` (same constraint for every sequence) or a callable
        ``(position, prefix_tokens [B, position]) -> bool mask [B, V]`` for prefix-dependent spaces.
        """
        b = outputs.shape[0]
        state = (arch_emb.unsqueeze(0).contiguous(), arch_emb.unsqueeze(0).contiguous())
        inp = torch.zeros(b, 1, dtype=torch.long, device=outputs.device)
        tokens = torch.zeros(b, self.seq_len, dtype=torch.long, device=outputs.device)
        for t in range(self.seq_len):
            logp, state = self._decoder_layer(inp, state, outputs)
            mask = allowed[t].unsqueeze(0) if isinstance(allowed, torch.Tensor) else allowed(t, tokens[:, :t])
            mask = mask.to(outputs.device)
            tok = logp[:, 0].masked_fill(~mask, float("-inf")).argmax(dim=-1)
            tokens[:, t] = tok
            inp = tok.unsqueeze(1)
        return tokens

"""Monotonic attention constraint for robust inference (the official ``--attn_constraint``).

A probe pass finds each utterance's diagonal heads (mean over frames of the max attention above 0.6). The
real pass then masks those heads to the window ``[pos - back, pos + ahead)`` around a position that only
moves forward: by one token when the weight at ``pos`` averaged over the last 3 frames falls below 0.7 and
the heads' current argmax lies beyond ``pos``. Stopping also requires ``pos >= src_len - margin``.
Utterances without a diagonal head decode unconstrained.
"""
from __future__ import annotations

from typing import Sequence

import torch

from speechnas.tts.evaluation.metrics import head_focus


def find_diagonal_heads(attentions: Sequence[torch.Tensor], text_lengths: torch.Tensor, lengths: torch.Tensor,
                        threshold: float) -> list[torch.Tensor]:
    """Per layer a ``(B, heads)`` bool: the head's mean over real frames of its max attention exceeds ``threshold``."""
    frames = lengths.clamp(min=1).float()[:, None]
    return [head_focus(att, text_lengths, lengths) / frames > threshold for att in attentions]


class MonotonicConstraint:
    """Per-utterance window state for the diagonal heads; :meth:`select` follows the decoder's batch pruning."""

    def __init__(self, diagonal_heads: list[torch.Tensor], text_lengths: torch.Tensor, back: int = 1, ahead: int = 4,
                 advance_threshold: float = 0.7, stop_margin: int = 5, history: int = 3):
        self.heads = diagonal_heads
        self.text_lengths = text_lengths
        self.back, self.ahead = back, ahead
        self.advance_threshold, self.stop_margin, self.history = advance_threshold, stop_margin, history
        b = text_lengths.shape[0]
        self.pos = torch.zeros(b, dtype=torch.long, device=text_lengths.device)
        self.recent: list[torch.Tensor] = []  # mean diagonal-head attention of the last frames, each (B, S)
        self.constrained = torch.stack([h.any(dim=1) for h in diagonal_heads]).any(dim=0)  # (B,)

    def biases(self, src_len: int) -> list[torch.Tensor]:
        """Additive logits per layer ``(B, heads, 1, S)``: -inf outside the window on diagonal heads."""
        s = torch.arange(src_len, device=self.pos.device)[None, :]
        window = (s >= self.pos[:, None] - self.back) & (s < self.pos[:, None] + self.ahead)
        outside = ~window[:, None, None, :]  # (B, 1, 1, S)
        return [torch.zeros(h.shape[0], h.shape[1], 1, src_len, device=self.pos.device)
                .masked_fill(h[:, :, None, None] & outside, float("-inf")) for h in self.heads]

    def update(self, step_attentions: Sequence[torch.Tensor]) -> None:
        """Advance ``pos`` from this frame's attention (per layer (B, heads, S))."""
        total, count = None, None
        for att, h in zip(step_attentions, self.heads):
            w = h[:, :, None].float()
            part, n = (att.float() * w).sum(dim=1), h.sum(dim=1).float()
            total = part if total is None else total + part
            count = n if count is None else count + n
        mean = total / count.clamp(min=1)[:, None]  # (B, S) mean over diagonal heads
        self.recent = (self.recent + [mean])[-self.history:]
        at_pos = torch.stack(self.recent).gather(2, self.pos[None, :, None].expand(len(self.recent), -1, 1))
        recent = at_pos.squeeze(2).mean(dim=0)  # weight at the current pos over the last frames
        ahead = mean.argmax(dim=1) > self.pos
        move = self.constrained & (recent < self.advance_threshold) & ahead
        self.pos = torch.minimum(self.pos + move.long(), self.text_lengths - 1)

    def may_stop(self) -> torch.Tensor:
        """``(B,)``: unconstrained utterances always; constrained ones once ``pos >= src_len - margin``."""
        src_len = self.text_lengths - 1
        return ~self.constrained | (self.pos >= src_len - self.stop_margin)

    def select(self, index: torch.Tensor) -> None:
        self.heads = [h.index_select(0, index) for h in self.heads]
        self.text_lengths = self.text_lengths.index_select(0, index)
        self.pos = self.pos.index_select(0, index)
        self.constrained = self.constrained.index_select(0, index)
        self.recent = [r.index_select(0, index) for r in self.recent]

"""Alignment metrics on encoder-decoder attention: head/layer selection, DFR, focus rate, phoneme coverage,
and per-sentence skip/repeat detection (the robustness counts of the SemiNAS paper's Table 4).

All functions are pure. Attention maps are softmax weights; ``text_lengths`` count the final ``<eos>`` (as the
data contract does) and, with ``eos=True``, the EOS column is excluded like padding. ``feats_lengths`` are the
true target lengths (or, for free-running output, the frames before the stop).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from speechnas.data import padding_mask


def _valid_mask(text_lengths: torch.Tensor, feats_lengths: torch.Tensor, t: int, s: int, eos: bool) -> torch.Tensor:
    src = text_lengths - 1 if eos else text_lengths
    return ~padding_mask(feats_lengths, t)[:, :, None] & ~padding_mask(src, s)[:, None, :]  # (B, T, S)


def head_focus(att: torch.Tensor, text_lengths: torch.Tensor, feats_lengths: torch.Tensor,
               eos: bool = False) -> torch.Tensor:
    """How focused each head of one layer ``(B, heads, T, S)`` is: the sum over real frames of its max attention
    over real tokens (EOS excluded with ``eos=True``): ``(B, heads)``."""
    a = att.float() * _valid_mask(text_lengths, feats_lengths, att.shape[2], att.shape[3], eos)[:, None].float()
    return a.max(dim=-1).values.sum(dim=-1)


def select_attention(attentions: Sequence[torch.Tensor], text_lengths: torch.Tensor, feats_lengths: torch.Tensor,
                     eos: bool = True) -> torch.Tensor:
    """One ``(T, S)`` map per utterance: per layer the head with the largest :func:`head_focus` ("most
    focused"), then the layer whose chosen head scores highest. Returns ``(B, T, S)`` with padding (and the
    EOS column) zeroed."""
    best_score, best_map = None, None
    for att in attentions:  # (B, h, T, S)
        b, _, t, s = att.shape
        head_score, head = head_focus(att, text_lengths, feats_lengths, eos).max(dim=1)
        chosen = att[torch.arange(b, device=att.device), head].float()  # (B, T, S)
        chosen = chosen * _valid_mask(text_lengths, feats_lengths, t, s, eos).float()
        if best_score is None:
            best_score, best_map = head_score, chosen
        else:
            better = head_score > best_score
            best_score = torch.where(better, head_score, best_score)
            best_map = torch.where(better[:, None, None], chosen, best_map)
    return best_map


def diagonal_focus_rate(attn: torch.Tensor, text_lengths: torch.Tensor, feats_lengths: torch.Tensor, eos: bool = True,
                        band_factor: float = 5.0, max_width: float = 50.0) -> torch.Tensor:
    """Share of attention inside the band k (x - w) <= y <= k (x + w) around the diagonal: ``(B,)``.

    x = output frame, y = input token, k = src_len / tgt_len (EOS excluded), w = min(tgt_len / 5, 50) frames;
    padding (and EOS) are zeroed before both sums, as in the official ``get_diagonal_focus_rate``.
    """
    b, t, s = attn.shape
    mask = _valid_mask(text_lengths, feats_lengths, t, s, eos)
    f64 = torch.float32 if attn.device.type == "mps" else torch.float64  # exact band edges where possible
    src = (text_lengths - 1 if eos else text_lengths).to(f64)[:, None, None]
    tgt = feats_lengths.to(f64)[:, None, None]
    k = src / tgt
    w = torch.clamp(tgt / band_factor, max=max_width)
    x = torch.arange(t, device=attn.device, dtype=f64)[None, :, None]
    y = torch.arange(s, device=attn.device, dtype=f64)[None, None, :]
    band = (k * (x - w) <= y) & (y <= k * (x + w))
    a = attn.float() * mask.float()
    return (a * band.float()).sum(dim=(1, 2)) / a.sum(dim=(1, 2)).clamp(min=1e-12)


def focus_rate(attn: torch.Tensor, text_lengths: torch.Tensor, feats_lengths: torch.Tensor, eos: bool = True) -> torch.Tensor:
    """Sum over frames of the max attention, divided by the total attention (SemiNAS's FR): ``(B,)``."""
    a = attn.float() * _valid_mask(text_lengths, feats_lengths, attn.shape[1], attn.shape[2], eos).float()
    return a.max(dim=-1).values.sum(dim=-1) / a.sum(dim=(1, 2)).clamp(min=1e-12)


def phoneme_coverage_rate(attn: torch.Tensor, text_lengths: torch.Tensor, feats_lengths: torch.Tensor,
                          text: torch.Tensor | None = None, exclude_ids: Sequence[int] = (), eos: bool = True) -> torch.Tensor:
    """Sum over tokens of the max attention they receive, divided by the number of counted tokens: ``(B,)``.

    Padding and EOS never count; tokens whose id is in ``exclude_ids`` (e.g. a word separator) neither.
    """
    mask = _valid_mask(text_lengths, feats_lengths, attn.shape[1], attn.shape[2], eos)
    cols = ~padding_mask(text_lengths - int(eos), attn.shape[2])
    if text is not None and exclude_ids:
        for tok in exclude_ids:
            cols = cols & (text[:, : attn.shape[2]] != tok)
    a = attn.float() * mask.float() * cols[:, None, :].float()
    return a.max(dim=1).values.sum(dim=-1) / cols.sum(dim=-1).clamp(min=1).float()


def attention_metrics(attentions: Sequence[torch.Tensor], text_lengths: torch.Tensor, feats_lengths: torch.Tensor,
                      text: torch.Tensor | None = None, exclude_ids: Sequence[int] = ()) -> dict[str, torch.Tensor]:
    """``dfr``, ``fr``, ``pcr`` (each ``(B,)``) of the most focused head and layer per utterance."""
    attn = select_attention(attentions, text_lengths, feats_lengths)
    return {
        "dfr": diagonal_focus_rate(attn, text_lengths, feats_lengths),
        "fr": focus_rate(attn, text_lengths, feats_lengths),
        "pcr": phoneme_coverage_rate(attn, text_lengths, feats_lengths, text, exclude_ids),
    }


@dataclass
class AlignmentErrors:
    """Skipped token ranges ``[start, end)`` and repeats ``(furthest token reached, token jumped back to, frame)``."""

    skips: list[tuple[int, int]] = field(default_factory=list)
    repeats: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def has_skip(self) -> bool:
        return bool(self.skips)

    @property
    def has_repeat(self) -> bool:
        return bool(self.repeats)

    @property
    def has_error(self) -> bool:
        return self.has_skip or self.has_repeat


def alignment_path(attn: torch.Tensor | np.ndarray, src_len: int, tgt_len: int) -> np.ndarray:
    """Most attended token of each real frame (tokens ``< src_len`` only): ``(tgt_len,)`` ints."""
    a = attn.detach().float().cpu().numpy() if isinstance(attn, torch.Tensor) else np.asarray(attn, dtype=np.float64)
    return a[:tgt_len, :src_len].argmax(axis=1)


def detect_skips_repeats(path: np.ndarray | Sequence[int], src_len: int, min_skip: int = 2, min_repeat: int = 2,
                         min_repeat_frames: int = 2) -> AlignmentErrors:
    """Skips: runs of at least ``min_skip`` tokens that no frame's path visits. Repeats: the path returns at
    least ``min_repeat`` tokens behind the furthest token reached and stays there ``min_repeat_frames`` frames;
    one repeat is counted per return (the next needs the path to get past the old furthest point again)."""
    path = np.asarray(path, dtype=np.int64)
    out = AlignmentErrors()
    visited = np.zeros(src_len, dtype=bool)
    visited[path[(path >= 0) & (path < src_len)]] = True
    start = None
    for i in range(src_len + 1):
        if i < src_len and not visited[i]:
            start = i if start is None else start
        elif start is not None:
            if i - start >= min_skip:
                out.skips.append((start, i))
            start = None
    furthest, behind, armed = -1, 0, True
    for frame, tok in enumerate(path.tolist()):
        if tok > furthest:
            furthest, behind, armed = tok, 0, True
        elif tok <= furthest - min_repeat:
            behind += 1
            if armed and behind >= min_repeat_frames:
                out.repeats.append((furthest, int(path[frame - behind + 1]), frame - behind + 1))
                armed = False
        else:
            behind = 0
    return out


def robustness_counts(errors: Sequence[AlignmentErrors]) -> dict[str, int]:
    """Sentences with a skip, with a repeat, and with either (each sentence counted once, as in Table 4)."""
    return {
        "sentences": len(errors),
        "skip_sentences": sum(e.has_skip for e in errors),
        "repeat_sentences": sum(e.has_repeat for e in errors),
        "error_sentences": sum(e.has_error for e in errors),
    }

"""Alignment metrics on encoder-decoder attention: head/layer selection, DFR, focus rate, phoneme coverage, the
search reward, a text-blind baseline, and per-sentence skip/repeat detection (the robustness counts of the SemiNAS
paper's Table 4).

All functions are pure. Attention maps are softmax weights; ``text_lengths`` count the final ``<eos>`` (as the
data contract does) and, with ``eos=True``, the EOS column is excluded like padding. ``feats_lengths`` are the
true target lengths (or, for free-running output, the frames before the stop).

**The search reward** (:func:`alignment_reward`, the ``dfr`` the search and stage 7 report) is the paper's
diagonal focus rate made impossible to game:

* attention on the ``<eos>`` column counts in the denominator (all of a frame's attention), never in the band:
  99% of the mass parked on EOS and 1% on the diagonal scores 0.01, not 1.0 as the paper's formula gives;
* the band (slope and width) comes from a reference length: the true length where the utterance has audio (the
  search then decodes exactly that many frames), else the length the text should take, ``frames_per_token`` (the
  train set's mean) times its tokens. Expected frames that were never decoded count as attention outside the band,
  so a path that stops after one frame on token 0 scores 1/T instead of 1.0, and frames decoded past the band (a
  path that never stops) count too, so endless output scores low. A path that keeps to the diagonal at a pace
  within about 20% of the expected one keeps its full score.

:func:`diagonal_focus_rate` keeps the paper's formula (for reference and comparison).
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
                     eos: bool = True, keep_eos: bool = False) -> torch.Tensor:
    """One ``(T, S)`` map per utterance: per layer the head with the largest :func:`head_focus` ("most
    focused", EOS excluded with ``eos``), then the layer whose chosen head scores highest. Returns ``(B, T, S)``
    with padding (and, unless ``keep_eos``, the EOS column) zeroed."""
    best_score, best_map = None, None
    for att in attentions:  # (B, h, T, S)
        b, _, t, s = att.shape
        head_score, head = head_focus(att, text_lengths, feats_lengths, eos).max(dim=1)
        chosen = att[torch.arange(b, device=att.device), head].float()  # (B, T, S)
        chosen = chosen * _valid_mask(text_lengths, feats_lengths, t, s, eos and not keep_eos).float()
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


def alignment_reward(attn: torch.Tensor, text_lengths: torch.Tensor, out_lengths: torch.Tensor,
                     ref_lengths: torch.Tensor | None = None, band_factor: float = 5.0,
                     max_width: float = 50.0) -> torch.Tensor:
    """The search reward ``(B,)`` (see the module docstring) on one ``(B, T, S)`` map per utterance with the EOS
    column kept (:func:`select_attention` with ``eos=False`` zeroes only padding).

    ``out_lengths``: frames decoded; ``ref_lengths``: true or expected frames (default: ``out_lengths``). The band
    is the paper's, k (x - w) <= y <= k (x + w) with k = real tokens / ref, w = min(ref / 5, 50), over real tokens
    only; the denominator is all attention in the decoded frames (EOS included) plus one unit per expected frame
    that was not decoded.
    """
    ref = out_lengths if ref_lengths is None else ref_lengths
    b, t, s = attn.shape
    f64 = torch.float32 if attn.device.type == "mps" else torch.float64
    frames = ~padding_mask(out_lengths, t)[:, :, None]
    real = ~padding_mask(text_lengths - 1, s)[:, None, :]
    everything = ~padding_mask(text_lengths, s)[:, None, :]
    src = (text_lengths - 1).to(f64)[:, None, None]
    tgt = ref.clamp(min=1).to(f64)[:, None, None]
    k, w = src / tgt, torch.clamp(tgt / band_factor, max=max_width)
    x = torch.arange(t, device=attn.device, dtype=f64)[None, :, None]
    y = torch.arange(s, device=attn.device, dtype=f64)[None, None, :]
    band = (k * (x - w) <= y) & (y <= k * (x + w)) & real & frames
    a = attn.double() if f64 == torch.float64 else attn.float()
    inside = (a * band).sum(dim=(1, 2))
    total = (a * (frames & everything)).sum(dim=(1, 2)) + (ref - out_lengths).clamp(min=0).to(a.dtype)
    return (inside / total.clamp(min=1e-12)).float()


def text_blind_attention(text_lengths: torch.Tensor, feats_lengths: torch.Tensor,
                         frames_per_token: float) -> torch.Tensor:
    """What a model that ignores the text would attend: frame x on token ``floor(x / frames_per_token)`` (one
    global slope, never past the last real token). ``(B, T, S)`` one-hot rows, zero on padding."""
    t, s = int(feats_lengths.max()), int(text_lengths.max())
    x = torch.arange(t, device=text_lengths.device)[None, :]
    tok = torch.minimum((x / frames_per_token).long(), (text_lengths - 2).clamp(min=0)[:, None])  # (B, T)
    att = torch.nn.functional.one_hot(tok, s).float()
    return att * (~padding_mask(feats_lengths, t))[:, :, None].float()


def text_blind_reward(text_lengths: torch.Tensor, feats_lengths: torch.Tensor, frames_per_token: float) -> torch.Tensor:
    """:func:`alignment_reward` of the text-blind diagonal ``(B,)``: what a search reward must beat to mean that
    a model reads the text (the 32 real LJSpeech clips: 0.81 with the paper's DFR)."""
    att = text_blind_attention(text_lengths, feats_lengths, frames_per_token)
    return alignment_reward(att, text_lengths, feats_lengths)


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
                      text: torch.Tensor | None = None, exclude_ids: Sequence[int] = (),
                      ref_lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Per utterance ``(B,)``, of the most focused head and layer: ``dfr`` (the search reward,
    :func:`alignment_reward`, with ``ref_lengths`` as its reference), ``dfr_paper`` (the paper's formula), ``fr``,
    ``pcr``. ``feats_lengths`` are the frames the attention covers (decoded or true)."""
    attn = select_attention(attentions, text_lengths, feats_lengths)
    with_eos = select_attention(attentions, text_lengths, feats_lengths, keep_eos=True)  # the same heads
    return {
        "dfr": alignment_reward(with_eos, text_lengths, feats_lengths, ref_lengths),
        "dfr_paper": diagonal_focus_rate(attn, text_lengths, feats_lengths),
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


WORD_BREAKS = frozenset(" ,.!?'")  # tokens that are not part of a word: space and punctuation


def word_of_tokens(symbols: Sequence[str]) -> list[int | None]:
    """Word index of each token (``None`` for spaces and punctuation): the unit stage 7 counts errors in."""
    out: list[int | None] = []
    word, in_word = -1, False
    for sym in symbols:
        if sym in WORD_BREAKS:
            out.append(None)
            in_word = False
        else:
            if not in_word:
                word, in_word = word + 1, True
            out.append(word)
    return out


def detect_word_errors(path: np.ndarray | Sequence[int], symbols: Sequence[str],
                       min_repeat_frames: int = 2) -> AlignmentErrors:
    """Skips and repeats counted per word, spaces and punctuation ignored: a skipped word is one no frame's
    alignment path visits (any of its tokens); a repeat is a return to an earlier word, held ``min_repeat_frames``
    frames. ``path`` indexes ``symbols`` (frames on ``<eos>`` or beyond, spaces and punctuation are left out)."""
    word_of = word_of_tokens(symbols)
    words = [word_of[t] for t in np.asarray(path, dtype=np.int64).tolist() if 0 <= t < len(word_of)
             and word_of[t] is not None]
    n_words = max((w for w in word_of if w is not None), default=-1) + 1
    return detect_skips_repeats(np.asarray(words, dtype=np.int64), n_words, min_skip=1, min_repeat=1,
                                min_repeat_frames=min_repeat_frames)


def robustness_counts(errors: Sequence[AlignmentErrors]) -> dict[str, int]:
    """Sentences with a skip, with a repeat, and with either (each sentence counted once, as in Table 4)."""
    return {
        "sentences": len(errors),
        "skip_sentences": sum(e.has_skip for e in errors),
        "repeat_sentences": sum(e.has_repeat for e in errors),
        "error_sentences": sum(e.has_error for e in errors),
    }

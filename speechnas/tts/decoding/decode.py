"""Autoregressive mel generation: the decoding loop and its incremental-state dict live here, not in the model.

Batched, with per-utterance stopping (stop probability above a threshold) and a maximum length
(``ratio * text length + offset``, capped); finished utterances leave the batch so the rest decode faster. The
recipe sets the ratio from its training data (1.5 x the largest frames per token stage 2 measured, packed with
the model); unset, it is 10 frames per token (ESPnet's ``maxlenratio``). The official 5 L + 100 was meant for
phoneme input and cut 11 of the 32 real LJSpeech clips' character transcripts short.
Pre-net dropout masks are drawn for the whole output up front (seedable, or switched off), so teacher
forcing with the returned masks on the generated frames reproduces them exactly. The optional monotonic
attention constraint (official ``--attn_constraint``) lives in :mod:`speechnas.tts.decoding.monotonic`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from speechnas.data import padding_mask
from speechnas.tts.model.arch import TTSArch
from speechnas.tts.model.layers import reorder_state
from speechnas.tts.model.backbone import TTSBackbone
from speechnas.tts.decoding.monotonic import MonotonicConstraint, find_diagonal_heads


DEFAULT_MAX_LEN_RATIO = 10.0  # frames per token when nothing is known about the data (ESPnet's maxlenratio)


@dataclass
class DecodeConfig:
    max_len_ratio: float | None = None  # maximum frames = ratio * text length (<eos> counted) + offset; None: from
    max_len_offset: int = 0  # the recipe's data (1.5 x train max frames per token), else DEFAULT_MAX_LEN_RATIO
    max_len: int = 3000  # hard cap on frames per utterance (35 s)
    stop_threshold: float = 0.5
    prenet_dropout: bool = True  # keep the pre-net dropout on at inference, as trained
    seed: int | None = None  # seed of the pre-net dropout masks (None: torch's global generator)
    attn_constraint: bool = False  # monotonic window on the diagonal heads (probe pass first)
    probe_steps: int = 50
    diagonal_head_threshold: float = 0.6  # mean max-attention over the probe for a head to count as diagonal
    window_back: int = 1  # window [pos - back, pos + ahead) on the diagonal heads
    window_ahead: int = 4
    advance_threshold: float = 0.7  # advance pos when the recent weight at pos falls below this
    stop_margin: int = 5  # with the constraint, stop only once pos >= src_len - margin
    return_attention: bool = True


def max_lengths(text_lengths: torch.Tensor, cfg: DecodeConfig) -> torch.Tensor:
    """Maximum frames per utterance: ``ceil(ratio * text_lengths) + offset``, capped at ``max_len``."""
    ratio = DEFAULT_MAX_LEN_RATIO if cfg.max_len_ratio is None else cfg.max_len_ratio
    limit = torch.ceil(text_lengths.float() * ratio).long() + cfg.max_len_offset
    return limit.clamp(min=1, max=cfg.max_len)


@torch.no_grad()
def generate(model: TTSBackbone, text: torch.Tensor, text_lengths: torch.Tensor, cfg: DecodeConfig | None = None,
             arch: TTSArch | None = None, lengths: torch.Tensor | None = None, incremental: bool = True) -> dict:
    """Decode mels for ``text`` (B, L). With ``lengths`` every utterance gets exactly that many frames (the stop
    token is tracked but ends nothing, as in the official search validation). ``incremental=False`` recomputes
    the whole prefix at every step (for benchmarks and tests only; not with ``attn_constraint``, whose window
    bias is per frame and would be applied to every earlier frame of the prefix).

    Returns ``mel_before`` / ``mel`` (post-net applied) (B, T, n_mels) zero-padded, ``lengths`` (B,),
    ``stop_probs`` (B, T), ``stopped`` (B,) bool (the stop fired before the limit), ``attentions`` (per layer
    (B, heads, T, S), or None) and ``prenet_masks`` (per pre-net layer (B, T, size)).
    """
    cfg = cfg or DecodeConfig()
    if cfg.attn_constraint and not incremental:
        raise ValueError("DecodeConfig.attn_constraint needs incremental decoding (incremental=True): recomputing the "
                         "prefix would apply the current frame's attention window to every earlier frame")
    training = model.training
    model.eval()
    try:
        memory, memory_pad = model.encode(text, text_lengths, arch)
        limit = lengths.to(text.device) if lengths is not None else max_lengths(text_lengths, cfg).to(text.device)
        gen = torch.Generator().manual_seed(cfg.seed) if cfg.seed is not None else None
        masks = model.prenet.draw_masks(text.shape[0], int(limit.max()), gen, text.device, cfg.prenet_dropout)
        constraint = None
        if cfg.attn_constraint:
            probe_limit = limit.clamp(max=cfg.probe_steps)
            probe = _loop(model, memory, memory_pad, masks, arch, probe_limit, lengths is not None, cfg, None,
                          incremental, keep_attention=True)
            heads = find_diagonal_heads(probe["attentions"], text_lengths, probe["lengths"],
                                        cfg.diagonal_head_threshold)
            constraint = MonotonicConstraint(heads, text_lengths, cfg.window_back, cfg.window_ahead,
                                             cfg.advance_threshold, cfg.stop_margin)
        out = _loop(model, memory, memory_pad, masks, arch, limit, lengths is not None, cfg, constraint, incremental,
                    keep_attention=cfg.return_attention)
        out["mel"] = model.apply_postnet(out["mel_before"], out["lengths"])
        out["prenet_masks"] = [m[:, : out["mel_before"].shape[1]] for m in masks]
        return out
    finally:
        model.train(training)


def _loop(model, memory, memory_pad, masks, arch, limit, fixed, cfg, constraint, incremental, keep_attention) -> dict:
    b, s = memory.shape[0], memory.shape[1]
    t_max = int(limit.max())
    n_mels = model.cfg.n_mels
    device = memory.device
    mel = memory.new_zeros(b, t_max, n_mels)
    stop_probs = memory.new_zeros(b, t_max)
    out_len = limit.clone()
    stopped = torch.zeros(b, dtype=torch.bool, device=device)
    attn = None
    active = torch.arange(b, device=device)
    rows = {"memory": memory, "memory_pad": memory_pad, "limit": limit, "masks": masks,
            "prev": memory.new_zeros(b, 1, n_mels)}
    state: dict = {}
    for t in range(t_max):
        biases = constraint.biases(s) if constraint is not None else None
        if incremental:
            step_masks = [m[:, t: t + 1] for m in rows["masks"]]
            res = model.decode(rows["prev"][:, -1:], rows["memory"], rows["memory_pad"], arch, state, step_masks, biases)
        else:
            step_masks = [m[:, : t + 1] for m in rows["masks"]]
            res = model.decode(rows["prev"], rows["memory"], rows["memory_pad"], arch, None, step_masks, biases)
        frame = res["mel"][:, -1]
        prob = torch.sigmoid(res["stop_logits"][:, -1].float())
        step_att = [a[:, :, -1] for a in res["attentions"]]  # (B', h, S)
        rows_out = slice(None) if active.shape[0] == b else active  # plain slicing while no utterance has ended
        mel[rows_out, t] = frame.to(mel.dtype)
        stop_probs[rows_out, t] = prob.to(stop_probs.dtype)
        if keep_attention:
            if attn is None:
                attn = [memory.new_zeros(b, a.shape[1], t_max, s) for a in step_att]
            for buf, a in zip(attn, step_att):
                buf[rows_out, :, t] = a.to(buf.dtype)
        if constraint is not None:
            constraint.update(step_att)
        done = (t + 1) >= rows["limit"]
        if not fixed:
            fired = prob > cfg.stop_threshold
            if constraint is not None:
                fired = fired & constraint.may_stop()
            out_len[active[fired]] = t + 1
            stopped[active[fired]] = True
            done = done | fired
        if bool(done.all()):
            break
        new_prev = frame[:, None]
        rows["prev"] = new_prev if incremental else torch.cat([rows["prev"], new_prev], dim=1)
        if bool(done.any()):
            keep = (~done).nonzero().squeeze(1)
            active = active[keep]
            reorder_state(rows, keep)
            reorder_state(state, keep)
            if constraint is not None:
                constraint.select(keep)
    t_out = int(out_len.max())
    keep_t = ~padding_mask(out_len, t_out)
    mel = mel[:, :t_out] * keep_t[..., None]
    result = {"mel_before": mel, "lengths": out_len, "stop_probs": stop_probs[:, :t_out] * keep_t,
              "stopped": stopped, "attentions": None}
    if attn is not None:
        result["attentions"] = [a[:, :, :t_out] * keep_t[:, None, :, None] for a in attn]
    return result


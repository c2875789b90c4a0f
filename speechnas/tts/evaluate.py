"""Scoring a model (or one supernet path) on batches: teacher-forced loss and alignment, or free-running
alignment as the official search validation computes it (decode exactly the target length, reward = DFR)."""
from __future__ import annotations

from typing import Iterable

import torch

from speechnas.tts.arch import TTSArch
from speechnas.tts.decode import DecodeConfig, generate
from speechnas.tts.loss import LossConfig, tts_loss
from speechnas.tts.metrics import alignment_path, attention_metrics, detect_skips_repeats, robustness_counts, select_attention
from speechnas.tts.model import TTSBackbone
from speechnas.tts.train import batch_to


@torch.no_grad()
def evaluate_batches(model: TTSBackbone, batches: Iterable[dict], arch: TTSArch | None = None,
                     free_running: bool = True, decode_cfg: DecodeConfig | None = None,
                     loss_cfg: LossConfig | None = None) -> dict[str, float]:
    """Utterance-averaged ``dfr``, ``fr``, ``pcr`` (plus frame-weighted ``loss`` parts when teacher-forced).

    Free-running decodes each utterance for its true length (``feats_lengths``); a text-only batch (no
    ``feats``) decodes until the stop token or the maximum length instead.
    """
    device = next(model.parameters()).device
    training = model.training
    model.eval()
    sums: dict[str, float] = {}
    utts = frames = 0
    try:
        for batch in batches:
            batch = batch_to(batch, device)
            if free_running or "feats" not in batch:
                out = generate(model, batch["text"], batch["text_lengths"], decode_cfg, arch,
                               lengths=batch.get("feats_lengths"))
                lengths = out["lengths"]
            else:
                out = model(batch, arch)
                lengths = batch["feats_lengths"]
                _, parts = tts_loss(out, batch, loss_cfg or LossConfig(guided_attn_weight=0.0))
                n = float(lengths.sum())
                for k, v in parts.items():
                    sums[k] = sums.get(k, 0.0) + v * n
                frames += n
            for k, v in attention_metrics(out["attentions"], batch["text_lengths"], lengths).items():
                sums[k] = sums.get(k, 0.0) + float(v.sum())
            utts += batch["text"].shape[0]
    finally:
        model.train(training)
    if utts == 0:
        raise ValueError("evaluate_batches got no batches")
    return {k: v / (frames if k not in ("dfr", "fr", "pcr") else utts) for k, v in sums.items()}


@torch.no_grad()
def robustness_test(model: TTSBackbone, batches: Iterable[dict], arch: TTSArch | None = None,
                    decode_cfg: DecodeConfig | None = None) -> tuple[dict[str, int], dict[str, dict]]:
    """Free-run text-only batches (e.g. hard sentences) to the stop token; count sentences with skips/repeats.

    Returns the counts and, per utterance id, its skipped ranges, repeats, length and whether it stopped.
    """
    device = next(model.parameters()).device
    errors, details = [], {}
    for batch in batches:
        batch = batch_to(batch, device)
        out = generate(model, batch["text"], batch["text_lengths"], decode_cfg, arch)
        # EOS column kept: the last frames attend to it, and with it zeroed their path fell back to token 0 (a
        # false repeat); skips are still counted over the characters only
        attn = select_attention(out["attentions"], batch["text_lengths"], out["lengths"], eos=False)
        for i, utt in enumerate(batch["utt_ids"]):
            src = int(batch["text_lengths"][i]) - 1
            err = detect_skips_repeats(alignment_path(attn[i], src + 1, int(out["lengths"][i])), src)
            errors.append(err)
            details[utt] = {"skips": err.skips, "repeats": err.repeats, "frames": int(out["lengths"][i]),
                            "stopped": bool(out["stopped"][i])}
    return robustness_counts(errors), details

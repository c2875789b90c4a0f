"""Scoring a model (or one supernet path) on batches: teacher-forced loss and alignment, or free-running
alignment as the official search validation computes it (decode exactly the target length; text-only sets to the
stop token), with the reward of :func:`speechnas.tts.evaluation.metrics.alignment_reward`."""
from __future__ import annotations

from typing import Iterable

import torch

from speechnas.tts.model.arch import TTSArch
from speechnas.tts.decoding.decode import DecodeConfig, generate
from speechnas.tts.training.loss import LossConfig, to_floats, tts_loss
from speechnas.tts.evaluation.metrics import attention_metrics
from speechnas.tts.model.backbone import TTSBackbone
from speechnas.tts.training.trainer import batch_to


def expected_lengths(text_lengths: torch.Tensor, frames_per_token: float) -> torch.Tensor:
    """Frames a text should take: ``round(frames_per_token * tokens)`` (``<eos>`` counted, as stage 2 measures)."""
    return torch.round(text_lengths.double() * frames_per_token).long().clamp(min=1)


@torch.no_grad()
def evaluate_batches(model: TTSBackbone, batches: Iterable[dict], arch: TTSArch | None = None,
                     free_running: bool = True, decode_cfg: DecodeConfig | None = None,
                     loss_cfg: LossConfig | None = None, frames_per_token: float | None = None) -> dict[str, float]:
    """Utterance-averaged ``dfr`` (the search reward), ``dfr_paper``, ``fr``, ``pcr`` (plus frame-weighted
    ``loss`` parts when teacher-forced).

    Free-running decodes each utterance for its true length (``feats_lengths``); a text-only batch (no
    ``feats``) decodes until the stop token or the maximum length instead, and its reward's reference is the
    expected length from ``frames_per_token`` (required then: the train set's mean, ``RecipeData.frames_per_token``).
    """
    device = next(model.parameters()).device
    training = model.training
    model.eval()
    sums: dict[str, float] = {}
    utts = frames = 0
    try:
        for batch in batches:
            batch = batch_to(batch, device)
            ref = batch.get("feats_lengths")
            if "feats" not in batch:
                if frames_per_token is None:
                    raise ValueError("a text-only set needs frames_per_token: the reward's reference length is the "
                                     "length the text should take")
                ref = expected_lengths(batch["text_lengths"], frames_per_token)
            if free_running or "feats" not in batch:
                out = generate(model, batch["text"], batch["text_lengths"], decode_cfg, arch,
                               lengths=batch.get("feats_lengths"))
                lengths = out["lengths"]
            else:
                out = model(batch, arch)
                lengths = batch["feats_lengths"]
                _, parts = tts_loss(out, batch, loss_cfg or LossConfig(guided_attn_weight=0.0))
                n = float(lengths.sum())
                for k, v in to_floats(parts).items():
                    sums[k] = sums.get(k, 0.0) + v * n
                frames += n
            for k, v in attention_metrics(out["attentions"], batch["text_lengths"], lengths, ref_lengths=ref).items():
                sums[k] = sums.get(k, 0.0) + float(v.sum())
            utts += batch["text"].shape[0]
    finally:
        model.train(training)
    if utts == 0:
        raise ValueError("evaluate_batches got no batches")
    return {k: v / (frames if k not in ("dfr", "dfr_paper", "fr", "pcr") else utts) for k, v in sums.items()}


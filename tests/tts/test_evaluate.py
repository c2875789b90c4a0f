"""Scoring helpers: teacher-forced and free-running alignment metrics over batches."""
from __future__ import annotations

import torch

from speechnas.tts.decoding.decode import DecodeConfig
from speechnas.tts.evaluation.scoring import evaluate_batches
from speechnas.tts.model.backbone import TTSModel, TTSModelConfig

from tts_testdata import VOCAB_SIZE, random_batch


def _model():
    torch.manual_seed(0)
    return TTSModel(TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16, prenet_size=8, encoder_layers=2,
                                   decoder_layers=2, arch="enc: conv5 tf2 | dec: tf2 conv5"))


def test_teacher_forced_and_free_running_scores():
    model = _model()
    batches = [random_batch([6, 4], [10, 7], seed=1), random_batch([5], [8], seed=2)]
    tf = evaluate_batches(model, batches, free_running=False)
    assert {"dfr", "fr", "pcr", "mel_l1", "stop_bce", "loss"} <= set(tf) and "guided_attn" not in tf
    assert all(0.0 <= tf[k] <= 1.0 for k in ("dfr", "fr", "pcr")) and tf["mel_l1"] > 0
    fr = evaluate_batches(model, batches, decode_cfg=DecodeConfig(seed=0))
    assert set(fr) == {"dfr", "dfr_paper", "fr", "pcr"} and all(0.0 <= v <= 1.0 for v in fr.values())
    assert model.training


def test_text_only_batches_need_and_use_an_expected_length():
    """Without audio the reward's reference is frames_per_token x tokens; an untrained model that never stops
    (stop threshold above 1) decodes to the maximum length and scores below what it would against its own length."""
    model = _model()
    batch = random_batch([6, 4], [10, 7], seed=1)
    text_only = {k: v for k, v in batch.items() if k not in ("feats", "feats_lengths")}
    try:
        evaluate_batches(model, [text_only], decode_cfg=DecodeConfig(seed=0))
    except ValueError as e:
        assert "frames_per_token" in str(e)
    else:
        raise AssertionError("a text-only set without frames_per_token must be refused")
    never_stops = DecodeConfig(seed=0, stop_threshold=2.0, max_len_ratio=12.0)
    scored = evaluate_batches(model, [text_only], decode_cfg=never_stops, frames_per_token=2.0)
    assert scored["dfr"] < scored["dfr_paper"] and scored["dfr"] < 0.35


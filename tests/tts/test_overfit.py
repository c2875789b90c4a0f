"""A small model overfits a handful of real LJSpeech clips on one CPU thread in about a minute and learns to
align: teacher-forced and free-running DFR reach 0.9, and on a clip whose speaking rate is far from the
average it beats the text-blind straight diagonal (one global slope), which scores only ~0.43 there."""
from __future__ import annotations

import numpy as np
import torch

from speechnas.tts.decoding.decode import DecodeConfig, generate
from speechnas.tts.training.loss import LossConfig
from speechnas.tts.evaluation.metrics import attention_metrics, diagonal_focus_rate
from speechnas.tts.model.backbone import TTSModel, TTSModelConfig
from speechnas.tts.training.trainer import Trainer, TrainConfig

from conftest import shared_path
from tts_testdata import VOCAB_SIZE, load_clips, make_batch

CLIPS = ["LJ001-0008", "LJ001-0002", "LJ001-0013", "LJ001-0028"]  # three short ones + one slow reader
SLOW = 3
GLOBAL_SLOPE = 0.176  # tokens per frame over all 32 clips: what a text-blind model would follow


def _blind_diagonal_dfr(batch) -> torch.Tensor:
    tl, fl = batch["text_lengths"], batch["feats_lengths"]
    a = torch.zeros(len(tl), int(fl.max()), int(tl.max()))
    for b in range(len(tl)):
        frames = torch.arange(int(fl[b]))
        a[b, frames, torch.clamp(torch.round(frames * GLOBAL_SLOPE).long(), max=int(tl[b]) - 2)] = 1.0
    return diagonal_focus_rate(a, tl, fl)


def test_small_model_overfits_real_clips_and_aligns(tmp_path):
    items = load_clips(shared_path("data/ljspeech_mini/LJSpeech-1.1"), ids=CLIPS)
    stacked = np.concatenate([f for _, _, f in items])
    batch = make_batch(items, stacked.mean(0), stacked.std(0))
    torch.manual_seed(0)
    cfg = TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=64, encoder_layers=3, decoder_layers=3,
                         arch="enc: conv5 tf4 conv5 | dec: tf4 tf4 tf4")
    model = TTSModel(cfg)
    with torch.no_grad():
        model.eval()
        start = attention_metrics(model(batch)["attentions"], batch["text_lengths"], batch["feats_lengths"])
    train = TrainConfig(lr=2e-3, warmup_steps=50, max_steps=150, log_every=50, image_every=0, save_every=10**6,
                        device="cpu", loss=LossConfig(guided_attn_sigma=0.2))
    trainer = Trainer(model, train, tmp_path)
    first = trainer.train([batch], max_steps=1)
    last = trainer.train([batch])
    assert last["mel_l1"] < 0.5 * first["mel_l1"]  # it overfits
    model.eval()
    with torch.no_grad():
        tf = attention_metrics(model(batch)["attentions"], batch["text_lengths"], batch["feats_lengths"])
    free = generate(model, batch["text"], batch["text_lengths"], DecodeConfig(seed=0), lengths=batch["feats_lengths"])
    fr = attention_metrics(free["attentions"], batch["text_lengths"], batch["feats_lengths"])
    blind = _blind_diagonal_dfr(batch)
    assert float(start["dfr"].mean()) < 0.6  # untrained attention is far from the diagonal
    assert float(tf["dfr"].min()) > 0.9, tf["dfr"]
    assert float(fr["dfr"].mean()) > 0.9, fr["dfr"]
    assert float(blind[SLOW]) < 0.5 and float(fr["dfr"][SLOW]) > float(blind[SLOW]) + 0.3, (fr["dfr"], blind)
    # the free-running frames resemble the targets (normalised features have unit variance)
    for b, n in enumerate(batch["feats_lengths"].tolist()):
        assert float((free["mel_before"][b, :n] - batch["feats"][b, :n]).abs().mean()) < 0.6

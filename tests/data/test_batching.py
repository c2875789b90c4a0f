"""Bucketed sampler (frame budget, coverage, per-epoch determinism, distributed split) and the contract's batches."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from speechnas.data.dataset import TTSDataset, collate_tts, padding_mask
from speechnas.data.kaldi import Utterance, write_data_dir
from speechnas.data.normalizer import FeatureNormalizer
from speechnas.data.sampler import BucketBatchSampler, DistributedBucketSampler, bucket_batches
from speechnas.text.tokens import EOS_ID, TokenList
from speechnas.utils.io import atomic_write_text

LENGTHS = np.random.default_rng(0).integers(50, 900, 523).tolist()


def test_budget_and_coverage_every_epoch():
    s = BucketBatchSampler(LENGTHS, max_frames=3000, seed=3)
    orders = []
    for epoch in range(3):
        s.set_epoch(epoch)
        batches = list(s)
        flat = [i for b in batches for i in b]
        assert sorted(flat) == list(range(len(LENGTHS)))  # every utterance exactly once
        assert all(len(b) * max(LENGTHS[i] for i in b) <= 3000 for b in batches)
        orders.append(flat)
    assert orders[0] != orders[1]
    s.set_epoch(1)
    assert [i for b in s for i in b] == orders[1]  # deterministic per (seed, epoch)
    mean_fill = np.mean([sum(LENGTHS[i] for i in b) / 3000 for b in s])
    assert mean_fill > 0.8  # bucketing keeps padding low


def test_too_long_utterance_is_an_error():
    with pytest.raises(ValueError, match="longer than max_frames=100"):
        bucket_batches([50, 150], 100)


def test_max_batch_size():
    assert max(len(b) for b in bucket_batches([10] * 50, 10_000, max_batch_size=8)) == 8


def test_distributed_split_covers_all_with_equal_steps():
    per_rank = [list(DistributedBucketSampler(LENGTHS, 3000, num_replicas=3, rank=r, seed=1)) for r in range(3)]
    assert len({len(p) for p in per_rank}) == 1
    flat = [i for p in per_rank for b in p for i in b]
    assert set(flat) == set(range(len(LENGTHS)))
    whole = bucket_batches(LENGTHS, 3000, seed=1)
    assert len(flat) - len(LENGTHS) == sum(len(b) for b in whole[: 3 * len(per_rank[0]) - len(whole)])
    with pytest.raises(ValueError, match="rank 3 out of range"):
        DistributedBucketSampler(LENGTHS, 3000, num_replicas=3, rank=3)


@pytest.fixture
def prepared(tmp_path):
    texts = {"A1": "hi.", "A2": "hello there", "A3": "ok"}
    write_data_dir(tmp_path / "data", [Utterance(u, t, f"/x/{u}.wav", "A") for u, t in texts.items()])
    frames = {"A1": 7, "A2": 12, "A3": 5}
    for u, n in frames.items():
        np.save(tmp_path / f"{u}.npy", np.full((n, 80), float(n), dtype=np.float32))
    atomic_write_text(tmp_path / "dump" / "feats.scp", "".join(f"{u} {tmp_path / u}.npy\n" for u in frames))
    atomic_write_text(tmp_path / "dump" / "feats_shape", "".join(f"{u} {n}\n" for u, n in frames.items()))
    return tmp_path


def test_batch_dict_follows_contract(prepared):
    norm = FeatureNormalizer(np.full(80, 2.0), np.full(80, 0.5))
    ds = TTSDataset(prepared / "data", prepared / "dump", normalizer=norm)
    assert ds.lengths() == [7, 12, 5]
    loader = DataLoader(ds, batch_sampler=BucketBatchSampler(ds.lengths(), 40, shuffle=False), collate_fn=collate_tts)
    batches = list(loader)
    b = next(x for x in batches if "A2" in x["utt_ids"])
    assert set(b) == {"utt_ids", "text", "text_lengths", "feats", "feats_lengths"}
    i = b["utt_ids"].index("A2")
    assert b["text"].dtype == torch.long and b["feats"].dtype == torch.float32
    assert b["text_lengths"][i] == len("hello there") + 1 and b["text"][i, b["text_lengths"][i] - 1] == EOS_ID
    assert b["feats"].shape[1:] == (12, 80) and b["feats_lengths"][i] == 12
    assert torch.allclose(b["feats"][i, 0], torch.full((80,), (12 - 2.0) / 0.5))
    short = b["utt_ids"].index(min(b["utt_ids"], key=lambda u: {"A1": 7, "A2": 12, "A3": 5}[u]))
    n = int(b["feats_lengths"][short])
    assert (b["feats"][short, n:] == 0).all() and (b["text"][short, b["text_lengths"][short]:] == 0).all()
    assert padding_mask(b["feats_lengths"]).sum() == b["feats"].shape[0] * b["feats"].shape[1] - b["feats_lengths"].sum()


def test_text_only_batch(prepared):
    ds = TTSDataset(prepared / "data", None)
    b = collate_tts([ds[0], ds[1]])
    assert set(b) == {"utt_ids", "text", "text_lengths"} and ds.lengths() == [4, 12, 3]
    assert "".join(TokenList.characters().decode(b["text"][0].tolist())) == "hi."

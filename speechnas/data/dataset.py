"""Datasets of a prepared set and the collate function that builds the contract's batch dict.

A batch: ``utt_ids`` (list[str]), ``text`` LongTensor ``(B, L_max)`` padded with 0 (each sequence ends with
``<eos>``, counted in ``text_lengths``), ``text_lengths`` ``(B,)``, and for sets with audio ``feats`` FloatTensor
``(B, T_max, n_mels)`` normalised and zero-padded, ``feats_lengths`` ``(B,)``. Text-only sets (hard sentences) have
no ``feats`` keys. Masks: ``padding_mask(lengths)``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from speechnas.data.kaldi import read_scp
from speechnas.data.normalizer import FeatureNormalizer
from speechnas.text.tokens import PAD_ID, TokenList, read_token_file


class TTSDataset(Dataset):
    """Items of one set: token ids of its ``text`` and, where ``feats_dir`` has ``feats.scp``, normalised features.

    ``data_dir``: the Kaldi directory (its ``text`` is already cleaned); ``feats_dir``: ``<dump>/<set>`` or None for
    text only; ``encode``: ``(symbols, where=...)`` -> ids ending with ``<eos>`` (default: the character token
    list); ``token_file``: stage 2's ``<dump>/<set>/token`` (the symbols of every utterance, phonemes computed
    once), read instead of the Kaldi ``text``.
    """

    def __init__(self, data_dir: str | os.PathLike, feats_dir: str | os.PathLike | None = None,
                 normalizer: FeatureNormalizer | None = None, encode: Callable[..., list[int]] | None = None,
                 token_file: str | os.PathLike | None = None):
        data_dir = Path(data_dir)
        texts = read_scp(data_dir / "text")
        if token_file is not None:
            symbols = read_token_file(token_file)
            missing = sorted(set(texts) - set(symbols))[:3]
            if missing:
                raise ValueError(f"{token_file}: utterances of {data_dir / 'text'} without tokens: {missing}; "
                                 f"run stage 2 again")
            texts = {u: symbols[u] for u in texts}
        encode = encode or TokenList.characters().encode
        self.feats: dict[str, str] = {}
        self.frames: dict[str, int] = {}
        if feats_dir is not None:
            feats_dir = Path(feats_dir)
            self.feats = read_scp(feats_dir / "feats.scp")
            self.frames = {u: int(v) for u, v in read_scp(feats_dir / "feats_shape").items()}
            missing = sorted(set(self.feats) - set(texts))[:3]
            if missing:
                raise ValueError(f"{feats_dir / 'feats.scp'}: utterances without text in {data_dir}: {missing}")
            texts = {u: t for u, t in texts.items() if u in self.feats}  # skipped files have no features
        self.utt_ids = sorted(texts)
        where = token_file if token_file is not None else data_dir / "text"
        self.text = {u: encode(texts[u], where=f"{where} ({u})") for u in self.utt_ids}
        self.normalizer = normalizer
        self.has_feats = feats_dir is not None

    def __len__(self) -> int:
        return len(self.utt_ids)

    def lengths(self) -> list[int]:
        """Per-item length for bucketing: feature frames, or token count for text-only sets."""
        return [self.frames[u] if self.has_feats else len(self.text[u]) for u in self.utt_ids]

    def __getitem__(self, i: int) -> dict:
        utt = self.utt_ids[i]
        item = {"utt_id": utt, "text": torch.tensor(self.text[utt], dtype=torch.long)}
        if self.has_feats:
            x = np.load(self.feats[utt])
            if not np.isfinite(x).all():  # e.g. written by an older stage 2; never train on it
                raise ValueError(f"{self.feats[utt]} ({utt}): non-finite feature values; delete it and re-run stage 2")
            if self.normalizer is not None:
                x = self.normalizer.normalize(x)
            item["feats"] = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        return item


def _pad(seqs: list[torch.Tensor], value: float = 0) -> torch.Tensor:
    return torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=value)


def collate_tts(items: list[dict]) -> dict:
    """List of dataset items -> the batch dict of the data/model contract."""
    batch = {
        "utt_ids": [it["utt_id"] for it in items],
        "text": _pad([it["text"] for it in items], PAD_ID),
        "text_lengths": torch.tensor([len(it["text"]) for it in items], dtype=torch.long),
    }
    if items and "feats" in items[0]:
        batch["feats"] = _pad([it["feats"] for it in items], 0.0)
        batch["feats_lengths"] = torch.tensor([it["feats"].shape[0] for it in items], dtype=torch.long)
    return batch


def padding_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """``(B, max_len)`` bool, True at padded positions."""
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] >= lengths[:, None]

"""What stages 3-8 read from stages 1-2: token list, feature statistics, feature config, and batches of a set.

Layout (see :mod:`speechnas.data.prepare`): ``<data>/<prefix>_<set>/`` Kaldi dirs, ``<dump>/<prefix>/<set>/feats.scp``,
``<dump>/<prefix>/{tokens.txt,feats_stats.npz}``; the feature store's ``config.json`` records the mel settings.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Subset

from speechnas.audio.functional import MelConfig
from speechnas.data import BucketBatchSampler, DistributedBucketSampler, FeatureNormalizer, TTSDataset, collate_tts
from speechnas.data.kaldi import read_scp
from speechnas.data.sampler import bucket_batches
from speechnas.text.tokens import TokenList
from speechnas.tts.decoding.decode import DecodeConfig, max_lengths


def token_type_of(tokens: TokenList) -> str:
    return "phn" if tokens == TokenList.phonemes() else "char"


class RecipeData:
    """Stage 1-2 outputs of one ``prefix`` (e.g. ``mini_low_resource``); every missing file is named."""

    def __init__(self, data_root: str | Path, dump_root: str | Path, prefix: str):
        self.data_root, self.dump = Path(data_root), Path(dump_root) / prefix
        self.prefix = prefix
        for f in ("tokens.txt", "feats_stats.npz", "train/feats.scp", "length_stats.json"):
            if not (self.dump / f).is_file():
                raise FileNotFoundError(f"{self.dump / f} not found: run stages 1-2 for '{prefix}' first (stage 2 "
                                        f"now also writes length_stats.json and each set's token file)")
        self.tokens_path, self.stats_path = self.dump / "tokens.txt", self.dump / "feats_stats.npz"
        self.tokens = TokenList.read(self.tokens_path)
        self.normalizer = FeatureNormalizer.from_npz(self.stats_path)
        self.token_type = token_type_of(self.tokens)
        self.length_stats = json.loads((self.dump / "length_stats.json").read_text())["frames_per_token"]

    @property
    def frames_per_token(self) -> float:
        """Mean frames per token (``<eos>`` counted) of the train set: the expected length of a text-only utterance."""
        return float(self.length_stats["train"]["mean"])

    def decode_config(self, decode: DecodeConfig, margin: float = 1.5) -> DecodeConfig:
        """``decode`` with its maximum length set from the data when unset: ``margin`` x the train set's largest
        frames per token (no training utterance would be cut; packed models keep the number)."""
        if decode.max_len_ratio is not None:
            return decode
        return replace(decode, max_len_ratio=round(margin * float(self.length_stats["train"]["max"]), 3))

    def resolve(self, cfg) -> None:
        """Set every decoding config of a :class:`~speechnas.tts.recipe.config.RecipeConfig` from the data (in place)."""
        cfg.search.evaluator.decode = self.decode_config(cfg.search.evaluator.decode)
        cfg.synth.decode = self.decode_config(cfg.synth.decode)

    def data_dir(self, name: str) -> Path:
        path = self.data_root / f"{self.prefix}_{name}"
        if not (path / "text").is_file():
            raise FileNotFoundError(f"{path / 'text'} not found: run stage 1 for '{self.prefix}' first")
        return path

    def mel_config(self) -> MelConfig:
        """The feature settings stage 2 used (from the feature store's ``config.json``)."""
        first = next(iter(read_scp(self.dump / "train" / "feats.scp").values()))
        record = Path(first).parent / "config.json"
        if not record.is_file():
            raise FileNotFoundError(f"{record} not found: the feature store has no record of its mel settings")
        return MelConfig(**json.loads(record.read_text())["features"])

    def dataset(self, name: str) -> TTSDataset:
        """Set ``name`` (train/dev/eval) with features when it has audio, text only otherwise (hard sentences)."""
        feats = self.dump / name
        has_audio = (self.data_dir(name) / "wav.scp").is_file()
        if has_audio and not (feats / "feats.scp").is_file():
            raise FileNotFoundError(f"{feats / 'feats.scp'} not found: run stage 2 for '{self.prefix}' first")
        token_file = self.dump / name / "token"  # stage 2 stored every utterance's symbols (phonemes once)
        if not token_file.is_file():
            raise FileNotFoundError(f"{token_file} not found: run stage 2 for '{self.prefix}' again (it now stores "
                                    f"the tokens of every set)")
        return TTSDataset(self.data_dir(name), feats if has_audio else None, self.normalizer,
                          encode=self.tokens.encode, token_file=token_file)

    def train_loader(self, batch_frames: int, seed: int, workers: int = 0, max_frames: int = 0,
                     distributed: bool = False) -> DataLoader:
        """Bucketed, shuffled-per-epoch training batches under ``batch_frames`` padded frames (per rank)."""
        ds = self.dataset("train")
        lengths = ds.lengths()
        if max_frames > 0:
            keep = [i for i, n in enumerate(lengths) if n <= max_frames]
            ds, lengths = Subset(ds, keep), [lengths[i] for i in keep]
        cls = DistributedBucketSampler if distributed else BucketBatchSampler
        sampler = cls(lengths, batch_frames, seed=seed)
        return DataLoader(ds, batch_sampler=sampler, collate_fn=collate_tts, num_workers=workers,
                          persistent_workers=workers > 0)

    def fixed_batches(self, name: str, batch_frames: int, limit: int = 0,
                      decode: DecodeConfig | None = None) -> list[dict]:
        """Set ``name`` (its first ``limit`` utterances when > 0) in fixed, length-sorted batches held in memory.

        Sets with audio are budgeted by their true frames; text-only sets by the decoder's maximum length.
        """
        ds = self.dataset(name)
        index = list(range(len(ds)))[: limit or None]
        items = [ds[i] for i in index]
        if ds.has_feats:
            lengths = [it["feats"].shape[0] for it in items]
        else:
            lengths = max_lengths(torch.tensor([len(it["text"]) for it in items]), decode or DecodeConfig()).tolist()
        budget = max(batch_frames, max(lengths) if lengths else 1)
        batches = bucket_batches(lengths, budget, shuffle=False)
        return [collate_tts([items[i] for i in b]) for b in batches]

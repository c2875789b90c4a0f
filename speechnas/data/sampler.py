"""Length-bucketed batch samplers under a frame budget, deterministic per (seed, epoch), and a distributed variant.

Utterances are sorted by length (ties broken by a per-epoch random key) and cut greedily into batches whose padded
size ``len(batch) * max_length`` stays within ``max_frames``; the order of the batches is shuffled per epoch. An
utterance longer than the budget is an error (raise the budget or filter it out), so no batch ever exceeds it.
The distributed sampler builds the same batch list on every rank and deals it out, padding the list by repeating
its first batches so every rank takes the same number of steps.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


def bucket_batches(lengths: Sequence[int], max_frames: int, seed: int = 0, epoch: int = 0, shuffle: bool = True,
                   max_batch_size: int | None = None) -> list[list[int]]:
    """Batches of indices (each within ``max_frames`` padded frames) for one epoch."""
    lengths = np.asarray(lengths, dtype=np.int64)
    too_long = np.flatnonzero(lengths > max_frames)
    if len(too_long):
        raise ValueError(f"{len(too_long)} utterance(s) are longer than max_frames={max_frames} "
                         f"(longest {int(lengths.max())} frames, index {int(lengths.argmax())}); "
                         f"raise max_frames or filter long utterances")
    rng = np.random.default_rng([seed, epoch])
    tiebreak = rng.random(len(lengths)) if shuffle else np.arange(len(lengths))
    order = np.lexsort((tiebreak, lengths))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = max(lengths[i], lengths[current[-1]] if current else 0)  # sorted: the newest is the longest
        full = max_batch_size is not None and len(current) >= max_batch_size
        if current and ((len(current) + 1) * longest > max_frames or full):
            batches.append(current)
            current = []
        current.append(int(i))
    if current:
        batches.append(current)
    if shuffle:
        perm = rng.permutation(len(batches))
        batches = [batches[k] for k in perm]
    return batches


class BucketBatchSampler(Sampler[list[int]]):
    """``DataLoader(dataset, batch_sampler=BucketBatchSampler(dataset.lengths(), 6000), collate_fn=collate_tts)``."""

    def __init__(self, lengths: Sequence[int], max_frames: int, seed: int = 0, shuffle: bool = True,
                 max_batch_size: int | None = None):
        self.lengths, self.max_frames, self.seed = list(lengths), max_frames, seed
        self.shuffle, self.max_batch_size = shuffle, max_batch_size
        self.epoch = 0
        self._batches = self._make()

    def _make(self) -> list[list[int]]:
        return bucket_batches(self.lengths, self.max_frames, self.seed, self.epoch, self.shuffle, self.max_batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self._batches = self._make()

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches)

    def __len__(self) -> int:
        return len(self._batches)


class DistributedBucketSampler(BucketBatchSampler):
    """Each rank gets every ``num_replicas``-th batch of the shared list (same seed and epoch on all ranks)."""

    def __init__(self, lengths: Sequence[int], max_frames: int, num_replicas: int | None = None,
                 rank: int | None = None, seed: int = 0, shuffle: bool = True, max_batch_size: int | None = None):
        if num_replicas is None or rank is None:
            from speechnas.utils.distributed import get_info

            info = get_info()
            num_replicas = info.world_size if num_replicas is None else num_replicas
            rank = info.rank if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} out of range for {num_replicas} replicas")
        self.num_replicas, self.rank = num_replicas, rank
        super().__init__(lengths, max_frames, seed, shuffle, max_batch_size)

    def _make(self) -> list[list[int]]:
        batches = super()._make()
        per_rank = math.ceil(len(batches) / self.num_replicas)
        padded = [batches[i % len(batches)] for i in range(per_rank * self.num_replicas)] if batches else []
        return padded[self.rank::self.num_replicas]

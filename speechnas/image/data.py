"""Image data: an ImageNet-layout folder (``train/<wnid>/*.JPEG``, ``val/<wnid>/``), the held-out split carved from
``train``, training and evaluation transforms, and loaders.

Transforms end in uint8 tensors (``(3, H, W)``); :func:`to_input` turns a batch into normalised floats on the
device, so the loader processes do no float work. Decoding is PIL's (``decoder="pil"``) or torchvision's libjpeg
(``decoder="torchvision"``); the transforms work on either. The held-out split (``split.json``) lists its images by
path relative to ``train/``; the training subset is every other ``train`` image.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Literal, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms import v2

from speechnas.utils.io import atomic_write_json

log = logging.getLogger(__name__)

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
Decoder = Literal["pil", "torchvision"]


@dataclass
class DataConfig:
    """Image size, augmentation and loading."""

    image_size: int = 224  # training crop and evaluation centre crop
    resize_ratio: float = 0.875  # evaluation: resize the short side to image_size / ratio (256 for 224), then crop
    crop_scale_min: float = 0.08  # RandomResizedCrop's smallest area fraction
    jitter: float = 0.4  # ColorJitter brightness, contrast and saturation
    hue: float = 0.1
    decoder: Decoder = "pil"
    workers: int = 8  # DataLoader processes per training process


def pil_loader(path: str) -> Image.Image:
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def torchvision_loader(path: str) -> torch.Tensor:
    return decode_image(path, mode=ImageReadMode.RGB)


LOADERS: dict[str, Callable] = {"pil": pil_loader, "torchvision": torchvision_loader}


def train_transform(cfg: DataConfig) -> v2.Compose:
    """RandomResizedCrop, horizontal flip, ColorJitter; uint8 ``(3, size, size)`` out."""
    return v2.Compose([v2.ToImage(), v2.RandomResizedCrop(cfg.image_size, scale=(cfg.crop_scale_min, 1.0), antialias=True),
                       v2.RandomHorizontalFlip(), v2.ColorJitter(cfg.jitter, cfg.jitter, cfg.jitter, cfg.hue),
                       v2.ToPureTensor()])


def eval_transform(cfg: DataConfig) -> v2.Compose:
    """Resize the short side to ``image_size / resize_ratio``, centre crop ``image_size``; uint8 out."""
    return v2.Compose([v2.ToImage(), v2.Resize(int(round(cfg.image_size / cfg.resize_ratio)), antialias=True),
                       v2.CenterCrop(cfg.image_size), v2.ToPureTensor()])


def to_input(images: torch.Tensor, device: torch.device, channels_last: bool = False) -> torch.Tensor:
    """uint8 ``(N, 3, H, W)`` -> normalised float32 on ``device``."""
    x = images.to(device, non_blocking=True).float().div_(255.0)
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    x = (x - mean) / std
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class Samples(Dataset):
    """``(path, label)`` pairs with a loader and a transform: ``dataset[i] -> (uint8 image, label)``.

    ``dataset[(i, epoch)]`` (what :class:`EpochBatchSampler` asks for) draws the random transform from a generator
    seeded with ``(seed, epoch, i)``, so an image's augmentation does not depend on the number of loader processes,
    on what ran before, or on a resume.
    """

    def __init__(self, samples: Sequence[tuple[str, int]], transform: Callable, decoder: Decoder = "pil",
                 seed: int = 0):
        if decoder not in LOADERS:
            raise ValueError(f"unknown decoder {decoder!r}; choose one of {sorted(LOADERS)}")
        self.samples, self.transform, self.loader, self.seed = list(samples), transform, LOADERS[decoder], int(seed)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, int]:
        i, epoch = key if isinstance(key, tuple) else (key, None)
        path, label = self.samples[i]
        try:
            img = self.loader(path)
        except Exception as e:  # a corrupt or unreadable file: name it
            raise RuntimeError(f"cannot read image {path}: {e}") from e
        if epoch is None:
            return self.transform(img), label
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed((self.seed * 1_000_003 + epoch) * 1_000_000_007 + i)
            return self.transform(img), label


def scan(folder: str | Path) -> datasets.ImageFolder:
    """torchvision's ImageFolder scan of ``folder`` (one class per sub-folder); clear errors for a wrong layout."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} not found: expected an image folder with one sub-folder per class")
    try:
        return datasets.ImageFolder(str(folder))
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{folder}: {e}") from e


def _scan_folder(root: Path) -> tuple[datasets.ImageFolder, dict]:
    """Scan ``root/train`` and ``root/val`` once; check they have the same classes and no empty class."""
    train, val = scan(root / "train"), scan(root / "val")
    if train.classes != val.classes:
        only_train = sorted(set(train.classes) - set(val.classes))[:5]
        only_val = sorted(set(val.classes) - set(train.classes))[:5]
        raise ValueError(f"{root}: train/ and val/ have different classes (only in train: {only_train}, only in "
                         f"val: {only_val})")
    counts = np.bincount([y for _, y in train.samples], minlength=len(train.classes))
    return train, {"root": str(root), "classes": train.classes, "train_images": len(train.samples),
                   "val_images": len(val.samples), "min_train_per_class": int(counts.min())}


def check_image_folder(root: str | Path) -> dict:
    """Check ``root/train`` and ``root/val`` (same classes, no empty class); returns classes and counts."""
    return _scan_folder(Path(root))[1]


def _rel(path: str, base: Path) -> str:
    return Path(path).relative_to(base).as_posix()


def make_split(root: str | Path, holdout: int, seed: int, out: str | Path) -> dict:
    """Carve ``holdout`` images (uniformly at random, seeded) out of ``root/train``; write ``out`` (split.json).

    An existing ``out`` made with the same root, size, seed and file list is kept; another is an error."""
    root, out = Path(root), Path(out)
    train, info = _scan_folder(root)
    if not 0 < holdout < len(train.samples):
        raise ValueError(f"held-out size {holdout} must be between 1 and the {len(train.samples)} training images - 1")
    base = root / "train"
    rels = [_rel(p, base) for p, _ in train.samples]
    digest = hashlib.sha256("\n".join(rels).encode()).hexdigest()
    order = np.random.default_rng(seed).permutation(len(rels))
    record = {"format": "speechnas-image-split-1", "root": str(root), "holdout": holdout, "seed": seed,
              "classes": info["classes"], "train_images": len(rels), "val_images": info["val_images"],
              "files_sha256": digest, "holdout_files": [rels[i] for i in order[:holdout]]}
    if out.is_file():
        have = json.loads(out.read_text())
        changed = [k for k in ("root", "holdout", "seed", "files_sha256") if have.get(k) != record[k]]
        if changed:
            raise ValueError(f"{out} was made with a different {', '.join(changed)}; remove it or use another data dir")
        log.info("split %s exists (%d held out), keeping it", out, holdout)
        return have
    atomic_write_json(out, record, indent=1)
    return record


@dataclass
class SplitData:
    """The training subset, the held-out subset (split order) and the validation set of one split."""

    classes: list[str]
    train: list[tuple[str, int]]
    holdout: list[tuple[str, int]]
    val: list[tuple[str, int]]


def load_split(split_file: str | Path) -> SplitData:
    """Read ``split.json`` and scan its folder again; fails if the folder changed since the split was made."""
    split_file = Path(split_file)
    if not split_file.is_file():
        raise FileNotFoundError(f"{split_file} not found: run stage 0 (data check and split) first")
    rec = json.loads(split_file.read_text())
    root = Path(rec["root"])
    train = scan(root / "train")
    base = root / "train"
    if train.classes != rec["classes"] or len(train.samples) != rec["train_images"]:
        raise ValueError(f"{root / 'train'} changed since {split_file} was made (classes or image count); make the "
                         f"split again")
    by_rel = {_rel(p, base): (p, y) for p, y in train.samples}
    missing = [r for r in rec["holdout_files"] if r not in by_rel]
    if missing:
        raise ValueError(f"{split_file}: held-out image {missing[0]} is not in {base} any more")
    held = set(rec["holdout_files"])
    val = scan(root / "val")
    return SplitData(train.classes, [s for r, s in by_rel.items() if r not in held],
                     [by_rel[r] for r in rec["holdout_files"]], list(val.samples))


class EpochBatchSampler:
    """Batches of one rank for one epoch: a seeded permutation of the whole set (``(seed, epoch)``), cut into global
    batches of ``batch_size * world`` (the incomplete last one dropped), this rank's slice of each, as
    ``(index, epoch)`` keys of :class:`Samples`.

    ``set_epoch(e)`` picks the order; ``set_start(b)`` skips the first ``b`` batches of the next pass without loading
    them (exact resume inside an epoch).
    """

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world: int = 1):
        if n < batch_size * world:
            raise ValueError(f"{n} training images are fewer than one global batch of {batch_size * world}")
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self.epoch = self.start = 0

    def __len__(self) -> int:
        return self.n // (self.batch_size * self.world)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def set_start(self, batch: int) -> None:
        self.start = int(batch)

    def __iter__(self) -> Iterator[list[int]]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
        g = self.batch_size * self.world
        start, self.start = self.start, 0
        for b in range(start, len(self)):
            chunk = order[b * g:(b + 1) * g]
            yield [(i, self.epoch) for i in chunk[self.rank * self.batch_size:(self.rank + 1) * self.batch_size].tolist()]


def train_loader(samples: Sequence[tuple[str, int]], cfg: DataConfig, batch_size: int, seed: int, rank: int = 0,
                 world: int = 1, workers: int | None = None) -> DataLoader:
    """Training batches (uint8 images, labels) of one rank; ``batch_size`` is per rank. Order and augmentation come
    from ``seed`` alone (the loader has its own generator, so making an iterator leaves the global RNG alone)."""
    workers = cfg.workers if workers is None else workers
    sampler = EpochBatchSampler(len(samples), batch_size, seed, rank, world)
    return DataLoader(Samples(samples, train_transform(cfg), cfg.decoder, seed), batch_sampler=sampler,
                      num_workers=workers, pin_memory=torch.cuda.is_available(), persistent_workers=workers > 0,
                      prefetch_factor=4 if workers > 0 else None, generator=torch.Generator().manual_seed(seed))


def fixed_batches(samples: Sequence[tuple[str, int]], cfg: DataConfig, batch_size: int,
                  workers: int | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``samples`` in order with the evaluation transform, decoded once and kept as uint8 batches."""
    workers = cfg.workers if workers is None else workers
    loader = DataLoader(Samples(samples, eval_transform(cfg), cfg.decoder), batch_size=batch_size, shuffle=False,
                        num_workers=workers)
    return [(x, y) for x, y in loader]


def eval_loader(samples: Sequence[tuple[str, int]], cfg: DataConfig, batch_size: int,
                workers: int | None = None) -> DataLoader:
    """``samples`` in order with the evaluation transform, streamed (for the 50,000 validation images)."""
    workers = cfg.workers if workers is None else workers
    return DataLoader(Samples(samples, eval_transform(cfg), cfg.decoder), batch_size=batch_size, shuffle=False,
                      num_workers=workers, pin_memory=torch.cuda.is_available())

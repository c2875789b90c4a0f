"""The built-in mini image set: a few procedurally drawn shape classes, written as real JPEG files in ImageNet's
``train/<wnid>/*.JPEG``, ``val/<wnid>/*.JPEG`` layout, so every stage of the recipe runs the real loading path.

Each class is a kind of shape (disc, square, triangle, ring, cross, stripes) in a random colour, size, position and
rotation, on a gentle gradient background (light under a dark shape, dark under a light one) with noise and a few
small distractor dots; shape, not colour, tells the classes apart, so a network has to learn something. Every image comes from a numpy generator
seeded with ``(seed, split, class, index)``: the same settings give identical files. The set is built in a temporary
folder and renamed into place, with ``mini.json`` (its settings) written last; a finished set is not rebuilt.
"""
from __future__ import annotations

import io
import json
import logging
import math
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

log = logging.getLogger(__name__)

CLASSES = ("disc", "square", "triangle", "ring", "cross", "stripes")


@dataclass(frozen=True)
class MiniSetConfig:
    """Size of the mini set: classes (the first ``num_classes`` of :data:`CLASSES`), images per class, pixels."""

    num_classes: int = 6
    train_per_class: int = 100
    val_per_class: int = 30
    image_size: int = 72  # stored size; the recipe crops 64 from it
    jpeg_quality: int = 90
    seed: int = 0

    def check(self) -> None:
        if not 2 <= self.num_classes <= len(CLASSES):
            raise ValueError(f"mini.num_classes must be in 2..{len(CLASSES)}, got {self.num_classes}")
        if self.train_per_class < 1 or self.val_per_class < 1 or self.image_size < 16:
            raise ValueError("mini set: train_per_class and val_per_class must be >= 1 and image_size >= 16")


def wnid(index: int) -> str:
    """Folder name of class ``index``: ImageNet-like id plus the shape, e.g. ``n90000002_triangle``."""
    return f"n{90000000 + index:08d}_{CLASSES[index]}"


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(0, 256, size=3))


def _contrasting(rng: np.random.Generator, light_background: bool) -> tuple[int, int, int]:
    """A random colour on the other side of mid-grey from the background (so the shape stands out)."""
    lo, hi = (0, 100) if light_background else (156, 256)
    return tuple(int(v) for v in rng.integers(lo, hi, size=3))


def _background(rng: np.random.Generator, size: int, light: bool) -> Image.Image:
    """A gentle two-colour gradient, light or dark, with pixel noise."""
    lo, hi = (150, 256) if light else (0, 106)
    a, b = rng.integers(lo, hi, size=3), rng.integers(lo, hi, size=3)
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    t = (np.cos(angle) * xx + np.sin(angle) * yy)
    t = (t - t.min()) / max(t.max() - t.min(), 1e-6)
    img = a[None, None] * (1 - t[..., None]) + b[None, None] * t[..., None]
    img = img + rng.normal(0, 8, size=img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def _rotated(points: np.ndarray, angle: float, centre: np.ndarray) -> list[tuple[float, float]]:
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return [tuple(p) for p in (points @ rot.T + centre)]


def _shape(draw: ImageDraw.ImageDraw, kind: str, rng: np.random.Generator, size: int, colour) -> None:
    r = rng.uniform(0.24, 0.4) * size
    centre = rng.uniform(r + 2, size - r - 2, size=2)
    angle = rng.uniform(0, 2 * math.pi)
    cx, cy = centre
    if kind == "disc":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif kind == "ring":
        w = max(2, int(r * rng.uniform(0.25, 0.4)))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=colour, width=w)
    elif kind == "square":
        pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * r * 0.8
        draw.polygon(_rotated(pts, angle, centre), fill=colour)
    elif kind == "triangle":
        pts = np.array([[math.cos(a), math.sin(a)] for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)]) * r
        draw.polygon(_rotated(pts, angle, centre), fill=colour)
    elif kind == "cross":
        w = r * rng.uniform(0.25, 0.4)
        for arm in (np.array([[-r, -w], [r, -w], [r, w], [-r, w]]), np.array([[-w, -r], [w, -r], [w, r], [-w, r]])):
            draw.polygon(_rotated(arm, angle, centre), fill=colour)
    elif kind == "stripes":
        w = r * rng.uniform(0.15, 0.25)
        for k in (-2, 0, 2):
            bar = np.array([[-r, k * w - w / 2], [r, k * w - w / 2], [r, k * w + w / 2], [-r, k * w + w / 2]])
            draw.polygon(_rotated(bar, angle, centre), fill=colour)
    else:
        raise ValueError(f"unknown mini-set class {kind!r}")


def draw_image(kind: str, rng: np.random.Generator, size: int) -> Image.Image:
    """One RGB image of class ``kind``: background, a few small distractor dots, the shape, a slight blur."""
    light = bool(rng.integers(2))
    img = _background(rng, size, light)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(0, 3))):  # small dots that belong to no class
        x, y = rng.uniform(0, size, size=2)
        s = rng.uniform(1.0, 0.03 * size + 1)
        draw.ellipse([x - s, y - s, x + s, y + s], fill=_colour(rng))
    _shape(draw, kind, rng, size, _contrasting(rng, light))
    return img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.0, 0.6))))


def jpeg_bytes(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def make_mini_set(out_dir: str | Path, cfg: MiniSetConfig = MiniSetConfig()) -> Path:
    """Write the mini set into ``out_dir`` (``train/``, ``val/``, ``mini.json``); skipped when it exists with the
    same settings, refused (nothing touched) when ``out_dir`` holds something else."""
    cfg.check()
    out = Path(out_dir)
    record = {"format": "speechnas-mini-images-1", **asdict(cfg),
              "classes": [wnid(i) for i in range(cfg.num_classes)]}
    marker = out / "mini.json"
    if marker.is_file():
        have = json.loads(marker.read_text())
        if have == record:
            log.info("mini image set %s exists, skipping", out)
            return out
        raise ValueError(f"{out} holds a mini image set made with other settings ({marker}); remove it or use "
                         f"another folder")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} exists and is not a finished mini image set (no {marker.name}); remove it first")
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for split_id, (split, per_class) in enumerate((("train", cfg.train_per_class), ("val", cfg.val_per_class))):
        for c in range(cfg.num_classes):
            folder = tmp / split / wnid(c)
            folder.mkdir(parents=True)
            for i in range(per_class):
                rng = np.random.default_rng([cfg.seed, split_id, c, i])
                data = jpeg_bytes(draw_image(CLASSES[c], rng, cfg.image_size), cfg.jpeg_quality)
                (folder / f"{wnid(c).split('_')[0]}_{i:05d}.JPEG").write_bytes(data)
    (tmp / marker.name).write_text(json.dumps(record, indent=2) + "\n")
    if out.exists():
        out.rmdir()  # empty (checked above)
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out)
    log.info("mini image set: %d classes, %d train and %d val images per class in %s", cfg.num_classes,
             cfg.train_per_class, cfg.val_per_class, out)
    return out

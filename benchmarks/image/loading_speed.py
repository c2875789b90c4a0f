"""Data loading: training-transform images per second on one core, with PIL's and with torchvision's JPEG decoder,
on JPEGs of ImageNet's typical size (about 500 x 375, quality 90, ~110 KB: procedurally drawn scenes with fine noise
and texture, so the decoder has real entropy to work through), and how many cores a GPU would need.

Each image is read from disk, decoded, RandomResizedCrop to 224, flipped and colour-jittered (the recipe's
transform, ending in uint8), in one process with one thread. ``--gpu-images-per-s`` are assumed training rates of one
GPU at the paper's batch (not measured here); cores needed = rate / images per second per core.

    .venv/bin/python benchmarks/image/loading_speed.py [--images 200] [--size 500x375]
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_args import report  # noqa: E402

from speechnas.image.data import DataConfig, Samples, train_transform  # noqa: E402
from speechnas.image.mini import CLASSES, draw_image  # noqa: E402


def imagenet_like(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    """A drawn scene scaled to ``w x h`` with texture and noise (JPEG size near an ImageNet photo's)."""
    base = np.array(draw_image(CLASSES[int(rng.integers(len(CLASSES)))], rng, 96).resize((w, h), Image.BICUBIC),
                    dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    texture = 18 * np.sin(xx / rng.uniform(2, 6) + rng.uniform(0, 6)) * np.cos(yy / rng.uniform(2, 6))
    img = base + texture[..., None] + rng.normal(0, 24, size=base.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--size", default="500x375")
    ap.add_argument("--rounds", type=int, default=2, help="passes over the images per decoder (best kept)")
    ap.add_argument("--gpu-images-per-s", default="1000,2500,5000", help="assumed training rates of one GPU")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(1)
    w, h = (int(v) for v in args.size.split("x"))
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.images):
            path = Path(tmp) / f"img_{i:05d}.JPEG"
            imagenet_like(rng, w, h).save(path, format="JPEG", quality=90)
            files.append((str(path), 0))
        kb = np.mean([Path(p).stat().st_size for p, _ in files]) / 1024
        rates = {}
        for decoder in ("pil", "torchvision"):
            ds = Samples(files, train_transform(DataConfig(image_size=224, decoder=decoder)), decoder, seed=0)
            best = 0.0
            for r in range(args.rounds):
                t0 = time.perf_counter()
                for i in range(len(ds)):
                    ds[(i, r)]
                best = max(best, len(ds) / (time.perf_counter() - t0))
            rates[decoder] = round(best, 1)
    gpus = [float(v) for v in args.gpu_images_per_s.split(",")]
    report({"images": args.images, "size": f"{w}x{h}", "mean_jpeg_kb": round(float(kb), 1),
            "images_per_s_per_core": rates,
            "cores_needed": {f"{g:.0f} img/s GPU": {d: math.ceil(g / r) for d, r in rates.items()} for g in gpus}},
            args.out)


if __name__ == "__main__":
    main()

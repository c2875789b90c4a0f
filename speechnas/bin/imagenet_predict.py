"""Classify the images in a folder with an exported model; one JSON line per image (file, top classes)::

    python -m speechnas.bin.imagenet_predict --model exp/mini/export --images photos/ [--topk 5] [--device cuda]
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import torch

from speechnas.image.export import ModelDirError, image_files, load_model
from speechnas.utils.io import atomic_write_text
from speechnas.utils.logging import setup_logging


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="an exported model directory (stage 5) or a trained one (stage 3)")
    p.add_argument("--images", required=True, help="folder of images (searched recursively)")
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--out", type=Path, default=None, help="also write the lines to this file")
    args = p.parse_args(argv)
    setup_logging(logging.WARNING)
    torch.set_num_threads(1)
    try:
        clf = load_model(args.model, args.device)
        results = clf.predict_files(image_files(args.images), args.batch_size, args.topk)
    except (ModelDirError, FileNotFoundError, ValueError) as e:
        print(f"imagenet_predict: {e}", file=sys.stderr)
        return 2
    lines = "".join(json.dumps(r) + "\n" for r in results)
    sys.stdout.write(lines)
    if args.out is not None:
        atomic_write_text(args.out, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

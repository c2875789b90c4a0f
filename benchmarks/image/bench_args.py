"""Command-line options shared by the image benchmark scripts: where to run and where to write the JSON."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from speechnas.utils.device import resolve_device


def add_runtime_args(ap: argparse.ArgumentParser) -> None:
    """``--device``, ``--threads`` (default 1, so numbers compare across machines) and ``--out``."""
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (CUDA when available)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="also write the results as JSON here")


def runtime_device(args: argparse.Namespace) -> torch.device:
    torch.set_num_threads(args.threads)
    return resolve_device(args.device)


def report(results: dict, out: Path | None) -> None:
    """Print ``results`` as JSON (and write it to ``out``)."""
    text = json.dumps(results, indent=2)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")

"""Command-line options shared by the TTS benchmark scripts: where to run and where to write the JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def add_runtime_args(ap: argparse.ArgumentParser) -> None:
    """``--device``, ``--threads`` (default 1, so numbers compare across machines) and ``--out``."""
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write the results as JSON here")


def runtime_device(args: argparse.Namespace) -> torch.device:
    """Apply ``--threads`` and return the ``--device`` to run on."""
    torch.set_num_threads(args.threads)
    return torch.device(args.device)

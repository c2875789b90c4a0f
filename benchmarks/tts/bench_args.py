"""Command-line options shared by the TTS benchmark scripts: where to run, where to write the JSON, and where the
shared real test data lives."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from speechnas.utils.device import resolve_device

# the read-only real test data (LJSpeech clips): $SPEECHNAS_SHARED, else ../shared beside the repository
# (resolved as tests/conftest.py does)
SHARED = Path(os.environ.get("SPEECHNAS_SHARED", Path(__file__).resolve().parents[3] / "shared")).resolve()


def add_runtime_args(ap: argparse.ArgumentParser) -> None:
    """``--device``, ``--threads`` (default 1, so numbers compare across machines) and ``--out``."""
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (CUDA when available)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write the results as JSON here")


def runtime_device(args: argparse.Namespace) -> torch.device:
    """Apply ``--threads`` and return the ``--device`` to run on (``cuda`` without a GPU is a clear error)."""
    torch.set_num_threads(args.threads)
    return resolve_device(args.device)

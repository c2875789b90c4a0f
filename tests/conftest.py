"""Shared test fixtures: where the read-only test data in ../shared lives, and a quiet single-thread torch."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SPEECHNAS_SHARED", REPO.parent / "shared")).resolve()

torch.set_num_threads(1)


def shared_path(*parts: str) -> Path:
    """Path under ../shared (or $SPEECHNAS_SHARED); skips the test with a reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"test data {path} is absent (set SPEECHNAS_SHARED to the shared data folder)")
    return path


@pytest.fixture
def repo_root() -> Path:
    return REPO

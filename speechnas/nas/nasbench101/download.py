"""Stage 0: fetch the official benchmark file, resumable (HTTP Range), size and SHA-256 checked.

The published SHA-256s come from the google-research/nasbench README; exact sizes are not published, so the
size is checked against what the server announces (Content-Range / Content-Length). Without a network the error
says where to put a copy fetched elsewhere.
"""
from __future__ import annotations

import os
from pathlib import Path

from speechnas.utils import download
from speechnas.utils.download import DownloadError  # noqa: F401 (re-exported for stage 0 and its tests)

FILES = {  # name -> (url, sha256, approximate size)
    "only108": ("https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord",
                "4c39c3936e36a85269881d659e44e61a245babcb72cb374eacacf75d0e5f4fd1", "499 MB"),
    "full": ("https://storage.googleapis.com/nasbench/nasbench_full.tfrecord",
             "3d64db8180fb1b0207212f9032205064312b6907a3bbc81eabea10db2f5c7e9c", "1.95 GB"),
}


def fetch(url: str, dest: str | os.PathLike, sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Download the benchmark file ``url`` to ``dest`` (resumable; size as announced by the server; SHA-256 checked)."""
    hint = (f"Without network access, fetch it on another machine and put it at {dest} (or point the recipe's "
            f"--nb101-file at it); SHA-256 {sha256 or 'unknown'}.")
    return download.fetch(url, dest, sha256=sha256, offline_hint=hint, timeout=timeout)

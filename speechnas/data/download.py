"""Stage 0 for real data: download LJSpeech-1.1 (resumable, size and sha256 checked) and extract it.

A partial download (``<name>.part``) is continued with an HTTP Range request; the finished archive is checked
against the published size and sha256 before it is renamed into place and extracted; extraction goes to a temporary
folder renamed into place, so an interrupted extraction leaves nothing that looks complete.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from speechnas.utils.download import DownloadError, fetch

LJSPEECH_URL = "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
LJSPEECH_SIZE = 2_748_572_632
LJSPEECH_SHA256 = "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"


def download(url: str, dest: str | os.PathLike, size: int | None = None, sha256: str | None = None,
             timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``); verify size and sha256; return ``dest``."""
    known = ", ".join(([f"size {size} bytes"] if size is not None else []) + ([f"sha256 {sha256}"] if sha256 else []))
    hint = ("Without network access, download it elsewhere and pass the extracted folder with --ljspeech-dir"
            + (f" ({known})." if known else "."))
    return fetch(url, dest, size=size, sha256=sha256, offline_hint=hint, timeout=timeout)


def extract(archive: str | os.PathLike, out_dir: str | os.PathLike, top: str) -> Path:
    """Extract ``archive`` (containing folder ``top``) into ``out_dir/top`` via a temporary folder."""
    out_dir = Path(out_dir)
    target = out_dir / top
    if target.is_dir():
        return target
    tmp = Path(tempfile.mkdtemp(prefix=".extract.", dir=out_dir))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        if not (tmp / top).is_dir():
            raise DownloadError(f"{archive}: expected a top folder {top!r}")
        os.replace(tmp / top, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def obtain_ljspeech(download_dir: str | os.PathLike, url: str = LJSPEECH_URL, size: int | None = LJSPEECH_SIZE,
                    sha256: str | None = LJSPEECH_SHA256, keep_archive: bool = False) -> Path:
    """``<download_dir>/LJSpeech-1.1`` ready to use, downloading and extracting it when needed."""
    download_dir = Path(download_dir)
    target = download_dir / "LJSpeech-1.1"
    if (target / "metadata.csv").is_file():
        return target
    archive = download(url, download_dir / Path(url).name, size, sha256)
    extract(archive, download_dir, "LJSpeech-1.1")
    if not keep_archive:
        archive.unlink()
    return target


__all__ = ["DownloadError", "download", "extract", "obtain_ljspeech", "check_corpus_dir"]


def check_corpus_dir(path: str | os.PathLike) -> Path:
    """An existing LJSpeech-layout folder (``metadata.csv`` and ``wavs/``), or an error naming what is missing."""
    path = Path(path)
    for need in ("metadata.csv", "wavs"):
        if not (path / need).exists():
            raise FileNotFoundError(f"{path}: not an LJSpeech-layout corpus ({need} is missing)")
    return path

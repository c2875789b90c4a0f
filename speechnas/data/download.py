"""Stage 0 for real data: download LJSpeech-1.1 (resumable, size and sha256 checked) and extract it.

A partial download (``<name>.part``) is continued with an HTTP Range request; the finished archive is checked
against the published size and sha256 before it is renamed into place and extracted; extraction goes to a temporary
folder renamed into place, so an interrupted extraction leaves nothing that looks complete.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from speechnas.utils.progress import progress

LJSPEECH_URL = "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
LJSPEECH_SIZE = 2_748_572_632
LJSPEECH_SHA256 = "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"


class DownloadError(RuntimeError):
    """The download failed (no network, wrong size or checksum)."""


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: str | os.PathLike, size: int | None = None, sha256: str | None = None,
             timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``); verify size and sha256; return ``dest``."""
    dest = Path(dest)
    if dest.is_file() and (size is None or dest.stat().st_size == size):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            if have and resp.status != 206:  # server ignored the range: start over
                have = 0
            total = size or (have + int(resp.headers.get("Content-Length", 0))) or None
            with open(part, "ab" if have else "wb") as f, progress(total=total, initial=have, unit="B",
                                                                   unit_scale=True, desc=dest.name) as bar:
                while block := resp.read(1 << 20):
                    f.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as e:
        raise DownloadError(f"cannot download {url}: {e}. Without network access, download it elsewhere and pass "
                            f"the extracted folder with --ljspeech-dir (partial file kept at {part})") from e
    got = part.stat().st_size
    if size is not None and got != size:
        raise DownloadError(f"{part}: size {got} bytes, expected {size}; run again to resume")
    if sha256 is not None:
        digest = sha256_of(part)
        if digest != sha256:
            part.unlink()
            raise DownloadError(f"{url}: sha256 {digest} does not match {sha256}; the file was removed, run again")
    os.replace(part, dest)
    return dest


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


def check_corpus_dir(path: str | os.PathLike) -> Path:
    """An existing LJSpeech-layout folder (``metadata.csv`` and ``wavs/``), or an error naming what is missing."""
    path = Path(path)
    for need in ("metadata.csv", "wavs"):
        if not (path / need).exists():
            raise FileNotFoundError(f"{path}: not an LJSpeech-layout corpus ({need} is missing)")
    return path

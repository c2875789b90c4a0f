"""Stage 0: fetch the official benchmark file, resumable (HTTP Range), size and SHA-256 checked.

The published SHA-256s come from the google-research/nasbench README; exact sizes are not published, so the
size is checked against what the server announces (Content-Range / Content-Length). Without a network the error
says where to put a copy fetched elsewhere.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

FILES = {  # name -> (url, sha256, approximate size)
    "only108": ("https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord",
                "4c39c3936e36a85269881d659e44e61a245babcb72cb374eacacf75d0e5f4fd1", "499 MB"),
    "full": ("https://storage.googleapis.com/nasbench/nasbench_full.tfrecord",
             "3d64db8180fb1b0207212f9032205064312b6907a3bbc81eabea10db2f5c7e9c", "1.95 GB"),
}


class DownloadError(RuntimeError):
    """The download failed (no network, wrong size or checksum); the message says what to do."""


def sha256_of(path: str | os.PathLike, block: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _total_size(resp, have: int) -> int | None:
    m = re.match(r"bytes \d+-\d+/(\d+)", resp.headers.get("Content-Range", ""))
    if m:
        return int(m.group(1))
    length = resp.headers.get("Content-Length")
    return have + int(length) if length is not None else None


def fetch(url: str, dest: str | os.PathLike, sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` via ``dest.part`` (continued with a Range request); verify; rename into place."""
    dest = Path(dest)
    if dest.is_file():
        if sha256 is None or sha256_of(dest) == sha256:
            return dest
        raise DownloadError(f"{dest} exists but its SHA-256 is not {sha256}: it is corrupt or another file; "
                            "remove it and run stage 0 again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    total = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            if have and resp.status != 206:  # the server ignored the range: start over
                have = 0
            total = _total_size(resp, have)
            _stream(resp, part, have, total, dest.name)
    except urllib.error.HTTPError as e:
        if not (e.code == 416 and have):  # 416: nothing left to fetch, the partial file is complete
            raise DownloadError(f"cannot download {url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, OSError) as e:
        kept = f" The partial download {part} is resumed next time." if part.is_file() and part.stat().st_size else ""
        raise DownloadError(
            f"cannot download {url} ({getattr(e, 'reason', e)}). Without network access, fetch it on another machine "
            f"and put it at {dest} (or point the recipe's --nb101-file at it); SHA-256 {sha256 or 'unknown'}.{kept}"
        ) from e
    got = part.stat().st_size
    if total is not None and got != total:
        raise DownloadError(f"{part}: {got} bytes, the server announced {total}; run stage 0 again to resume")
    if sha256 is not None:
        digest = sha256_of(part)
        if digest != sha256:
            part.unlink()
            raise DownloadError(f"{url}: SHA-256 {digest} is not the published {sha256}; the download was removed, "
                                "run stage 0 again")
    os.replace(part, dest)
    return dest


def _stream(resp, part: Path, have: int, total: int | None, name: str) -> None:
    bar = None
    if sys.stderr.isatty():
        from speechnas.utils.progress import progress

        bar = progress(total=total, initial=have, unit="B", unit_scale=True, desc=name)
    with open(part, "ab" if have else "wb") as f:
        while block := resp.read(1 << 20):
            f.write(block)
            if bar is not None:
                bar.update(len(block))
        f.flush()
        os.fsync(f.fileno())
    if bar is not None:
        bar.close()

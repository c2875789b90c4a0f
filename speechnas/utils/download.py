"""Resumable downloads for every recipe's stage 0: HTTP Range continuation, size and SHA-256 checks, atomic rename.

``dest.part`` grows until complete; only a verified file is renamed to ``dest``. Without a network the error says
what to do instead (``offline_hint``, written by the caller: which option or path to use).
"""
from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from speechnas.utils.progress import progress


class DownloadError(RuntimeError):
    """The download failed (no network, wrong size or checksum); the message says what to do."""


def sha256_of(path: str | os.PathLike, block: int = 1 << 22) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _announced_size(resp, have: int) -> int | None:
    m = re.match(r"bytes \d+-\d+/(\d+)", resp.headers.get("Content-Range", ""))
    if m:
        return int(m.group(1))
    length = resp.headers.get("Content-Length")
    return have + int(length) if length is not None else None


def fetch(url: str, dest: str | os.PathLike, size: int | None = None, sha256: str | None = None,
          offline_hint: str = "", timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), check ``size`` (else the server's) and ``sha256``."""
    dest = Path(dest)
    if dest.is_file():
        if (size is None or dest.stat().st_size == size) and (sha256 is None or sha256_of(dest) == sha256):
            return dest
        raise DownloadError(f"{dest} exists but is not the expected file (size or SHA-256 differ): remove it and "
                            "run the stage again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    total = size
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            if have and resp.status != 206:  # the server ignored the range: start over
                have = 0
            total = size or _announced_size(resp, have)
            _stream(resp, part, have, total, dest.name)
    except urllib.error.HTTPError as e:
        if not (e.code == 416 and have):  # 416: nothing left to fetch, the partial file is complete
            raise DownloadError(f"cannot download {url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, OSError) as e:
        kept = f" The partial download {part} is resumed next time." if part.is_file() and part.stat().st_size else ""
        raise DownloadError(f"cannot download {url} ({getattr(e, 'reason', e)}). {offline_hint}{kept}".strip()) from e
    got = part.stat().st_size
    if total is not None and got != total:
        raise DownloadError(f"{part}: size {got} bytes, expected {total}; run the stage again to resume")
    if sha256 is not None:
        digest = sha256_of(part)
        if digest != sha256:
            part.unlink()
            raise DownloadError(f"{url}: sha256 {digest} does not match the published {sha256}; the download was "
                                "removed, run the stage again")
    os.replace(part, dest)
    return dest


def _stream(resp, part: Path, have: int, total: int | None, name: str) -> None:
    """Append the response body to ``part``, with a progress bar where :func:`progress` enables one."""
    with progress(total=total, initial=have, unit="B", unit_scale=True, desc=name) as bar, \
            open(part, "ab" if have else "wb") as f:
        while block := resp.read(1 << 20):
            f.write(block)
            bar.update(len(block))
        f.flush()
        os.fsync(f.fileno())

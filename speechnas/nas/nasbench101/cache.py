"""The binary cache beside the benchmark file: built on the first load, read (in well under a second) afterwards.

The cache is one uncompressed ``.npz`` holding the :class:`~.table.Table` arrays plus a JSON ``meta`` entry with the
source file's size, mtime and SHA-256. It is reused when size and mtime match; when only the mtime differs the
SHA-256 is recomputed and the cache rebuilt if the content changed. Writes are atomic.
"""
from __future__ import annotations

import json
import logging
import os
import zipfile
from pathlib import Path

import numpy as np

from speechnas.nas.nasbench101.table import Table, read_tfrecord, verify_table_hashes
from speechnas.utils.download import sha256_of
from speechnas.utils.io import atomic_write_with

FORMAT = "speechnas-nasbench101-cache-v1"
_ARRAYS = ("hashes", "num_vertices", "adjacency", "ops", "params", "epochs", "metrics", "n_repeats")
_BROKEN = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)  # what a damaged cache file raises
log = logging.getLogger(__name__)


def default_cache_path(source: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(source)}.cache.npz")


def save_cache(table: Table, cache_path: str | os.PathLike) -> None:
    meta = json.dumps({**table.meta, "format": FORMAT, "num_records": table.num_records})
    arrays = {name: getattr(table, name) for name in _ARRAYS}
    atomic_write_with(cache_path, lambda f: np.savez(f, meta=np.array(meta), **arrays))


def read_cache_meta(cache_path: str | os.PathLike) -> dict | None:
    """The cache's meta dict, or None when the file is missing or unreadable."""
    try:
        with np.load(cache_path) as z:
            return json.loads(str(z["meta"]))
    except _BROKEN:
        return None


def load_cache(cache_path: str | os.PathLike) -> Table:
    with np.load(cache_path) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {name: z[name] for name in _ARRAYS}
    return Table(**arrays, num_records=int(meta["num_records"]), meta=meta)


def _source_meta(source: Path, sha256: str | None = None) -> dict:
    st = source.stat()
    return {"source": source.name, "source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns,
            "source_sha256": sha256 or sha256_of(source)}


def stale_reason(source: str | os.PathLike, cache_path: str | os.PathLike) -> str | None:
    """Why the cache cannot be used for ``source`` (None when it can)."""
    source = Path(source)
    meta = read_cache_meta(cache_path)
    if meta is None:
        return "no readable cache"
    if meta.get("format") != FORMAT:
        return f"cache format {meta.get('format')!r} is not {FORMAT!r}"
    st = source.stat()
    if meta.get("source_size") != st.st_size:
        return f"source size {st.st_size} differs from the cached {meta.get('source_size')}"
    if meta.get("source_mtime_ns") == st.st_mtime_ns:
        return None
    if sha256_of(source) != meta.get("source_sha256"):
        return "source content (SHA-256) changed"
    return None


def load_table(source: str | os.PathLike, cache_path: str | os.PathLike | None = None, rebuild: bool = False,
               verify_hashes: bool = False) -> Table:
    """The benchmark behind ``source``: from the cache when it is current, else read the file and (re)write it.

    ``verify_hashes`` recomputes every cell's hash of the table returned, whether it came from the cache or the
    file (a bad file is never cached). When the cache location is not writable the table is still returned (with
    a warning).
    """
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"NAS-Bench-101 file {source} does not exist")
    cache_path = Path(cache_path) if cache_path else default_cache_path(source)
    why = "rebuild requested" if rebuild else stale_reason(source, cache_path)
    if why is None:
        try:
            table = load_cache(cache_path)
        except _BROKEN as e:  # damaged cache file: rebuild it
            why = f"cache unreadable ({e})"
        else:
            if verify_hashes:
                verify_table_hashes(table, f"{cache_path} (the cache of {source}; --rebuild reads the file again)")
            if table.meta.get("source_mtime_ns") != source.stat().st_mtime_ns:  # same content, touched
                table.meta.update(_source_meta(source, table.meta["source_sha256"]))
                _try_save(table, cache_path)
            return table
    log.info("building NAS-Bench-101 cache %s (%s)", cache_path, why)
    table = read_tfrecord(source)
    if verify_hashes:
        verify_table_hashes(table, source)
    table.meta = _source_meta(source)
    _try_save(table, cache_path)
    return table


def _try_save(table: Table, cache_path: Path) -> None:
    try:
        save_cache(table, cache_path)
    except OSError as e:
        log.warning("could not write the NAS-Bench-101 cache %s (%s); the next load reads the file again",
                    cache_path, e)

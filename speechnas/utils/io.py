"""Atomic writes: temp file in the same directory, fsync, rename. A reader sees the old or the new file, never half."""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, IO, Iterator

import yaml


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                durable: bool = True) -> Iterator[IO]:
    """Open a temp file beside ``path``; on clean exit fsync it and rename it over ``path``.

    On an exception (or a kill) the temp file is removed (or left as ``*.tmp``) and ``path`` is untouched.
    ``durable=False`` skips the two fsyncs (still atomic against a killed process, not against a power cut): for
    the thousands of per-utterance files of stages 0 and 2, whose writer calls ``os.sync()`` once before it writes
    the index that marks them complete (an fsync per file cost more than computing it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        if durable:
            _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, durable: bool = True) -> None:
    with atomic_open(path, "wb", durable=durable) as f:
        f.write(data)


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int = 2) -> None:
    atomic_write_text(path, json.dumps(obj, indent=indent, sort_keys=False) + "\n")


def atomic_write_yaml(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, yaml.safe_dump(obj, sort_keys=False, default_flow_style=False))


def atomic_write_with(path: str | os.PathLike, writer: Callable[[IO], None], binary: bool = True,
                      durable: bool = True) -> None:
    """Call ``writer(f)`` on a temp file, then rename it to ``path`` (for torch.save, np.save, savefig...)."""
    with atomic_open(path, "wb" if binary else "w", durable=durable) as f:
        writer(f)


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    import torch

    atomic_write_with(path, lambda f: torch.save(obj, f))

"""tqdm progress bars that stay quiet when stderr is not a terminal (CI, log files) or off rank 0."""
from __future__ import annotations

import os
import sys
from typing import Iterable, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress_enabled() -> bool:
    if os.environ.get("SPEECHNAS_PROGRESS") == "1":
        return True
    if os.environ.get("SPEECHNAS_PROGRESS") == "0":
        return False
    if not sys.stderr.isatty():
        return False
    # imported here so that scripts without torch (the NAS-Bench-101 reader) stay light
    from speechnas.utils.distributed import is_main_process

    return is_main_process()


def progress(iterable: Iterable[T] | None = None, **kwargs) -> tqdm:
    """``tqdm(iterable, **kwargs)`` with ``disable`` set from :func:`progress_enabled` unless given."""
    kwargs.setdefault("disable", not progress_enabled())
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)

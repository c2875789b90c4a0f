"""What a stage's earlier work was made with (``supernet.json``, ``search.json``, ``model.json``): a re-run with
other settings fails before it writes anything, naming the keys that changed, instead of mixing results."""
from __future__ import annotations

import json
from pathlib import Path

from speechnas.utils.distributed import get_info
from speechnas.utils.io import atomic_write_json


def changed_keys(have: dict, want: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ, with both values when they are short: ``a.b (0, now 100)``."""
    out = []
    for k in sorted(set(have) | set(want)):
        old, new = have.get(k), want.get(k)
        if isinstance(old, dict) and isinstance(new, dict):
            out += changed_keys(old, new, f"{prefix}{k}.")
        elif old != new:
            values = f" ({old!r}, now {new!r})" if len(repr(old)) + len(repr(new)) <= 60 else ""
            out.append(f"{prefix}{k}{values}")
    return out


def check_record(path: Path, record: dict, what: str) -> None:
    """Write ``record`` to ``path``, or fail if an earlier run there used a different one (nothing is lost)."""
    record = json.loads(json.dumps(record))  # as it reads back (tuples become lists)
    if path.is_file():
        have = json.loads(path.read_text())
        if have != record:
            raise ValueError(f"{path}: {what} in {path.parent} was made with a different "
                             f"{', '.join(changed_keys(have, record))}; remove {path.parent} or use another --exp-dir")
    elif get_info().is_main:
        atomic_write_json(path, record)

"""Experiment directories: every run records its resolved config, git commit, library versions and command line."""
from __future__ import annotations

import datetime as _dt
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from speechnas.utils.config import to_dict
from speechnas.utils.distributed import is_main_process
from speechnas.utils.io import atomic_write_json, atomic_write_yaml

_LIBRARIES = ("speechnas", "torch", "torchaudio", "torchvision", "numpy", "librosa", "soundfile", "PyYAML")


def git_commit(path: str | Path | None = None) -> str | None:
    """Commit hash of the repository holding ``path`` (this package by default), ``+dirty`` when modified."""
    cwd = Path(path) if path else Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10)
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_metadata(argv: list[str] | None = None) -> dict[str, Any]:
    argv = list(sys.argv if argv is None else argv)
    return {
        "command": shlex.join(argv),
        "argv": argv,
        "cwd": str(Path.cwd()),
        "git_commit": git_commit(),
        "versions": library_versions(),
        "host": platform.node(),
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def prepare_exp_dir(exp_dir: str | Path, config: Any = None, argv: list[str] | None = None) -> Path:
    """Create ``exp_dir`` and write ``config.yaml`` and ``meta.json`` (rank 0 only).

    Earlier runs' metadata is kept: ``meta.json`` holds the latest run and ``runs.jsonl`` grows by one line per run.
    """
    exp_dir = Path(exp_dir)
    exp_dir.mkdir(parents=True, exist_ok=True)
    if not is_main_process():
        return exp_dir
    meta = run_metadata(argv)
    if config is not None:
        atomic_write_yaml(exp_dir / "config.yaml", to_dict(config))
    atomic_write_json(exp_dir / "meta.json", meta)
    import json

    with open(exp_dir / "runs.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(meta) + "\n")
    return exp_dir

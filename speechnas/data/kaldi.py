"""Kaldi-style data directories: ``wav.scp``, ``text``, ``utt2spk``, ``spk2utt`` (sorted by key, C locale).

A text-only directory (hard sentences for the robustness test) has no ``wav.scp``. Directories are written whole into
a temporary sibling and renamed into place, so a reader never sees a half-written one; :func:`validate_data_dir`
checks one and names the file and line of the first problem.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


class DataDirError(ValueError):
    """A data directory (or one of its files) is malformed."""


@dataclass(frozen=True)
class Utterance:
    utt_id: str
    text: str
    wav: str | None = None  # None for text-only sets
    speaker: str = "LJ"


def read_scp(path: str | os.PathLike) -> dict[str, str]:
    """``<key> <value>`` lines -> dict (insertion order = file order); malformed lines and duplicates name the line."""
    path = Path(path)
    if not path.is_file():
        raise DataDirError(f"{path}: file not found")
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line == "":
            continue
        key, _, value = line.partition(" ")
        value = value.strip()
        if not key or key != key.strip() or not value:
            raise DataDirError(f"{path} line {n}: expected '<key> <value>', got {line!r}")
        if key in out:
            raise DataDirError(f"{path} line {n}: duplicate key {key!r} (first on line {first_line[key]})")
        out[key] = value
        first_line[key] = n
    return out


def _lines(mapping: dict[str, str]) -> str:
    return "".join(f"{k} {v}\n" for k, v in sorted(mapping.items()))


def write_data_dir(path: str | os.PathLike, utterances: list[Utterance]) -> Path:
    """Write a complete data directory at ``path`` (replacing any old one) and validate it."""
    path = Path(path)
    ids = [u.utt_id for u in utterances]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise DataDirError(f"{path}: duplicate utterance ids {dup}")
    has_wav = [u.wav is not None for u in utterances]
    if any(has_wav) and not all(has_wav):
        raise DataDirError(f"{path}: either every utterance has audio or none has")
    spk2utt: dict[str, list[str]] = {}
    for u in sorted(utterances, key=lambda u: u.utt_id):
        spk2utt.setdefault(u.speaker, []).append(u.utt_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        (tmp / "text").write_text(_lines({u.utt_id: u.text for u in utterances}), encoding="utf-8")
        (tmp / "utt2spk").write_text(_lines({u.utt_id: u.speaker for u in utterances}), encoding="utf-8")
        (tmp / "spk2utt").write_text(_lines({s: " ".join(v) for s, v in spk2utt.items()}), encoding="utf-8")
        if utterances and all(has_wav):
            (tmp / "wav.scp").write_text(_lines({u.utt_id: u.wav for u in utterances}), encoding="utf-8")
        validate_data_dir(tmp, require_wav=False)
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _check_sorted(path: Path) -> None:
    keys = [line.split(" ", 1)[0] for line in path.read_text(encoding="utf-8").split("\n") if line]
    for n, (a, b) in enumerate(zip(keys, keys[1:]), start=2):
        if b < a:
            raise DataDirError(f"{path} line {n}: not sorted (C locale): {b!r} comes after {a!r}")


def validate_data_dir(path: str | os.PathLike, require_wav: bool = False) -> int:
    """Check a data directory like Kaldi's ``validate_data_dir.sh --no-feats``; returns the number of utterances."""
    path = Path(path)
    if not path.is_dir():
        raise DataDirError(f"{path}: data directory not found")
    files = ["text", "utt2spk", "spk2utt"] + (["wav.scp"] if require_wav or (path / "wav.scp").exists() else [])
    tables = {}
    for name in files:
        tables[name] = read_scp(path / name)
        _check_sorted(path / name)
    text = tables["text"]
    for n, (utt, t) in enumerate(text.items(), start=1):
        bad = [c for c in t if not c.isprintable()]
        if bad:
            raise DataDirError(f"{path / 'text'} line {n}: non-printable characters {bad!r} in {utt}")
    for name in ["utt2spk"] + (["wav.scp"] if "wav.scp" in tables else []):
        if set(tables[name]) != set(text):
            only_a = sorted(set(tables[name]) - set(text))[:3]
            only_b = sorted(set(text) - set(tables[name]))[:3]
            raise DataDirError(f"{path}: utterance ids of {name} and text differ "
                               f"(only in {name}: {only_a}; only in text: {only_b})")
    from_spk2utt = {u: s for s, us in tables["spk2utt"].items() for u in us.split()}
    if from_spk2utt != tables["utt2spk"]:
        raise DataDirError(f"{path}: spk2utt does not match utt2spk (regenerate it from utt2spk)")
    return len(text)


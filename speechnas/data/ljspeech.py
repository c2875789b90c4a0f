"""An LJSpeech-layout corpus (``metadata.csv`` + ``wavs/``) read into checked utterances.

``metadata.csv``: one ``id|raw transcript|normalised transcript`` record per line, UTF-8, no header, quotes not
escaped. Every problem names the file and line (with the line's content) or the wav file. With ``skip_bad`` the
per-utterance problems (bad line, empty transcript, missing/unreadable/truncated wav, unmappable characters) are
returned as :class:`Skipped` records instead of raised; duplicate ids are always an error since they mean the
corpus itself is inconsistent.
"""
from __future__ import annotations

import collections
import os
import re
from dataclasses import dataclass
from pathlib import Path

from speechnas.audio.io import AudioError, check_wav
from speechnas.data.kaldi import Utterance
from speechnas.text.cleaners import describe_chars, find_unmappable, get_cleaner


class CorpusError(ValueError):
    """The corpus (metadata or audio) has a problem; the message names the file and line."""


@dataclass(frozen=True)
class MetadataRow:
    line: int
    utt_id: str
    raw: str
    normalized: str


@dataclass(frozen=True)
class Skipped:
    key: str  # utterance id, or "line N" when the line could not be parsed
    reason: str


_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def read_metadata(path: str | os.PathLike, skip_bad: bool = False) -> tuple[list[MetadataRow], list[Skipped]]:
    """Parse ``metadata.csv``; returns the good rows (file order) and, with ``skip_bad``, the skipped ones."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: metadata file not found")
    rows: list[MetadataRow] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    raw_bytes = path.read_bytes()
    for n, line_bytes in enumerate(raw_bytes.split(b"\n"), start=1):
        line_bytes = line_bytes.rstrip(b"\r")
        if not line_bytes.strip():
            continue
        problem, row = _parse_line(path, n, line_bytes)
        if row is not None and row.utt_id in seen:
            raise CorpusError(f"{path} line {n}: duplicate utterance id {row.utt_id!r} "
                              f"(first on line {seen[row.utt_id]})")
        if problem:
            if not skip_bad:
                raise CorpusError(problem)
            skipped.append(Skipped(row.utt_id if row else f"line {n}", problem))
            if row is not None:
                seen[row.utt_id] = n
            continue
        seen[row.utt_id] = n
        rows.append(row)
    if not rows and not skipped:
        raise CorpusError(f"{path}: no records")
    return rows, skipped


def _parse_line(path: Path, n: int, line_bytes: bytes) -> tuple[str | None, MetadataRow | None]:
    try:
        line = line_bytes.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"{path} line {n}: not valid UTF-8 ({e.reason} at byte {e.start}): {line_bytes[:80]!r}", None
    fields = line.split("|")
    if len(fields) != 3:
        return (f"{path} line {n}: expected 3 '|'-separated fields (id|transcript|normalized transcript), "
                f"got {len(fields)}: {line!r}"), None
    utt_id, raw, norm = (f.strip() for f in fields)
    if not _ID.match(utt_id):
        return f"{path} line {n}: bad utterance id {utt_id!r} (letters, digits, '-' and '_' only): {line!r}", None
    row = MetadataRow(n, utt_id, raw, norm)
    if not raw and not norm:
        return f"{path} line {n}: empty transcript for {utt_id}: {line!r}", row
    return None, row


def load_corpus(corpus_dir: str | os.PathLike, text_column: str = "normalized", cleaner: str = "english",
                skip_bad: bool = False) -> tuple[list[Utterance], list[Skipped]]:
    """Read an LJSpeech-layout corpus into utterances with cleaned text and absolute wav paths.

    Characters the cleaners cannot map are counted over the whole corpus and reported in one error (or, with
    ``skip_bad``, the affected utterances are skipped with the characters named).
    """
    corpus_dir = Path(corpus_dir).resolve()
    rows, skipped = read_metadata(corpus_dir / "metadata.csv", skip_bad)
    clean = get_cleaner(cleaner)
    utts: list[Utterance] = []
    unmappable: collections.Counter = collections.Counter()
    unmappable_utts: list[str] = []
    for row in rows:
        source = row.normalized if text_column == "normalized" and row.normalized else row.raw
        text = clean(source)
        where = f"{corpus_dir / 'metadata.csv'} line {row.line} ({row.utt_id})"
        if not text:
            problem = f"{where}: transcript is empty after cleaning: {source!r}"
            if not skip_bad:
                raise CorpusError(problem)
            skipped.append(Skipped(row.utt_id, problem))
            continue
        bad = find_unmappable(text)
        if bad:
            unmappable.update(bad)
            unmappable_utts.append(row.utt_id)
            if skip_bad:
                skipped.append(Skipped(row.utt_id, f"{where}: characters the cleaners cannot map: {describe_chars(bad)}"))
            continue
        wav = corpus_dir / "wavs" / f"{row.utt_id}.wav"
        try:
            check_wav(wav)
        except AudioError as e:
            if not skip_bad:
                raise CorpusError(f"{where}: {e}") from e
            skipped.append(Skipped(row.utt_id, f"{where}: {e}"))
            continue
        utts.append(Utterance(row.utt_id, text, str(wav), _speaker_of(row.utt_id)))
    if unmappable and not skip_bad:
        raise CorpusError(f"{corpus_dir / 'metadata.csv'}: characters the cleaners cannot map, in "
                          f"{len(unmappable_utts)} utterance(s) (first: {unmappable_utts[:5]}): "
                          f"{describe_chars(unmappable)}; fix the transcripts or run with --skip-bad true")
    return utts, skipped


def _speaker_of(utt_id: str) -> str:
    """Speaker id = the letters the id starts with ("LJ001-0001" -> "LJ"), so it prefixes every utterance id."""
    m = re.match(r"[A-Za-z]+", utt_id)
    return m.group(0) if m else "spk"

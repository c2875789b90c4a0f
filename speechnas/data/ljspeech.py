"""An LJSpeech-layout corpus (``metadata.csv`` + ``wavs/``) read into checked utterances.

``metadata.csv``: one ``id|raw transcript|normalised transcript`` record per line, UTF-8, no header, quotes not
escaped. Every problem names the file and line (with the line's content) or the wav file. With ``skip_bad`` the
per-utterance problems (bad line, empty transcript, missing/unreadable/truncated wav, unmappable characters, a
transcript that does not fit its audio, a repeated id) are returned as :class:`Skipped` records instead of raised.
A repeated utterance id keeps its first line; without ``skip_bad`` it is an error naming both lines.

**Transcripts that do not fit their audio.** The speaking rate of an utterance is the length of its cleaned
transcript in characters divided by its duration in seconds (from the wav header, no samples read). A transcript of
another utterance, a paragraph pasted onto one clip, or a clip cut short shows as a rate far outside the corpus's own:
thousands of characters in 10 s, or a long sentence on a 0.2 s file. The accepted band is the corpus median ``m``
times or divided by ``f = max(3, exp(6 * 1.4826 * MAD))``, where MAD is the median absolute deviation of the log
rates (a robust spread: up to half the corpus may be misfits without moving it). In a corpus of fewer than 20
utterances the spread is not estimated and the median may be a misfit's: its band is the median times or divided by
3, and rates of 2-40 characters/s (any plausible reading) are accepted as well. On LJSpeech the 32 real clips in
``shared/`` read at 11.6-19.5 characters/s (median 14.9; the whole corpus: 1,308,532 characters in 23:55:17, 15.2 on
average), which gives a band of 5.0-44.6: a factor 2.3 below the slowest and above the fastest real clip.
"""
from __future__ import annotations

import collections
import math
import os
import re
import statistics
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

RATE_MIN_FACTOR = 3.0  # the accepted band is never narrower than median / 3 .. median * 3
RATE_MAD_K = 6.0  # robust standard deviations (1.4826 * MAD of the log rate) either side of the median
TINY_CORPUS = 20  # below this many utterances no spread is estimated and the median is not trusted alone ...
TINY_CORPUS_BAND = (2.0, 40.0)  # ... so these rates (characters per second) are accepted as well


@dataclass(frozen=True)
class RateBand:
    """The accepted speaking rates (cleaned characters per second of audio) of one corpus."""
    lo: float
    hi: float
    median: float
    count: int
    floor: tuple[float, float] | None = None  # the absolute band also accepted in a tiny corpus

    def accepts(self, rate: float) -> bool:
        if self.lo <= rate <= self.hi:
            return True
        return self.floor is not None and self.floor[0] <= rate <= self.floor[1]

    def __str__(self) -> str:
        text = f"{self.lo:.1f}-{self.hi:.1f} characters/s (corpus median {self.median:.1f} over {self.count} utterances"
        if self.floor is not None:
            text += f"; a corpus under {TINY_CORPUS} utterances also accepts {self.floor[0]:g}-{self.floor[1]:g}"
        return text + ")"


def rate_band(rates: list[float]) -> RateBand:
    """The band of speaking rates that fit a corpus whose utterances read at ``rates`` (see the module docstring)."""
    if not rates:
        raise ValueError("no speaking rates to build a band from")
    logs = [math.log(r) for r in rates]
    centre = statistics.median(logs)
    tiny = len(rates) < TINY_CORPUS  # a spread from so few is noise (three rates can give a MAD of 1.2 in log)
    mad = 0.0 if tiny else statistics.median(abs(x - centre) for x in logs)
    half_width = max(math.log(RATE_MIN_FACTOR), RATE_MAD_K * 1.4826 * mad)
    return RateBand(math.exp(centre - half_width), math.exp(centre + half_width), math.exp(centre), len(rates),
                    TINY_CORPUS_BAND if tiny else None)


def read_metadata(path: str | os.PathLike, skip_bad: bool = False) -> tuple[list[MetadataRow], list[Skipped]]:
    """Parse ``metadata.csv``; returns the good rows (file order) and, with ``skip_bad``, the skipped ones."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: metadata file not found")
    rows: list[MetadataRow] = []
    skipped: list[Skipped] = []
    seen: dict[str, tuple[int, bytes]] = {}  # id -> (line number, content) of its first line
    raw_bytes = path.read_bytes()
    for n, line_bytes in enumerate(raw_bytes.split(b"\n"), start=1):
        line_bytes = line_bytes.rstrip(b"\r")
        if not line_bytes.strip():
            continue
        problem, row = _parse_line(path, n, line_bytes)
        if row is not None and row.utt_id in seen:
            first, first_bytes = seen[row.utt_id]
            problem = (f"{path} line {n}: duplicate utterance id {row.utt_id!r}, first on line {first} "
                       f"(line {first}: {_show(first_bytes)}; line {n}: {_show(line_bytes)})")
            if not skip_bad:
                raise CorpusError(problem)
            skipped.append(Skipped(f"line {n}", problem + f"; line {first} is kept"))
            continue
        if problem:
            if not skip_bad:
                raise CorpusError(problem)
            skipped.append(Skipped(row.utt_id if row else f"line {n}", problem))
            if row is not None:
                seen[row.utt_id] = (n, line_bytes)
            continue
        seen[row.utt_id] = (n, line_bytes)
        rows.append(row)
    if not rows and not skipped:
        raise CorpusError(f"{path}: no records")
    return rows, skipped


def _show(line_bytes: bytes, limit: int = 120) -> str:
    """A line's content for a message: decoded, quoted, shortened."""
    text = line_bytes.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


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
    ``skip_bad``, the affected utterances are skipped with the characters named). So are transcripts whose speaking
    rate falls outside the corpus's band (:func:`rate_band`), each with its line, rate and the band.
    """
    corpus_dir = Path(corpus_dir).resolve()
    rows, skipped = read_metadata(corpus_dir / "metadata.csv", skip_bad)
    clean = get_cleaner(cleaner)
    timed: list[tuple[Utterance, float, str]] = []  # passed every per-line check: (utterance, seconds, where)
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
            seconds = check_wav(wav).duration
        except AudioError as e:
            if not skip_bad:
                raise CorpusError(f"{where}: {e}") from e
            skipped.append(Skipped(row.utt_id, f"{where}: {e}"))
            continue
        timed.append((Utterance(row.utt_id, text, str(wav), _speaker_of(row.utt_id)), seconds, where))
    if unmappable and not skip_bad:
        raise CorpusError(f"{corpus_dir / 'metadata.csv'}: characters the cleaners cannot map, in "
                          f"{len(unmappable_utts)} utterance(s) (first: {unmappable_utts[:5]}): "
                          f"{describe_chars(unmappable)}; fix the transcripts or run with --skip-bad true")
    if not timed:
        return [], skipped
    band = rate_band([len(u.text) / seconds for u, seconds, _ in timed])
    utts: list[Utterance] = []
    misfits: list[str] = []
    for utt, seconds, where in timed:
        rate = len(utt.text) / seconds
        if band.accepts(rate):
            utts.append(utt)
            continue
        problem = (f"{where}: transcript does not fit its audio: {len(utt.text)} characters in {seconds:.2f} s "
                   f"({utt.wav}) = {rate:.1f} characters/s, outside the accepted {band}")
        if skip_bad:
            skipped.append(Skipped(utt.utt_id, problem))
        else:
            misfits.append(problem)
    if misfits:
        shown = "\n  ".join(misfits[:10]) + (f"\n  ... and {len(misfits) - 10} more" if len(misfits) > 10 else "")
        raise CorpusError(f"{len(misfits)} transcript(s) do not fit their audio (check that each line's text belongs "
                          f"to its wav, or run with --skip-bad true):\n  {shown}")
    return utts, skipped


def _speaker_of(utt_id: str) -> str:
    """Speaker id = the letters the id starts with ("LJ001-0001" -> "LJ"), so it prefixes every utterance id."""
    m = re.match(r"[A-Za-z]+", utt_id)
    return m.group(0) if m else "spk"

"""Text normalisation against LJSpeech's own normalised column (column 3) over the full metadata.csv.

For each line whose raw (column 2) and normalised (column 3) transcripts differ, it checks whether
``english_cleaners(col2) == english_cleaners(col3)`` after folding all punctuation to spaces, prints the share matched,
and lists the remaining differences grouped by kind (with counts and examples).

    .venv/bin/python benchmarks/data/text_normalisation.py [--metadata PATH] [--show N]
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import sys
from pathlib import Path

from speechnas.text.cleaners import english_cleaners

_DEFAULT = Path(os.environ.get("SPEECHNAS_SHARED", Path(__file__).resolve().parents[3] / "shared"))
_NON_WORD = re.compile(r"[^a-z']+")


def fold(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", english_cleaners(text)).split())


def kind_of(raw: str, norm: str) -> str:
    """A coarse label for why a line still differs (what the raw text contains)."""
    checks = [
        ("roman numeral", r"\b[IVXLC]{2,}\b|\b[A-Z][a-z]+ I\b"),
        ("currency", r"[$£]"),
        ("time of day", r"\d:\d\d"),
        ("decimal", r"\d\.\d"),
        ("ordinal", r"\d(st|nd|rd|th)\b"),
        ("number read as digits/pairs", r"\b\d{3,4}\b"),
        ("other number", r"\d"),
    ]
    for name, rx in checks:
        if re.search(rx, raw):
            return name
    return "wording / abbreviation"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metadata", default=str(_DEFAULT / "data/ljspeech_mini/metadata_full_13100.csv"))
    ap.add_argument("--show", type=int, default=3, help="examples to print per kind of difference")
    args = ap.parse_args()
    if not Path(args.metadata).is_file():
        sys.exit(f"metadata file {args.metadata} not found (set SPEECHNAS_SHARED)")
    rows = [line.split("|") for line in Path(args.metadata).read_text(encoding="utf-8").splitlines() if line]
    differing = [r for r in rows if r[1] != r[2]]
    misses = collections.defaultdict(list)
    for uid, raw, norm in differing:
        a, b = fold(raw), fold(norm)
        if a != b:
            misses[kind_of(raw, norm)].append((uid, a, b))
    matched = len(differing) - sum(len(v) for v in misses.values())
    print(f"lines: {len(rows)}; raw != normalised: {len(differing)}")
    print(f"cleaners(raw) == cleaners(normalised): {matched}/{len(differing)} = {100 * matched / len(differing):.1f}%")
    all_same = sum(fold(r[1]) == fold(r[2]) for r in rows)
    print(f"over all lines: {all_same}/{len(rows)} = {100 * all_same / len(rows):.2f}%")
    print("remaining differences by kind:")
    for kind, items in sorted(misses.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(items):4d}  {kind}")
        for uid, a, b in items[: args.show]:
            wa, wb = a.split(), b.split()
            i = next((k for k, (x, y) in enumerate(zip(wa, wb)) if x != y), min(len(wa), len(wb)))
            print(f"        {uid}: ours '{' '.join(wa[max(0, i - 2):i + 6])}' | LJSpeech '{' '.join(wb[max(0, i - 2):i + 6])}'")


if __name__ == "__main__":
    main()

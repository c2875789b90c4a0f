"""English text cleaners: the text a TTS model reads, built from whatever a transcript or a user types.

``english_cleaners``: typographic quotes and dashes to ASCII, numbers / currency / years / times / ordinals spelled
out (:mod:`speechnas.text.numbers`), accents transliterated to ASCII, lower case, the abbreviations LJSpeech's README
lists expanded, ``;`` and ``:`` folded to ``,``, hyphens to spaces, ``&`` to "and", brackets and double quotes
removed, whitespace collapsed. The output alphabet is :data:`CLEANED_SYMBOLS`; characters the cleaners cannot map
(e.g. Cyrillic) are left in place so that :func:`find_unmappable` can count and report them.
"""
from __future__ import annotations

import collections
import re
import unicodedata

from speechnas.text.numbers import expand_numbers

# Every character english_cleaners can output: lower-case letters, space, apostrophe, kept punctuation.
LETTERS = "abcdefghijklmnopqrstuvwxyz"
PUNCTUATION = "!',.?"
CLEANED_SYMBOLS = " " + PUNCTUATION + LETTERS

# (abbreviation, expansion): LJSpeech README's table; "mrs" must come before "mr".
ABBREVIATIONS = [(re.compile(rf"\b{a}\.", re.IGNORECASE), e) for a, e in [
    ("mrs", "misess"), ("mr", "mister"), ("drs", "doctors"), ("dr", "doctor"), ("st", "saint"), ("co", "company"),
    ("jr", "junior"), ("maj", "major"), ("gen", "general"), ("rev", "reverend"), ("lt", "lieutenant"),
    ("hon", "honorable"), ("sgt", "sergeant"), ("capt", "captain"), ("esq", "esquire"), ("ltd", "limited"),
    ("col", "colonel"), ("ft", "fort"),
]]
_NUMBER_ABBREVIATION = re.compile(r"\b[Nn]o\.\s*(?=[A-Z]{0,3}\d)")  # "No. 143" -> "number 143", not "no."

# Characters NFKD does not reduce to ASCII, and typographic punctuation.
_TRANSLITERATION = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2026": "...",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u3000": " ",
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "Ae", "\u0153": "oe", "\u0152": "Oe", "\u00f8": "o", "\u00d8": "O",
    "\u00f0": "d", "\u00d0": "D", "\u00fe": "th", "\u00de": "Th", "\u0142": "l", "\u0141": "L", "\u0131": "i",
}
_SYMBOL_WORDS = [("&", " and "), ("%", " percent "), ("@", " at "), ("+", " plus "), ("=", " equals "),
                 ("#", " number ")]
_TO_COMMA = re.compile(r"[;:]")
_TO_SPACE = re.compile(r"[-/_*~|\\]")
_DELETE = re.compile(r"[()\[\]{}<>\"]")
_WHITESPACE = re.compile(r"\s+")


def normalize_typography(text: str) -> str:
    """Curly quotes, dashes and odd spaces to plain ASCII equivalents (before numbers are read)."""
    return "".join(_TRANSLITERATION.get(c, c) for c in unicodedata.normalize("NFC", text))


def transliterate(text: str) -> str:
    """Accented Latin letters to ASCII ("raison d'être" -> "raison d'etre"); other scripts are left as they are.

    Expects :func:`normalize_typography` output (NFC, plain quotes), as in :func:`english_cleaners`.
    """
    out = []
    for c in text:
        if ord(c) < 128:
            out.append(c)
            continue
        base = "".join(b for b in unicodedata.normalize("NFKD", c) if not unicodedata.combining(b))
        out.append(base if base and all(ord(b) < 128 for b in base) else c)
    return "".join(out)


def expand_abbreviations(text: str) -> str:
    text = _NUMBER_ABBREVIATION.sub("number ", text)
    for pattern, expansion in ABBREVIATIONS:
        text = pattern.sub(expansion, text)
    return text


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def fold_punctuation(text: str) -> str:
    """``;:`` to ``,``; hyphens and slashes to spaces; ``&%@+=#`` to words; brackets and double quotes removed."""
    for sym, word in _SYMBOL_WORDS:
        text = text.replace(sym, word)
    text = _TO_COMMA.sub(",", text)
    text = _TO_SPACE.sub(" ", text)
    return _DELETE.sub("", text)


def english_cleaners(text: str) -> str:
    """Raw English text -> the lower-case character string a model reads (see module docstring)."""
    text = normalize_typography(text)
    text = expand_abbreviations(text)  # "No. 5" must become "number five", not "no. five"
    text = expand_numbers(text)
    text = transliterate(text).lower()
    text = fold_punctuation(text)
    return collapse_whitespace(text)


def basic_cleaners(text: str) -> str:
    """Lower case and collapsed whitespace only (for text that is already normalised)."""
    return collapse_whitespace(text.lower())


CLEANERS = {"english": english_cleaners, "basic": basic_cleaners}


def get_cleaner(name: str):
    if name not in CLEANERS:
        raise ValueError(f"unknown cleaner '{name}'; choices: {sorted(CLEANERS)}")
    return CLEANERS[name]


def find_unmappable(text: str, symbols: str = CLEANED_SYMBOLS) -> collections.Counter:
    """Characters of (cleaned) ``text`` outside ``symbols``, with their counts."""
    allowed = set(symbols)
    return collections.Counter(c for c in text if c not in allowed)


def describe_chars(counts: collections.Counter) -> str:
    """``{'ж': 2}`` -> ``"'ж' (U+0436, 2x)"`` for error messages."""
    return ", ".join(f"{c!r} (U+{ord(c):04X}, {n}x)" for c, n in counts.most_common())

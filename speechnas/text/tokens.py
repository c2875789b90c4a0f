"""Token lists (``tokens.txt``: one token per line, the 0-based line number is the id) and text -> id encoding.

Id 0 is ``<pad>``, id 1 is ``<eos>``; every encoded sequence ends with ``<eos>``. There is no ``<unk>``: a symbol
outside the list is an :class:`UnknownSymbolError` that names it (the cleaners map everything they can first).
"""
from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Sequence

from speechnas.text.cleaners import CLEANED_SYMBOLS, describe_chars, find_unmappable, get_cleaner
from speechnas.utils.io import atomic_write_text

PAD, EOS = "<pad>", "<eos>"
PAD_ID, EOS_ID = 0, 1

class UnknownSymbolError(ValueError):
    """Text holds symbols the token list does not have."""


class TokenList:
    """Symbols <-> ids. ``encode`` appends ``<eos>``; ``decode`` drops padding and ``<eos>``."""

    def __init__(self, tokens: Sequence[str]):
        tokens = list(tokens)
        if tokens[:2] != [PAD, EOS]:
            raise ValueError(f"a token list must start with {PAD!r}, {EOS!r}; got {tokens[:2]}")
        dup = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if dup:
            raise ValueError(f"duplicate tokens in token list: {dup}")
        self.tokens = tokens
        self.index = {t: i for i, t in enumerate(tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenList) and other.tokens == self.tokens

    @classmethod
    def characters(cls) -> "TokenList":
        """The character list: every symbol :func:`~speechnas.text.cleaners.english_cleaners` can output."""
        return cls([PAD, EOS, *CLEANED_SYMBOLS])

    @classmethod
    def phonemes(cls) -> "TokenList":
        """eSpeak NG's en-us IPA phonemes and stress marks, plus space (word boundary) and the kept punctuation."""
        from speechnas.text.g2p import PHONEMES, STRESS

        return cls([PAD, EOS, " ", *"!',.?", *STRESS, *PHONEMES])

    def unknown(self, symbols: Sequence[str]) -> collections.Counter:
        return collections.Counter(s for s in symbols if s not in self.index)

    def encode(self, symbols: Sequence[str], where: str = "") -> list[int]:
        """Ids of ``symbols`` (a string of characters or a list of phonemes) followed by ``<eos>``."""
        missing = self.unknown(symbols)
        if missing:
            raise UnknownSymbolError(f"{where + ': ' if where else ''}symbols not in the token list: "
                                     f"{describe_chars(missing) if isinstance(symbols, str) else dict(missing)}")
        return [self.index[s] for s in symbols] + [EOS_ID]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.tokens[i] for i in ids if i not in (PAD_ID, EOS_ID)]

    def write(self, path: str | os.PathLike) -> None:
        for t in self.tokens:
            if "\n" in t or t == "":
                raise ValueError(f"token {t!r} cannot be written one per line")
        atomic_write_text(path, "".join(t + "\n" for t in self.tokens))

    @classmethod
    def read(cls, path: str | os.PathLike) -> "TokenList":
        """Read ``tokens.txt``; a space token is a line holding one space."""
        text = Path(path).read_text(encoding="utf-8")
        if not text.endswith("\n"):
            raise ValueError(f"{path}: last line has no newline (truncated file?)")
        tokens = text[:-1].split("\n")
        try:
            return cls(tokens)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e


SPACE = "<space>"  # how the word boundary " " is written in a token file


def write_token_file(path: str | os.PathLike, symbols: dict[str, Sequence[str]]) -> bool:
    """``<utt> <symbol> <symbol> ...`` per utterance (sorted, ``" "`` written as ``<space>``); written atomically
    and only when the content changes. Returns whether it was written."""
    lines = []
    for utt in sorted(symbols):
        syms = [SPACE if s == " " else s for s in symbols[utt]]
        bad = [s for s in syms if not s or any(c.isspace() for c in s)]
        if bad:
            raise ValueError(f"{path} ({utt}): symbols {bad!r} cannot be written to a token file")
        lines.append(" ".join([utt, *syms]) + "\n")
    text = "".join(lines)
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    atomic_write_text(path, text)
    return True


def read_token_file(path: str | os.PathLike) -> dict[str, list[str]]:
    """The symbols of every utterance in a token file (see :func:`write_token_file`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run stage 2 (tokens) first")
    out: dict[str, list[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split(" ")
        if not parts[0] or len(parts) < 2:
            raise ValueError(f"{path} line {n}: expected '<utt> <symbol> ...', got {line!r}")
        if parts[0] in out:
            raise ValueError(f"{path} line {n}: duplicate utterance {parts[0]!r}")
        out[parts[0]] = [" " if s == SPACE else s for s in parts[1:]]
    return out


class TextFrontend:
    """Raw text -> token ids: a cleaner, then characters or eSpeak NG phonemes (:mod:`speechnas.text.g2p`), then
    the token list."""

    def __init__(self, token_type: str = "char", cleaner: str = "english", tokens: TokenList | None = None):
        if token_type not in ("char", "phn"):
            raise ValueError(f"unknown token_type '{token_type}'; choices: ['char', 'phn']")
        self.token_type = token_type
        self.clean = get_cleaner(cleaner)
        self.tokens = tokens or (TokenList.characters() if token_type == "char" else TokenList.phonemes())
        if token_type == "phn":
            from speechnas.text.g2p import Phonemizer

            self.g2p = Phonemizer()

    def symbols(self, text: str, where: str = "") -> list[str] | str:
        """Characters, or phonemes of text the cleaners could map entirely (others are named, as for characters:
        eSpeak would otherwise read, say, Greek letters by another language's rules)."""
        cleaned = self.clean(text)
        if self.token_type == "char":
            return cleaned
        bad = find_unmappable(cleaned)
        if bad:
            raise UnknownSymbolError(f"{where + ': ' if where else ''}characters the cleaners cannot map: "
                                     f"{describe_chars(bad)}")
        return self.g2p(cleaned, where)

    def __call__(self, text: str, where: str = "") -> list[int]:
        return self.tokens.encode(self.symbols(text, where), where=where)

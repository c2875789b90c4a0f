"""Phonemes for ``token_type: phn``: eSpeak NG's IPA (en-us), offline, for any text the cleaners produce.

Cleaned text -> tokens: each word's phonemes, a stress mark (``ˈ`` primary, ``ˌ`` secondary) as its own token before
the stressed vowel, ``" "`` between words, and the kept punctuation (``, . ! ?``) as tokens where the text has it
(eSpeak drops punctuation; pauses matter for the audio). Out-of-vocabulary words, numbers and abbreviations are
handled by the cleaners (numbers are spelled out) and by eSpeak's letter-to-sound rules, so every word gets
phonemes. A phoneme outside :data:`PHONEMES` is split into the longest known pieces (``aɪɚ`` -> ``aɪ`` ``ɚ``); one
that cannot be split is an error that names it.
"""
from __future__ import annotations

import re

from speechnas.text.espeak import ESpeakUnavailableError, engine

STRESS = ["ˈ", "ˌ"]
# eSpeak NG 1.52 en-us phonemes (IPA), stress marks split off: what it writes for the 13,100 LJSpeech transcripts
# and the project's hard sentences after the cleaners (``benchmarks/data/phonemize_ljspeech.py`` prints the
# inventory), plus a few vowels of its phoneme table those texts do not use.
PHONEMES = [
    # consonants
    "b", "d", "dʒ", "f", "h", "j", "k", "l", "m", "n", "n̩", "p", "r", "s", "t", "tʃ", "v", "w", "x", "z", "ð", "ŋ",
    "ɡ", "ɹ", "ɾ", "ʃ", "ʒ", "θ", "ʔ", "əl", "ɬ",
    # vowels and diphthongs
    "a", "æ", "ɐ", "ə", "ɚ", "ɛ", "ɪ", "ᵻ", "i", "iː", "iə", "ʊ", "u", "uː", "ʌ", "ɑ", "ɑː", "ɒ", "ɔ", "ɔː", "ɜː", "e",
    "eɪ", "aɪ", "aʊ", "oʊ", "ɔɪ", "aɪə", "aɪɚ", "ɔːɹ", "ɑːɹ", "ɪɹ", "ɛɹ", "ʊɹ", "o",
]
_KNOWN = set(PHONEMES)
_LONGEST = max(len(p) for p in PHONEMES)
_PUNCT = re.compile(r"([,.!?])")
_LANGUAGE_SWITCH = re.compile(r"\([a-z-]+\)")  # eSpeak's "(fr)" ... "(en)" marks around foreign words
G2PUnavailableError = ESpeakUnavailableError


class UnknownPhonemeError(ValueError):
    """eSpeak produced a phoneme that is neither in :data:`PHONEMES` nor made of pieces that are."""


def split_phoneme(ph: str, where: str = "") -> list[str]:
    """``ph`` as itself when known, else as the longest known pieces from the left."""
    if ph in _KNOWN:
        return [ph]
    out, i = [], 0
    while i < len(ph):
        for n in range(min(_LONGEST, len(ph) - i), 0, -1):
            if ph[i:i + n] in _KNOWN:
                out.append(ph[i:i + n])
                i += n
                break
        else:
            raise UnknownPhonemeError(f"{where + ': ' if where else ''}eSpeak NG phoneme {ph!r} has no known piece at "
                                      f"{ph[i:]!r}; add it to speechnas.text.g2p.PHONEMES")
    return out


def word_tokens(word: str, where: str = "") -> list[str]:
    """One eSpeak word (phonemes joined by ``_``) -> tokens, stress marks split off."""
    out: list[str] = []
    for ph in word.split("_"):
        while ph and ph[0] in STRESS:
            out.append(ph[0])
            ph = ph[1:]
        if ph:
            out.extend(split_phoneme(ph, where))
    return out


class Phonemizer:
    """Cleaned text -> list of phoneme tokens (see the module docstring); eSpeak NG runs in this process."""

    def __init__(self):
        self._espeak = engine()

    def __call__(self, text: str, where: str = "") -> list[str]:
        out: list[str] = []
        for piece in _PUNCT.split(text):
            if not piece.strip():
                continue
            if _PUNCT.fullmatch(piece):
                while out and out[-1] == " ":
                    out.pop()
                out.append(piece)
                continue
            for clause in self._espeak.phonemes(piece):
                for word in _LANGUAGE_SWITCH.sub("", clause).split():
                    toks = word_tokens(word, where)
                    if toks:
                        if out:
                            out.append(" ")
                        out.extend(toks)
        while out and out[-1] == " ":
            out.pop()
        return out

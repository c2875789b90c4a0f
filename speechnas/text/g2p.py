"""Optional phonemes through ``g2p_en`` (ARPAbet with stress), used when ``token_type: phn``.

g2p_en is not a dependency of speechnas: install it with ``pip install g2p_en`` (it also needs NLTK's
``averaged_perceptron_tagger`` and ``cmudict`` data). Without it, :class:`Phonemizer` fails with a message that says so.
"""
from __future__ import annotations


class G2PUnavailableError(RuntimeError):
    """g2p_en (or the data it needs) is not installed."""


class Phonemizer:
    """Cleaned text -> list of ARPAbet phonemes, ``" "`` between words, kept punctuation as its own token."""

    def __init__(self):
        try:
            from g2p_en import G2p
        except ImportError as e:
            raise G2PUnavailableError(
                "token_type 'phn' needs the g2p_en package, which is not installed: run "
                "'pip install g2p_en' (and let it fetch NLTK's averaged_perceptron_tagger and cmudict), "
                "or use token_type 'char'") from e
        try:
            self._g2p = G2p()
        except LookupError as e:  # NLTK data missing
            raise G2PUnavailableError(f"g2p_en is installed but its NLTK data is missing: {e}") from e

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        for p in self._g2p(text):
            p = p.strip() or " "
            if p == " " and (not out or out[-1] == " "):
                continue
            out.append(p)
        while out and out[-1] == " ":
            out.pop()
        return out

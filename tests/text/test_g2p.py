"""Phonemes offline with eSpeak NG: exact tokens for known words, punctuation kept, numbers and unknown words,
every LJSpeech transcript, no network."""
import socket

import pytest

from speechnas.data.espeak_corpus import ljspeech_transcripts
from speechnas.text.g2p import Phonemizer, UnknownPhonemeError, split_phoneme
from speechnas.text.tokens import EOS_ID, TextFrontend, TokenList


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the phonemizer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_known_words_exact(no_network):
    g2p = Phonemizer()
    assert g2p("hello world") == ["h", "ə", "l", "ˈ", "oʊ", " ", "w", "ˈ", "ɜː", "l", "d"]
    assert g2p("the cat.") == ["ð", "ə", " ", "k", "ˈ", "æ", "t", "."]


def test_punctuation_is_kept_between_words(no_network):
    toks = Phonemizer()("yes, no. why? stop!")
    assert [t for t in toks if t in ",.?!"] == [",", ".", "?", "!"]
    assert toks[toks.index(",") + 1] == " " and toks[-1] == "!"
    assert "  " not in "".join(toks) and toks[0] != " "


def test_numbers_and_unknown_words_through_the_frontend(no_network):
    front = TextFrontend("phn")
    assert front.tokens == TokenList.phonemes()
    sym = front.symbols("It cost $12 in 1965, said Mr. Xylophonicus Qwrtzk.")
    assert "".join(sym).count("ˈ") >= 6  # every content word got a stressed vowel
    twelve = ["t", "w", "ˈ", "ɛ", "l", "v"]
    assert any(sym[i:i + 6] == twelve for i in range(len(sym)))
    ids = front("It cost $12 in 1965, said Mr. Xylophonicus Qwrtzk.")
    assert ids[-1] == EOS_ID and len(ids) == len(sym) + 1


def test_split_phoneme_fallback():
    assert split_phoneme("aɪɚ") == ["aɪɚ"]
    assert split_phoneme("ɔɪɚ") == ["ɔɪ", "ɚ"]
    with pytest.raises(UnknownPhonemeError, match="'ʘa' has no known piece"):
        split_phoneme("ʘa")


def test_every_ljspeech_transcript_phonemizes_offline(no_network):
    """All 13,100 shipped transcripts (cleaned): only known symbols, never empty (about 5 s)."""
    g2p, tokens = Phonemizer(), TokenList.phonemes()
    transcripts = ljspeech_transcripts()
    assert len(transcripts) == 13100
    for t in transcripts:
        sym = g2p(t.text, t.utt_id)
        assert sym and not tokens.unknown(sym), (t.utt_id, tokens.unknown(sym))


def test_characters_the_cleaners_cannot_map_are_named_for_phonemes_too():
    from speechnas.text.tokens import UnknownSymbolError

    with pytest.raises(UnknownSymbolError, match=r"'ω' \(U\+03C9"):
        TextFrontend("phn")("Ωmega three")

"""Token list: ids, <eos>, no <unk>, tokens.txt round trip, optional g2p_en message."""
from __future__ import annotations

import pytest

from speechnas.text.tokens import (EOS_ID, PAD_ID, TextFrontend, TokenList, UnknownSymbolError, read_token_file,
                                   write_token_file)


def test_character_list_layout():
    t = TokenList.characters()
    assert t.tokens[PAD_ID] == "<pad>" and t.tokens[EOS_ID] == "<eos>"
    for c in " 'abcxyz,.?!":
        assert c in t.index
    assert "<unk>" not in t.index and "A" not in t.index


def test_encode_appends_eos_and_decodes():
    t = TokenList.characters()
    ids = t.encode("hi there.")
    assert ids[-1] == EOS_ID and len(ids) == len("hi there.") + 1 and PAD_ID not in ids
    assert "".join(t.decode(ids + [PAD_ID, PAD_ID])) == "hi there."


def test_unknown_symbols_named_not_dropped():
    with pytest.raises(UnknownSymbolError, match=r"LJ001-0001.*'ж' \(U\+0436, 2x\)"):
        TokenList.characters().encode("жж a", where="LJ001-0001")


def test_tokens_file_round_trip_keeps_space(tmp_path):
    t = TokenList.characters()
    t.write(tmp_path / "tokens.txt")
    lines = (tmp_path / "tokens.txt").read_text().split("\n")
    assert lines[0] == "<pad>" and lines[1] == "<eos>" and " " in lines
    assert TokenList.read(tmp_path / "tokens.txt") == t


def test_bad_tokens_file(tmp_path):
    (tmp_path / "tokens.txt").write_text("a\n<eos>\n")
    with pytest.raises(ValueError, match="tokens.txt.*must start with"):
        TokenList.read(tmp_path / "tokens.txt")


def test_frontend_cleans_then_encodes():
    f = TextFrontend()
    assert f("Dr. Who, 12!") == f.tokens.encode("doctor who, twelve!")


def test_token_file_round_trip(tmp_path):
    syms = {"b": ["h", "ˈ", "oʊ", " ", "n̩", "."], "a": list("hi, there")}
    assert write_token_file(tmp_path / "token", syms)
    assert not write_token_file(tmp_path / "token", syms)  # same content: not rewritten
    assert read_token_file(tmp_path / "token") == syms
    assert (tmp_path / "token").read_text().splitlines()[0] == "a h i , <space> t h e r e"
    with pytest.raises(ValueError, match="cannot be written"):
        write_token_file(tmp_path / "bad", {"a": ["x y"]})
    (tmp_path / "dup").write_text("a x\na y\n")
    with pytest.raises(ValueError, match="dup line 2: duplicate"):
        read_token_file(tmp_path / "dup")

"""English cleaners and number reading: LJSpeech's own normalised column is the reference."""
from __future__ import annotations

import pytest

from speechnas.text.cleaners import CLEANED_SYMBOLS, english_cleaners, find_unmappable
from speechnas.text.numbers import cardinal, expand_numbers, ordinal, roman_to_int, year
from conftest import shared_path


def _fold(text: str) -> str:
    return " ".join("".join(c if c.isalpha() or c == "'" else " " for c in english_cleaners(text)).split())


@pytest.mark.parametrize("uid,year_words", [("LJ001-0007", "fourteen fifty-five"), ("LJ001-0024", "fourteen sixty-two"),
                                             ("LJ001-0031", "fourteen sixty-five")])
def test_three_years_normalise_as_column_three(uid, year_words):
    meta = shared_path("data/ljspeech_mini/LJSpeech-1.1/metadata.csv")
    rows = {r.split("|")[0]: r.split("|") for r in meta.read_text(encoding="utf-8").splitlines()}
    _, raw, norm = rows[uid]
    assert raw != norm and year_words in norm
    assert english_cleaners(raw) == english_cleaners(norm)
    assert year_words.replace("-", " ") in english_cleaners(raw)


@pytest.mark.parametrize("n,words", [(0, "zero"), (13, "thirteen"), (45, "forty-five"), (170, "one hundred seventy"),
                                     (1000, "one thousand"), (71000, "seventy-one thousand"),
                                     (2_000_005, "two million five")])
def test_cardinal(n, words):
    assert cardinal(n) == words


@pytest.mark.parametrize("n,words", [(1, "first"), (2, "second"), (3, "third"), (9, "ninth"), (12, "twelfth"),
                                     (20, "twentieth"), (21, "twenty-first"), (100, "one hundredth")])
def test_ordinal(n, words):
    assert ordinal(n) == words


@pytest.mark.parametrize("n,words", [(1455, "fourteen fifty-five"), (1900, "nineteen hundred"), (2000, "two thousand"),
                                     (2005, "two thousand five"), (1803, "eighteen oh three")])
def test_year(n, words):
    assert year(n) == words


@pytest.mark.parametrize("raw,expected", [
    ("$21.45", "twenty-one dollars, forty-five cents"),
    ("$1", "one dollar"),
    ("$0.01", "one cent"),
    ("£71,000", "seventy-one thousand pounds"),
    ("11.2 miles", "eleven point two miles"),
    ("the 9th", "the ninth"),
    ("At 1:24 p.m.", "At one twenty-four p.m."),
    ("George IV. cap. 31", "George the fourth. cap. thirty-one"),
    ("When I came", "When I came"),
    ("Forrest V. Sorrels", "Forrest V. Sorrels"),
    ("serial C2766", "serial C two seven six six"),
    ("50%", "fifty percent"),
])
def test_expand_numbers(raw, expected):
    assert expand_numbers(raw) == expected


def test_roman_numerals():
    assert [roman_to_int(s) for s in ["IV", "XIV", "MCMLXIII", "IIII", "ABC"]] == [4, 14, 1963, None, None]


def test_cleaners_full_pipeline():
    out = english_cleaners("Mr. Smith paid $3.50 at 10:05 a.m.; “Dr.” Brown & Co.  (raison d’être) -- No. 5")
    assert out == ("mister smith paid three dollars, fifty cents at ten oh five a.m., "
                   "doctor brown and company raison d'etre number five")
    assert not find_unmappable(out)


def test_cleaner_output_alphabet_and_unmappable_counted():
    assert set(english_cleaners("Café — naïve “quote” [x] {y} <z> 5/6 #3 @ home")) <= set(CLEANED_SYMBOLS)
    bad = find_unmappable(english_cleaners("Привет, мир 7"))
    assert bad["и"] == 2 and " " not in bad and "," not in bad


def test_corpus_scale_share_of_differing_lines():
    """The README's number: the cleaners agree with column 3 on 98.5% of the 1,505 differing lines (~3 s)."""
    meta = shared_path("data/ljspeech_mini/metadata_full_13100.csv")
    rows = [line.split("|") for line in meta.read_text(encoding="utf-8").splitlines()]
    differing = [r for r in rows if r[1] != r[2]]
    share = sum(_fold(r[1]) == _fold(r[2]) for r in differing) / len(differing)
    assert len(differing) == 1505 and share >= 0.985

"""Spell out numbers in English text: cardinals, ordinals, years, decimals, currency, times and Roman regnal numbers.

Pure functions, no third-party packages. The rules follow keithito/tacotron's ``english_cleaners`` (as LJSpeech's
normalised column does): integers between 1000 and 3000 read as years ("1455" -> "fourteen fifty-five"), other
integers as plain cardinals without "and" ("170" -> "one hundred seventy"), "$21.45" -> "twenty-one dollars,
forty-five cents", "£2000" -> "two thousand pounds", "11.2" -> "eleven point two", "9th" -> "ninth".
"""
from __future__ import annotations

import re

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}


def cardinal(n: int) -> str:
    """``170`` -> ``"one hundred seventy"`` (no "and", hyphenated tens, as LJSpeech reads them)."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + (" " + cardinal(rest) if rest else "")
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return cardinal(head) + " " + name + (" " + cardinal(rest) if rest else "")
    raise AssertionError("unreachable")


def ordinal(n: int) -> str:
    """``21`` -> ``"twenty-first"``: the last word of the cardinal turned into its ordinal."""
    words = cardinal(n)
    head, sep, last = words.rpartition(" ")
    pre, hyphen, last_word = last.rpartition("-")
    if last_word in _ORDINAL_WORDS:
        last_word = _ORDINAL_WORDS[last_word]
    elif last_word.endswith("y"):
        last_word = last_word[:-1] + "ieth"
    else:
        last_word += "th"
    return head + sep + pre + hyphen + last_word


def year(n: int) -> str:
    """Read ``n`` (1000 < n < 3000) as a year: 1455 -> "fourteen fifty-five", 1900 -> "nineteen hundred",
    2005 -> "two thousand five", 1803 -> "eighteen oh three"."""
    if n == 2000 or (2000 < n < 2010):
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return cardinal(high) + " hundred"
    if low < 10:
        return cardinal(high) + " oh " + _ONES[low]
    return cardinal(high) + " " + cardinal(low)


def digits(s: str) -> str:
    """Read a digit string one digit at a time ("007" -> "zero zero seven")."""
    return " ".join(_ONES[int(c)] for c in s)


def integer(s: str) -> str:
    """An integer string as LJSpeech reads it: years in (1000, 3000) by pairs, leading zeros digit by digit."""
    if len(s) > 1 and s.startswith("0"):
        return digits(s)
    n = int(s)
    if 1000 < n < 3000:
        return year(n)
    return cardinal(n)


def _plural(n: int, one: str, many: str) -> str:
    return f"{cardinal(n)} {one if n == 1 else many}"


def _dollars(m: re.Match) -> str:
    whole, cents = m.group(1), m.group(2)
    d = int(whole) if whole else 0
    c = int(cents.ljust(2, "0")[:2]) if cents else 0
    scale = m.group(3)
    if scale:  # "$2 million" -> "two million dollars"
        amount = integer(whole) + (" point " + digits(cents) if cents else "")
        return f"{amount} {scale} dollars"
    if cents and len(cents) > 2:  # unusual format: read it as a decimal amount
        return f"{integer(whole or '0')} point {digits(cents)} dollars"
    if d and c:
        return f"{_plural(d, 'dollar', 'dollars')}, {_plural(c, 'cent', 'cents')}"
    if d:
        return _plural(d, "dollar", "dollars")
    if c:
        return _plural(c, "cent", "cents")
    return "zero dollars"


def _pounds(m: re.Match) -> str:
    amount = m.group(1)
    if "." in amount:
        whole, frac = amount.split(".", 1)
        return f"{integer(whole)} point {digits(frac)} pounds"
    return f"{cardinal(int(amount))} pounds"  # sums of money are never read as years


def _time(m: re.Match) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    if minute == 0:
        spoken = f"{cardinal(hour)} o'clock" if not m.group(3) else cardinal(hour)
    elif minute < 10:
        spoken = f"{cardinal(hour)} oh {_ONES[minute]}"
    else:
        spoken = f"{cardinal(hour)} {cardinal(minute)}"
    suffix = m.group(3)
    return spoken + (f" {suffix.lower()}.m." if suffix else "")


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def roman_to_int(s: str) -> int | None:
    """Value of a well-formed Roman numeral (case-insensitive), None when ``s`` is not one."""
    s = s.lower()
    if not s or any(c not in _ROMAN for c in s):
        return None
    total = 0
    for a, b in zip(s, s[1:] + " "):
        v = _ROMAN[a]
        total += -v if b != " " and _ROMAN[b] > v else v
    return total if _int_to_roman(total) == s else None


def _int_to_roman(n: int) -> str:
    out = []
    for value, sym in [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                       (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


_COMMA_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+)(?![\d])")
_POUNDS = re.compile(r"£\s?(\d+(?:\.\d+)?)")
_DOLLARS = re.compile(r"\$\s?(\d*)(?:\.(\d+))?(?:\s(thousand|million|billion|trillion)\b)?")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b(?:\s?([ap])\.?\s?m\.?(?=\W|$))?", re.IGNORECASE)
_DECIMAL = re.compile(r"(\d*)\.(\d+)")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th|d)\b")
_INTEGER = re.compile(r"\d+")
_SERIAL = re.compile(r"\b([A-Z]{1,3})(\d{2,})\b")  # "C2766" -> "C two seven six six"
_LONG_DIGITS = re.compile(r"(?<![\d,.])\d{5,}\b")  # comma-less 5+ digit numbers are codes: read digit by digit
_ERA_YEAR = re.compile(r"\b\d{3}(?=\s?[AB]\.\s?[CD]\.)|(?:(?<=\b[Ii]n )|(?<=\byear ))\d{3}\b(?!\s[a-z])")
_CALIBER = re.compile(r"(?<![\d\w])\.(\d{2})(?=\s(?:\w+\s)?caliber)")  # ".38 caliber" -> "thirty-eight caliber"
_BOX_NUMBER = re.compile(r"(?<=\b[Bb]ox )\d{3,}\b")  # post-office boxes are read digit by digit
_LABEL_NUMBER = re.compile(r"(?:(?<=\bNo\. )|(?<=\bnumber )|(?<=\bNumber )|(?<=\bpage ))(\d{3})(?=\b|[A-Z]\b)")
_REGNAL = re.compile(r"\b((?:[A-Z][a-z]+))\s([IVX]+)\b")
_PERCENT = re.compile(r"(\d)\s?%")


_MONARCHS = {"Alexander", "Alfred", "Anne", "Catherine", "Charles", "Edward", "Elizabeth", "Francis", "Frederick",
             "George", "Henry", "James", "John", "Louis", "Mary", "Napoleon", "Nebuchadnezzar", "Nicholas", "Peter",
             "Philip", "Pius", "Richard", "Sargon", "Victor", "William"}


def _regnal(m: re.Match) -> str:
    """"George IV" -> "George the fourth" (capitalised name followed by an upper-case Roman numeral)."""
    name, numeral = m.group(1), m.group(2)
    value = roman_to_int(numeral)
    if value is None or (len(numeral) == 1 and name not in _MONARCHS):
        return m.group(0)  # "Forrest V. Sorrels", "When I came": a lone letter is a numeral only after a ruler's name
    return f"{name} the {ordinal(value)}"


def expand_numbers(text: str) -> str:
    """Spell out every number in ``text`` (case and punctuation around them are kept)."""
    text = _REGNAL.sub(_regnal, text)
    text = _SERIAL.sub(lambda m: " ".join(m.group(1)) + " " + digits(m.group(2)), text)
    text = _CALIBER.sub(lambda m: cardinal(int(m.group(1))), text)
    text = _BOX_NUMBER.sub(lambda m: digits(m.group(0)), text)
    text = _LABEL_NUMBER.sub(lambda m: year(int(m.group(1))) + " ", text)  # "Exhibit No. 143" -> "one forty-three"
    text = _LONG_DIGITS.sub(lambda m: digits(m.group(0)), text)
    text = _ERA_YEAR.sub(lambda m: year(int(m.group(0))), text)
    text = _COMMA_NUMBER.sub(lambda m: m.group(1).replace(",", ""), text)
    text = _POUNDS.sub(_pounds, text)
    text = _DOLLARS.sub(lambda m: _dollars(m) if (m.group(1) or m.group(2)) else m.group(0), text)
    text = _TIME.sub(_time, text)
    text = _PERCENT.sub(r"\1 percent", text)
    text = _DECIMAL.sub(lambda m: f"{integer(m.group(1)) if m.group(1) else ''} point {digits(m.group(2))}".strip(), text)
    text = _ORDINAL.sub(lambda m: ordinal(int(m.group(1))), text)
    text = _INTEGER.sub(lambda m: integer(m.group(0)), text)
    return text

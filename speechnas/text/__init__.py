"""Text front-end: English cleaners (numbers, abbreviations, transliteration), token lists, optional phonemes."""
from speechnas.text.cleaners import CLEANED_SYMBOLS, english_cleaners, find_unmappable
from speechnas.text.tokens import EOS_ID, PAD_ID, TextFrontend, TokenList, UnknownSymbolError

__all__ = ["CLEANED_SYMBOLS", "EOS_ID", "PAD_ID", "TextFrontend", "TokenList", "UnknownSymbolError",
           "english_cleaners", "find_unmappable"]

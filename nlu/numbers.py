"""Numbers as cardholders write them: "3,500.00", "3.500.000", "1.2", "三千五", "两万"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CHINESE_DIGITS = "零〇一二两三四五六七八九"
_DIGIT_VALUE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000}
_BIG_UNIT_VALUE = {"万": 10_000, "亿": 100_000_000}
CHINESE_NUMERAL_CHARS = CHINESE_DIGITS + "十百千万亿"


def parse_chinese_numeral(text: str) -> int | None:
    """Parses Simplified Chinese numerals, including the colloquial "三千五" (3500).

    Returns None when the text is not a numeral.
    """
    if not text or any(ch not in CHINESE_NUMERAL_CHARS for ch in text):
        return None
    total = section = digit = 0
    last_unit = 0
    for ch in text:
        if ch in _DIGIT_VALUE:
            digit = _DIGIT_VALUE[ch]
            last_unit = 0 if last_unit == 0 else last_unit
        elif ch in _UNIT_VALUE:
            section += (digit or 1) * _UNIT_VALUE[ch]
            digit = 0
            last_unit = _UNIT_VALUE[ch]
        else:
            section += digit
            total += section * _BIG_UNIT_VALUE[ch]
            section = digit = 0
            last_unit = _BIG_UNIT_VALUE[ch]
    if digit and last_unit >= 10:
        # "三千五" means 3500 and "一万二" 12000: a trailing digit is one unit below the last.
        section += digit * (last_unit // 10)
        digit = 0
    return total + section + digit


def parse_decimal(text: str, thousands_dot: bool) -> Decimal | None:
    """Parses "3,500.50", "3.500.000" or "1.5".

    A single dot followed by exactly three digits is a thousands separator only when
    ``thousands_dot`` is set (Vietnamese and VND amounts), otherwise a decimal point.
    """
    groups = text.replace(",", ".").split(".")
    if len(groups) == 1:
        raw = text
    elif "," in text and "." in text:
        # "3,500.50" (English) or "3.500,50" (Vietnamese): the last separator is decimal.
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        thousands_sep = "," if decimal_sep == "." else "."
        raw = text.replace(thousands_sep, "").replace(decimal_sep, ".")
    elif len(groups) > 2 or (len(groups[-1]) == 3 and (thousands_dot or "," in text)):
        raw = "".join(groups)
    else:
        raw = text.replace(",", ".")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def format_decimal(value: Decimal) -> str:
    """Plain decimal string without exponent or trailing zeros: 500000, 45.5."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# Number words, in the lower-case normalised text amounts are read from.  Vietnamese words
# appear with and without diacritics.  Only read in front of a scale or a currency ("năm
# triệu", "two grand", "five hundred dollars"): alone, "năm" is a year and "ba" a father.
_WORD_DIGITS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
    "một": 1, "mot": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "bon": 4, "tư": 4, "năm": 5,
    "nam": 5, "lăm": 5, "lam": 5, "sáu": 6, "sau": 6, "bảy": 7, "bay": 7, "tám": 8,
    "tam": 8, "chín": 9, "chin": 9, "mười": 10, "muoi": 10,
}
_WORD_TENS = {"mươi", "muoi"}  # "hai mươi" = 20; unaccented "muoi" is ten or tens by position
_WORD_HUNDREDS = {"hundred", "trăm", "tram"}
_WORD_FILLERS = {"and", "linh", "lẻ", "le"}  # "two hundred and five", "một trăm linh năm"
NUMBER_WORDS = (*_WORD_DIGITS, *_WORD_TENS, *_WORD_HUNDREDS, *_WORD_FILLERS)


def parse_number_words(words: list[str]) -> int | None:
    """The value of number words below a thousand ("two hundred and fifty", "hai mươi lăm",
    "năm trăm"); None if a word is not a number word or they do not make a number."""
    total = current = 0
    seen = False
    for word in words:
        if word in _WORD_FILLERS:
            continue
        if word in _WORD_HUNDREDS:
            current = (current or 1) * 100
            total, current = total + current, 0
        elif word in _WORD_TENS or (word == "muoi" and 0 < current < 10):
            current = (current or 1) * 10
        elif word in _WORD_DIGITS:
            current += _WORD_DIGITS[word]
        else:
            return None
        seen = True
    value = total + current
    return value if seen and value > 0 else None

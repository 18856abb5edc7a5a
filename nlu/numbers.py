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

"""Money amounts in four languages' chat styles, with scale words and currencies.

"HK$500", "500蚊", "1.2万", "三千五百块", "三千五", "2tr", "1tr5", "1 triệu 2", "ba triệu rưỡi",
"150.000đ", "50 nghìn", "năm trăm nghìn", "USD 45.50", "$1.2k", "two grand", "five hundred
dollars".  Runs on the normalised (lower case, half width, Simplified) text.
A bare number is not an amount: "12" may be months and "4821" a card ending; a Chinese
numeral with 千, 万 or 亿 in it is ("刷了三千五"), and number words are only with a scale or a
currency after them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import regex

from nlu.numbers import (
    CHINESE_NUMERAL_CHARS,
    NUMBER_WORDS,
    format_decimal,
    parse_chinese_numeral,
    parse_decimal,
    parse_number_words,
)

# Currency words -> ISO code; None where the word does not fix the currency ("$" is USD in
# the US and HKD in Hong Kong, "元" is CNY on the mainland and TWD in Taiwan): then the
# card's own currency applies.
_PREFIX_CURRENCIES: dict[str, str | None] = {
    "us$": "USD", "usd": "USD", "hk$": "HKD", "hkd": "HKD", "nt$": "TWD", "ntd": "TWD",
    "twd": "TWD", "rmb": "CNY", "cny": "CNY", "vnd": "VND", "€": "EUR", "eur": "EUR",
    "¥": None, "$": None,
}
_SUFFIX_CURRENCIES: dict[str, str | None] = {
    "美元": "USD", "美金": "USD", "usd": "USD", "港币": "HKD", "港元": "HKD", "港纸": "HKD",
    "蚊": "HKD", "hkd": "HKD", "新台币": "TWD", "台币": "TWD", "twd": "TWD", "ntd": "TWD",
    "人民币": "CNY", "rmb": "CNY", "cny": "CNY", "块钱": None, "块": None, "元": None,
    "đồng": "VND", "dong": "VND", "vnđ": "VND", "vnd": "VND", "đ": "VND",
    "dollars": None, "dollar": None, "bucks": None, "eur": "EUR", "euros": "EUR",
}
# Scale words -> (multiplier, currency they imply).  "k", "tr", "nghìn" are how Vietnamese
# chat writes đồng amounts; "k" is also English shorthand, so it implies no currency.
_SCALES: dict[str, tuple[int, str | None]] = {
    "k": (1_000, None), "nghìn": (1_000, "VND"), "nghin": (1_000, "VND"),
    "ngàn": (1_000, "VND"), "ngan": (1_000, "VND"), "tr": (1_000_000, "VND"),
    "triệu": (1_000_000, "VND"), "trieu": (1_000_000, "VND"), "củ": (1_000_000, "VND"),
    "tỷ": (1_000_000_000, "VND"), "ty": (1_000_000_000, "VND"),
    "千": (1_000, None), "万": (10_000, None), "w": (10_000, None), "亿": (100_000_000, None),
    "thousand": (1_000, None), "grand": (1_000, None), "million": (1_000_000, None),
    "mil": (1_000_000, None), "m": (1_000_000, None),
}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"\d+(?:[.,]\d+)*"
_WORD = rf"(?<![\p{{L}}])(?:{_alternation(NUMBER_WORDS)})(?![\p{{L}}])"
_AMOUNT = regex.compile(
    rf"(?P<prefix>{_alternation(_PREFIX_CURRENCIES)})?\s*"
    rf"(?:(?P<num>{_NUMBER})|(?P<cn>[{CHINESE_NUMERAL_CHARS}]+)"
    rf"|(?P<words>{_WORD}(?:[\s-]+{_WORD})*))"
    rf"(?:\s*(?P<scale>{_alternation(_SCALES)})(?P<tail>\d(?!\d))?)?"
    rf"(?:\s*(?P<suffix>{_alternation(_SUFFIX_CURRENCIES)}))?"
    # Chinese runs straight on after an amount ("HK$500兩次"); a Latin letter or digit
    # there means the number is part of a word or a longer number.
    r"(?![\p{Latin}\d])",
)
# A trailing digit after a scale is one tenth of it: "1tr5" = 1.5 million, "1万2" = 12,000,
# "1 triệu 2" = 1.2 million; "rưỡi" after it is a half: "ba triệu rưỡi" = 3.5 million.
_SPACED_TAIL = regex.compile(r"\s+(\d)(?!\d|\s*(?:tháng|thang|月|期|months?|k|%))")
_HALF = regex.compile(r"\s*(?:rưỡi|ruoi)(?![\p{L}])")
_MAGNITUDES = "千万亿"


@dataclass(frozen=True)
class Amount:
    """A money amount found in a message; ``currency`` None means "the card's currency"."""

    value: Decimal
    currency: str | None
    start: int
    end: int

    @property
    def text_value(self) -> str:
        """The value as a plain decimal string, the form slots and the bank API use."""
        return format_decimal(self.value)


def find_amounts(text: str, vietnamese: bool = False) -> list[Amount]:
    """Finds money amounts in normalised text.

    Args:
        text: normalised message text.
        vietnamese: the message is Vietnamese, so "150.000" is a hundred and fifty thousand.

    Returns:
        The amounts, in text order; a number with neither currency nor scale is skipped.
    """
    amounts = []
    for match in _AMOUNT.finditer(text):
        prefix, scale, suffix = match.group("prefix"), match.group("scale"), match.group("suffix")
        chinese = match.group("cn")
        magnitude = chinese is not None and any(ch in _MAGNITUDES for ch in chinese)
        if not (prefix or scale or suffix or magnitude):
            continue
        if chinese:
            number = parse_chinese_numeral(chinese)
            if number is None or not (scale in ("千", "万", "亿") or suffix or magnitude):
                continue
            value = Decimal(number)
        elif match.group("words"):
            number = parse_number_words(match.group("words").replace("-", " ").split())
            if number is None or not (scale or suffix):
                continue
            value = Decimal(number)
        else:
            thousands_dot = vietnamese or (scale in _SCALES and _SCALES[scale][1] == "VND")
            thousands_dot = thousands_dot or suffix in ("đ", "đồng", "dong", "vnđ", "vnd")
            parsed = parse_decimal(match.group("num"), thousands_dot=thousands_dot)
            if parsed is None:
                continue
            value = parsed
        end = match.end()
        currency = _PREFIX_CURRENCIES.get(prefix or "") or _SUFFIX_CURRENCIES.get(suffix or "")
        if scale:
            multiplier, implied = _SCALES[scale]
            tail = match.group("tail")
            if tail is None and not suffix:
                spaced = _SPACED_TAIL.match(text, end)
                if spaced and multiplier >= 1_000_000:
                    tail, end = spaced.group(1), spaced.end()
            half = None if tail or suffix else _HALF.match(text, end)
            if half:
                end = half.end()
            value = value * multiplier + (Decimal(tail) * multiplier / 10 if tail else 0) \
                + (Decimal(multiplier) / 2 if half else 0)
            currency = currency or implied
        if scale == "k" and vietnamese:
            currency = currency or "VND"
        start = match.start() + (len(match.group()) - len(match.group().lstrip()))
        amounts.append(Amount(value, currency, start, end))
    return amounts

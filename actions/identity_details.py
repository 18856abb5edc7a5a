"""Reads what cardholders type to identify themselves: a phone number, or card last 4 + birth date.

The result goes straight to the bank and is never stored: the slot keeps only a marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DIGITS = re.compile(r"\d")
# A phone number: optional +, then 8 to 15 digits with spaces, dots, dashes or brackets.
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,20}\d")
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[-/.\s](\d{1,2})[-/.\s](\d{4})(?!\d)")
_VI = re.compile(r"(?<!\d)(\d{1,2})\s*th[aá]ng\s*(\d{1,2})\s*(?:n[aă]m\s*)?(\d{4})(?!\d)", re.I)
_LAST4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")


@dataclass(frozen=True)
class IdentityDetails:
    """What identifies a cardholder: a phone, or card last 4 plus date of birth."""

    phone: str | None = None
    card_last4: str | None = None
    date_of_birth: date | None = None


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _birth_date(text: str, language: str) -> tuple[date | None, str]:
    """The date found and the text without it.  US English reads 04/12 as April 12."""
    for pattern, order in ((_ISO, "ymd"), (_VI, "dmy"), (_DMY, "dmy")):
        match = pattern.search(text)
        if not match:
            continue
        a, b, c = match.groups()
        if order == "ymd":
            found = _date(a, b, c)
        else:
            first, second = int(a), int(b)
            # Only an impossible month settles the order; otherwise US English puts it first.
            month_first = second > 12 or (first <= 12 and language == "en")
            found = _date(c, a, b) if month_first else _date(c, b, a)
        return found, text[:match.start()] + " " + text[match.end():]
    return None, text


def parse_identity(text: str, language: str) -> IdentityDetails | None:
    """The details in ``text``, or None when it holds neither form."""
    born, rest = _birth_date(text, language)
    if born is not None:
        last4 = _LAST4.search(rest)
        if last4:
            return IdentityDetails(card_last4=last4.group(1), date_of_birth=born)
        return None
    phone = _PHONE.search(text)
    if phone and 8 <= len(_DIGITS.findall(phone.group())) <= 15:
        return IdentityDetails(phone=phone.group())
    return None


_CODE = re.compile(r"^\D*?(\d{3})[\s-]?(\d{3})\D*$")


def parse_code(text: str) -> str | None:
    """A 6-digit one-time code typed alone ("482913", "482 913", "code: 482913")."""
    match = _CODE.match(text.strip())
    return match.group(1) + match.group(2) if match else None

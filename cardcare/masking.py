"""Masks what must never be stored or logged: card numbers, CVVs, one-time codes, birth dates.

Used by the tracker store (``cardcare.tracker_store``) and, later, by the channel gateway's
logs and the agent desk.  Masking keeps the last 4 digits of a card number, which is what
people and agents need to tell cards apart.
"""

from __future__ import annotations

import re

from cardcare.conversation import MASK_CHAR

# 13 to 19 digits, optionally grouped by spaces or dashes: the shape of a card number (PAN).
_PAN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
# A 3-4 digit security code or a code named as such: "cvv 123", "安全码 123", "mã otp 482913".
_NAMED_SECRET = re.compile(
    r"(?i)(cvv2?|cvc2?|csc|otp|pin|passcode|password|安全码|安全碼|验证码|驗證碼|密码|密碼|"
    r"mã\s*(?:cvv|otp|pin|xác\s*thực|bảo\s*mật)|ma\s*(?:cvv|otp|pin))"
    r"(\D{0,12}?)(\d[\d\s-]{2,10}\d|\d{3,4})")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_pan(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if not _luhn(digits):
        return match.group()
    return MASK_CHAR * 4 + " " + digits[-4:]


def mask_digits(text: str) -> str:
    """Every digit masked: for answers to a verification question (phone, birth date, code)."""
    return re.sub(r"\d", MASK_CHAR, text)


def mask_text(text: str) -> str:
    """Card numbers reduced to their last 4 digits; named secrets (CVV, OTP, PIN) hidden."""
    text = _PAN.sub(_mask_pan, text)
    return _NAMED_SECRET.sub(lambda m: m.group(1) + m.group(2) + mask_digits(m.group(3)), text)

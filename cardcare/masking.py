"""Masks what must never be stored or logged: card numbers, CVVs, one-time codes, phone
numbers and birth dates.

Used by the tracker store (``cardcare.tracker_store``), every process's logs
(``cardcare.logs``), the gateway's history and the agent desk.  Masking keeps the last 4 digits
of a card number and the last 2 of a phone number, which is what people and agents need to
tell them apart.  Each pattern errs towards masking: a reference number masked in a log costs
little, a card number kept costs a lot.
"""

from __future__ import annotations

import re
from typing import Any

from cardcare.conversation import MASK, MASK_CHAR, VERIFICATION_SLOTS, VERIFY_FORM

# 13 to 19 digits, optionally grouped by spaces, dashes or dots: the shape of a card number.
_PAN = re.compile(r"(?<![\d.])\d(?:[ .-]?\d){12,18}(?![\d]|\.\d)")
# A Latin word starts here ("pin", not "spin"); Chinese words need no boundary.
_NOT_AFTER_LETTER = r"(?<![A-Za-zÀ-ỹ])"
# Words that name a secret code, in the four languages (with and without Vietnamese accents).
_CODE_WORDS = (r"cvv2?|cvc2?|csc|otp|pin|passcode|password|one[- ]time|(?:verification |security "
               r"|sms )?code|安全码|安全碼|验证码|驗證碼|校验码|校驗碼|动态码|動態碼|密码|密碼|"
               r"mã\s*(?:cvv|otp|pin|xác\s*(?:thực|nhận)|bảo\s*mật)?|ma\s*(?:cvv|otp|pin|xac\s*"
               r"(?:thuc|nhan)|bao\s*mat)?|mật\s*khẩu|mat\s*khau")
# A code named as such, up to 24 characters before its digits: "the code you sent me was 336741".
_NAMED_SECRET = re.compile(
    rf"(?i){_NOT_AFTER_LETTER}({_CODE_WORDS})(\D{{0,24}}?)(\d(?:[\s-]?\d){{2,9}})(?!\d)")
# Words that name a birth date, then the date: "born 04/12/1988", "生日 1988年12月4日".
_BIRTH_WORDS = (r"born|birth|dob|d\.o\.b\.?|birthday|生日|出生|sinh\s*nhật|sinh\s*nhat|ngày\s*sinh|"
                r"ngay\s*sinh|sinh\s*ngày|sinh\s*ngay|sinh\s*năm|sinh\s*nam")
_DATE = r"\d{1,4}\s*[/.\-年]\s*\d{1,2}\s*[/.\-月]\s*\d{1,4}\s*日?|\d{8}"
_BIRTH_DATE = re.compile(rf"(?i)({_BIRTH_WORDS})(\D{{0,20}}?)({_DATE})")
# Phone numbers: international (+), national with a trunk 0, mainland mobiles, or any 8-15
# digits named as a phone.  Dots are not separators here: "1.500.000.000" is an amount.
_PHONE_WORDS = (r"phone|mobile|cell|tel|number|電話|电话|手機|手机|號碼|号码|"
                r"số\s*(?:điện\s*thoại|đt)?|so\s*(?:dien\s*thoai|dt)?|sđt|sdt|đt|dt")
_PHONE = re.compile(
    r"(?<![A-Za-z0-9+])(?:\+\d[\d ()-]{6,20}\d|0\d(?:[ -]?\d){7,11}|1[3-9]\d(?:[ -]?\d){8})(?![\d])"
    rf"|(?i:{_NOT_AFTER_LETTER}(?:{_PHONE_WORDS}))\D{{0,16}}?(\d(?:[ ()-]?\d){{7,14}})(?!\d)")


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


def _keep_last(text: str, keep: int) -> str:
    """Every digit of ``text`` masked but the last ``keep``."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(positions[:-keep] if keep else positions)
    return "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(text))


def _mask_phone(match: re.Match[str]) -> str:
    if match.group(1) is None:  # a number shaped like a phone
        digits = sum(ch.isdigit() for ch in match.group())
        return _keep_last(match.group(), 2) if 8 <= digits <= 15 else match.group()
    start, end = match.span(1)  # a number named as a phone: only the number changes
    offset = match.start()
    whole = match.group()
    return whole[:start - offset] + _keep_last(match.group(1), 2) + whole[end - offset:]


def mask_digits(text: str) -> str:
    """Every digit masked: for answers to a verification question (phone, birth date, code)."""
    return re.sub(r"\d", MASK_CHAR, text)


def mask_text(text: str) -> str:
    """Card numbers reduced to their last 4 digits, phone numbers to their last 2; named secrets
    (CVV, OTP, PIN, "the code … 336741") and birth dates named as such hidden."""
    text = _PAN.sub(_mask_pan, text)
    text = _NAMED_SECRET.sub(lambda m: m.group(1) + m.group(2) + mask_digits(m.group(3)), text)
    text = _BIRTH_DATE.sub(lambda m: m.group(1) + m.group(2) + mask_digits(m.group(3)), text)
    return _PHONE.sub(_mask_phone, text)


def _mask_message(event: dict[str, Any], mask: Any) -> None:
    event["text"] = mask(event["text"]) if event.get("text") else event.get("text")
    parse = event.get("parse_data") or {}
    if parse.get("text"):
        parse["text"] = mask(parse["text"])
    for entity in parse.get("entities") or []:
        for key in ("value", "text"):
            if isinstance(entity.get(key), str):
                entity[key] = mask(entity[key])


def mask_events(events: list[dict[str, Any]], loop: str | None = None,
                requested: str | None = None) -> list[dict[str, Any]]:
    """Masks serialised tracker events in place and returns them.

    ``loop`` and ``requested`` are the active loop and requested slot before the first event,
    for events that continue a conversation (the tracker store masks only what is new).
    """
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind == "slot" and event.get("name") in VERIFICATION_SLOTS and event.get("value"):
            event["value"] = MASK
        elif kind == "active_loop":
            loop = event.get("name")
        elif kind == "user":
            answering = loop == VERIFY_FORM and requested in VERIFICATION_SLOTS
            _mask_message(event, (lambda t: mask_digits(mask_text(t))) if answering else mask_text)
    return events

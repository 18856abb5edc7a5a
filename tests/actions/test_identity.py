"""Verification through the real actions and the sandbox: codes, lockout, resuming, expiry."""

from __future__ import annotations

import re

import pytest

from actions.account import ActionCheckBalance
from actions.identity import ActionVerificationDone, ValidateVerifyForm
from actions.identity_details import parse_code, parse_identity
from cardcare.dev.driver import Chat
from tests.sandbox import Bank

EMMA_PHONE = "+1 (415) 555-0101"


async def start(chat: Chat) -> None:
    """An unverified request: the action asks to verify and remembers itself."""
    events = await chat.run(ActionCheckBalance(chat.client, chat.sessions))
    assert {"event": "followup", "name": "verify_form", "timestamp": None} in events
    assert chat.slots["pending_action"] == "action_check_balance"
    assert chat.said() == ["utter_verification_needed"]
    chat.active_loop = "verify_form"


async def answer(chat: Chat, slot: str, text: str) -> None:
    chat.slots["requested_slot"] = slot
    await chat.user(text).run(ValidateVerifyForm(chat.client, chat.sessions))


async def code(bank: Bank, chat: Chat) -> str:
    return await bank.last_code(chat.subject)


async def test_request_waits_for_verification_then_resumes(bank: Bank, chat: Chat) -> None:
    await start(chat)
    await answer(chat, "identity_details", EMMA_PHONE)
    assert chat.slots["identity_details"] == "••••••"  # never the phone number
    assert chat.slots["challenge_id"]
    await answer(chat, "otp_code", await code(bank, chat))
    assert chat.slots["otp_code"] == "••••••" and chat.slots["verification"] == "verified"
    assert chat.said() == ["utter_verified"]
    await chat.run(ActionVerificationDone(chat.client, chat.sessions))
    assert chat.said() == ["utter_balance", "utter_balance"]  # Emma has two cards
    assert chat.slots["pending_action"] is None


async def test_last4_and_birth_date_identify_too(bank: Bank, chat: Chat) -> None:
    await start(chat)
    await answer(chat, "identity_details", "2468 15/03/1995")
    await answer(chat, "otp_code", await code(bank, chat))
    assert chat.slots["verification"] == "verified"


async def test_three_wrong_codes_lock_and_offer_a_human(bank: Bank, chat: Chat) -> None:
    await start(chat)
    await answer(chat, "identity_details", EMMA_PHONE)
    right = await code(bank, chat)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for attempts_left in (2, 1):
        await answer(chat, "otp_code", wrong)
        assert chat.last("utter_otp_wrong")["attempts_left"] == attempts_left
        assert chat.said() == ["utter_otp_wrong"]
        assert chat.slots["otp_code"] is None
    await answer(chat, "otp_code", wrong)
    assert chat.said() == ["utter_verification_locked"]
    assert chat.slots["verification"] == "locked"
    await chat.run(ActionVerificationDone(chat.client, chat.sessions))
    assert chat.said() == ["utter_verification_failed", "utter_offer_human_after_error"]
    assert await chat.sessions.get(chat.subject) is None
    # Even the right code no longer works, and a new request is refused at once.
    await start_locked(chat)


async def start_locked(chat: Chat) -> None:
    await chat.user("balance", "check_balance").run(ActionCheckBalance(chat.client, chat.sessions))
    assert chat.said() == ["utter_verification_locked", "utter_offer_human_after_error"]


async def test_linked_chat_gets_a_code_without_details(bank: Bank, chat: Chat) -> None:
    await start(chat)
    await answer(chat, "identity_details", EMMA_PHONE)
    await answer(chat, "otp_code", await code(bank, chat))
    chat.said()
    await chat.sessions.drop(chat.subject)  # the 15 idle minutes have passed
    chat.slots.update(awaiting="action_check_balance", card_id="card_emma_visa")
    events = await chat.run(ActionCheckBalance(chat.client, chat.sessions))
    assert chat.said() == ["utter_session_expired", "utter_verification_needed"]
    assert {"event": "followup", "name": "verify_form", "timestamp": None} in events
    assert chat.slots["identity_details"] == "linked"  # straight to the code
    assert chat.slots["awaiting"] is None and chat.slots["card_id"] is None


async def test_codes_and_details_never_reach_a_slot(bank: Bank, chat: Chat) -> None:
    await start(chat)
    await answer(chat, "identity_details", "4821 04/12/1988")
    secret = await code(bank, chat)
    await answer(chat, "otp_code", secret)
    stored = repr(chat.events)
    assert secret not in stored and "1988" not in stored and "4821" not in stored


def test_identity_details_are_read_in_every_language() -> None:
    assert parse_identity("+1 415 555 0101", "en").phone == "+1 415 555 0101"
    us = parse_identity("4821 04/12/1988", "en")
    assert (us.card_last4, us.date_of_birth.month, us.date_of_birth.day) == ("4821", 4, 12)
    vi = parse_identity("2468, 15/03/1995", "vi")
    assert (vi.date_of_birth.month, vi.date_of_birth.day) == (3, 15)
    zh = parse_identity("尾号3306 生日1990年8月23日", "zh-Hans")
    assert (zh.card_last4, zh.date_of_birth.isoformat()) == ("3306", "1990-08-23")
    assert parse_identity("15 tháng 3 năm 1995 thẻ 2468", "vi").card_last4 == "2468"
    assert parse_identity("what is this?", "en") is None
    assert parse_identity("4821", "en") is None  # last 4 alone identifies nobody


def test_codes_are_read_only_when_typed_alone() -> None:
    assert parse_code("482913") == "482913"
    assert parse_code("482 913") == "482913"
    assert parse_code("mã là 482913 nha") == "482913"
    assert parse_code("4829130") is None
    assert parse_code("how much do I owe") is None
    assert re.fullmatch(r"\d{6}", parse_code("code: 000123") or "")


@pytest.mark.bank_settings(max_codes=1)
async def test_a_chat_at_the_code_cap_is_told_when_to_try_again(bank: Bank, chat: Chat) -> None:
    await start(chat)
    await answer(chat, "identity_details", EMMA_PHONE)
    assert chat.slots["challenge_id"]
    chat.said()
    # "I did not get it, send another": over the cap, a polite answer and no second code.
    await answer(chat, "identity_details", EMMA_PHONE)
    assert 1 <= chat.last("utter_too_many_codes")["minutes"] <= 15
    assert chat.said() == ["utter_too_many_codes"]
    assert chat.slots["verification"] == "locked"
    assert len(await bank.outbox(chat.subject)) == 1

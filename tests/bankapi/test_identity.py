"""Identity links: codes by phone or by card + birth date, lockout, expiry, sessions, unlink."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from tests.sandbox import subject_of, wrong


async def test_calls_without_the_right_api_key_are_unauthorized(bank):
    for api_key in (None, "not-the-key"):
        answer = await bank.call("POST", "/identity/challenges", api_key=api_key,
                                 json={"subject": "telegram:1", "phone": "+14155550101"})
        assert (answer.status, answer.code) == (401, "unauthorized")
    assert await bank.outbox("telegram:1") == []
    # The sandbox-only pages need no key.
    assert (await bank.page("GET", "/health")).body == {"status": "ok"}


@pytest.mark.parametrize(("details", "first_name", "card_id"), [
    ({"phone": "+1 (415) 555-0101"}, "Emma", "card_emma_visa"),
    ({"phone": "+84 912 345 678"}, "Lan", "card_lan_visa"),
    ({"card_last4": "3306", "date_of_birth": "1990-08-23"}, "芳", "card_wang_up"),
    ({"card_last4": "9087", "date_of_birth": "1979-06-30"}, "志明", "card_wong_mc"),
])
async def test_verification_links_the_subject_and_opens_a_session(bank, details, first_name,
                                                                  card_id):
    subject = "telegram:4242"
    challenge_id = await bank.challenge(subject, **details)
    [message] = await bank.outbox(subject)
    assert message["kind"] == "otp"
    answer = await bank.submit(challenge_id, await bank.last_code(subject))
    assert answer.status == 200
    assert answer.body["first_name"] == first_name
    assert answer.body["idle_timeout_s"] == 15 * 60
    cards = await bank.call("GET", "/cards", token=answer.body["session_token"])
    assert card_id in [c["card_id"] for c in cards.body["cards"]]
    customer_id = "cus_" + card_id.split("_")[1]
    assert (await bank.state(customer_id))["linked_subjects"] == [subject]


async def test_challenge_expires_at_is_the_code_lifetime_ahead(bank):
    before = datetime.now(timezone.utc)
    answer = await bank.call("POST", "/identity/challenges",
                             json={"subject": "telegram:1", "phone": "+14155550101"})
    expires_at = datetime.fromisoformat(answer.body["expires_at"])
    assert timedelta(minutes=4, seconds=55) < expires_at - before <= timedelta(minutes=5, seconds=5)


@pytest.mark.parametrize("details", [
    {"phone": "+1 415 555 9999"},
    {"card_last4": "4821", "date_of_birth": "1988-04-13"},  # Emma's card, wrong birth date
    {"card_last4": "0000", "date_of_birth": "1988-04-12"},
])
async def test_unknown_details_get_the_same_answer_but_no_code(bank, details):
    known = await bank.call("POST", "/identity/challenges",
                            json={"subject": "telegram:known", "phone": "+14155550101"})
    unknown = await bank.call("POST", "/identity/challenges",
                              json={"subject": "telegram:stranger", **details})
    assert unknown.status == known.status == 201
    assert set(unknown.body) == set(known.body)
    assert abs(datetime.fromisoformat(unknown.body["expires_at"])
               - datetime.fromisoformat(known.body["expires_at"])) < timedelta(seconds=5)
    assert await bank.outbox("telegram:stranger") == []
    # Whatever code is tried (even the one texted to someone else), it is not accepted.
    code = await bank.last_code("telegram:known")
    answer = await bank.submit(unknown.body["challenge_id"], code)
    assert (answer.status, answer.code) == (422, "otp_invalid")
    assert answer.body["error"]["attempts_left"] == 2


async def test_a_wrong_code_gives_otp_invalid_with_attempts_left(bank):
    subject = subject_of("cus_emma")
    challenge_id = await bank.challenge(subject, phone="+14155550101")
    code = await bank.last_code(subject)
    for attempts_left in (2, 1):
        answer = await bank.submit(challenge_id, wrong(code))
        assert (answer.status, answer.code) == (422, "otp_invalid")
        assert answer.body["error"]["attempts_left"] == attempts_left
    # Two mistakes do not lock: the right code still works, and resets the count.
    assert (await bank.submit(challenge_id, code)).status == 200
    challenge_id = await bank.challenge(subject)
    answer = await bank.submit(challenge_id, wrong(await bank.last_code(subject)))
    assert answer.body["error"]["attempts_left"] == 2


async def test_three_wrong_codes_lock_the_subject(bank):
    subject = subject_of("cus_emma")
    challenge_id = await bank.challenge(subject, phone="+14155550101")
    code = await bank.last_code(subject)
    await bank.submit(challenge_id, wrong(code))
    await bank.submit(challenge_id, wrong(code))
    third = await bank.submit(challenge_id, wrong(code))
    assert (third.status, third.code) == (423, "otp_locked")
    assert third.body["error"]["retry_after_s"] == 15 * 60
    # Not even the right code gets through now ...
    answer = await bank.submit(challenge_id, code)
    assert (answer.status, answer.code) == (423, "otp_locked")
    # ... and no new challenge (nor code) for that subject until the lock ends.
    sent = len(await bank.outbox(subject))
    answer = await bank.call("POST", "/identity/challenges",
                             json={"subject": subject, "phone": "+14155550101"})
    assert (answer.status, answer.code) == (423, "otp_locked")
    assert 0 < answer.body["error"]["retry_after_s"] <= 15 * 60
    assert len(await bank.outbox(subject)) == sent
    assert (await bank.state("cus_emma"))["linked_subjects"] == []
    # The cardholder is locked too: another chat is answered as for details that match
    # nobody (so nothing tells it who banks here), and no code is sent.
    answer = await bank.call("POST", "/identity/challenges",
                             json={"subject": "telegram:other", "phone": "+14155550101"})
    assert answer.status == 201
    assert await bank.outbox("telegram:other") == []


async def test_wrong_codes_count_for_the_cardholder_across_chats(bank):
    """Three chats do not buy nine guesses: the third wrong code locks the cardholder."""
    first = await bank.challenge("telegram:1", phone="+14155550101")
    code = await bank.last_code("telegram:1")
    for _ in range(2):
        assert (await bank.submit(first, wrong(code))).code == "otp_invalid"
    second = await bank.challenge("wechat:2", phone="+14155550101")
    answer = await bank.submit(second, wrong(await bank.last_code("wechat:2")))
    assert answer.code == "otp_invalid"  # the chat itself has two guesses left ...
    # ... but the cardholder has none: the open challenge is over, and no new code comes.
    right = await bank.last_code("wechat:2")
    assert (await bank.submit(second, right)).code == "otp_expired"
    answer = await bank.call("POST", "/identity/challenges",
                             json={"subject": "web:3", "phone": "+14155550101"})
    assert answer.status == 201 and await bank.outbox("web:3") == []
    assert (await bank.submit(answer.body["challenge_id"], right)).code == "otp_invalid"
    assert (await bank.state("cus_emma"))["linked_subjects"] == []


@pytest.mark.bank_settings(max_codes=2)
async def test_a_chat_asking_for_too_many_codes_is_told_to_wait(bank):
    for n in range(2):
        await bank.challenge("telegram:pump", phone="+14155550101" if n else "+15550000000")
    answer = await bank.call("POST", "/identity/challenges",
                             json={"subject": "telegram:pump", "phone": "+14155550101"})
    assert (answer.status, answer.code) == (429, "otp_rate_limited")
    assert 0 < answer.body["error"]["retry_after_s"] <= 15 * 60
    assert len(await bank.outbox("telegram:pump")) == 1


@pytest.mark.bank_settings(max_codes=2)
async def test_a_cardholder_receives_at_most_max_codes_across_chats(bank):
    for chat in ("telegram:a", "telegram:b"):
        await bank.challenge(chat, phone="+14155550101")
        assert len(await bank.outbox(chat)) == 1
    third = await bank.challenge("telegram:c", phone="+14155550101")
    assert await bank.outbox("telegram:c") == []  # answered as usual, but no text message
    assert (await bank.submit(third, "000000")).code == "otp_invalid"


async def test_a_new_code_ends_the_earlier_ones(bank):
    first = await bank.challenge("telegram:1", phone="+14155550101")
    first_code = await bank.last_code("telegram:1")
    await bank.challenge("telegram:1", phone="+14155550101")
    assert (await bank.submit(first, first_code)).code == "otp_expired"
    # Also when the newer code was asked for from another chat.
    mine = await bank.challenge("telegram:1", phone="+14155550101")
    mine_code = await bank.last_code("telegram:1")
    await bank.challenge("telegram:2", phone="+14155550101")
    assert (await bank.submit(mine, mine_code)).code == "otp_expired"


@pytest.mark.bank_settings(lockout_s=1)
async def test_the_lock_ends_after_lockout_s(bank):
    subject = "telegram:77"
    challenge_id = await bank.challenge(subject, phone="+14155550101")
    code = await bank.last_code(subject)
    for _ in range(3):
        last = await bank.submit(challenge_id, wrong(code))
    assert last.code == "otp_locked"
    await asyncio.sleep(1.5)
    assert await bank.verify(subject, phone="+14155550101")


async def test_a_used_code_is_expired(bank):
    subject = "telegram:55"
    challenge_id = await bank.challenge(subject, phone="+14155550101")
    code = await bank.last_code(subject)
    assert (await bank.submit(challenge_id, code)).status == 200
    again = await bank.submit(challenge_id, code)
    assert (again.status, again.code) == (410, "otp_expired")


@pytest.mark.bank_settings(otp_ttl_s=1)
async def test_a_code_past_its_lifetime_is_expired(bank):
    subject = "telegram:56"
    challenge_id = await bank.challenge(subject, phone="+14155550101")
    code = await bank.last_code(subject)
    await asyncio.sleep(1.5)
    answer = await bank.submit(challenge_id, code)
    assert (answer.status, answer.code) == (410, "otp_expired")
    assert (await bank.state("cus_emma"))["linked_subjects"] == []


async def test_an_unknown_challenge_is_not_found(bank):
    answer = await bank.submit("ch_does_not_exist", "123456")
    assert (answer.status, answer.code) == (404, "not_found")


@pytest.mark.parametrize("token", [None, "", "made-up-token"])
async def test_calls_without_a_valid_session_are_refused(bank, token):
    answer = await bank.call("GET", "/profile", token=token)
    assert (answer.status, answer.code) == (401, "session_expired")


@pytest.mark.bank_settings(idle_timeout_s=1)
async def test_a_session_expires_after_idle_timeout(bank):
    token = await bank.login("cus_emma")
    assert (await bank.call("GET", "/profile", token=token)).status == 200
    await asyncio.sleep(2.2)
    answer = await bank.call("GET", "/profile", token=token)
    assert (answer.status, answer.code) == (401, "session_expired")


@pytest.mark.bank_settings(idle_timeout_s=3)
async def test_each_call_extends_the_session(bank):
    token = await bank.login("cus_emma")
    for _ in range(3):  # 4.5 s in all, more than the 3 s idle timeout
        await asyncio.sleep(1.5)
        assert (await bank.call("GET", "/cards", token=token)).status == 200


async def test_a_linked_subject_reverifies_without_details(bank):
    subject = subject_of("cus_chen")
    await bank.login("cus_chen")
    token = await bank.verify(subject)
    assert (await bank.call("GET", "/profile", token=token)).body["first_name"] == "怡君"


async def test_an_unlinked_subject_must_give_details(bank):
    answer = await bank.call("POST", "/identity/challenges", json={"subject": "telegram:new"})
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert answer.body["error"]["message"]


@pytest.mark.parametrize(("half", "missing"), [({"card_last4": "4821"}, "date_of_birth"),
                                              ({"date_of_birth": "1988-04-12"}, "card_last4")])
async def test_half_of_the_card_pair_is_refused_even_for_a_linked_subject(bank, half, missing):
    subject = subject_of("cus_emma")
    await bank.login("cus_emma")
    answer = await bank.call("POST", "/identity/challenges", json={"subject": subject, **half})
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert missing in answer.body["error"]["message"]
    answer = await bank.call("POST", "/identity/challenges",
                             json={"subject": "telegram:new", **half})
    assert (answer.status, answer.code) == (400, "invalid_request")


async def test_unlink_ends_the_subjects_sessions(bank):
    subject = subject_of("cus_emma")
    first, second = await bank.login("cus_emma"), await bank.login("cus_emma")
    wang = await bank.login("cus_wang")
    answer = await bank.call("DELETE", f"/identity/links/{subject}")
    assert answer.status == 204 and answer.raw == b""
    for token in (first, second):
        answer = await bank.call("GET", "/cards", token=token)
        assert (answer.status, answer.code) == (401, "session_expired")
    assert (await bank.state("cus_emma"))["linked_subjects"] == []
    assert (await bank.call("GET", "/cards", token=wang)).status == 200
    answer = await bank.call("POST", "/identity/challenges", json={"subject": subject})
    assert (answer.status, answer.code) == (400, "invalid_request")


async def test_unlinking_a_malformed_subject_is_an_invalid_request(bank):
    answer = await bank.call("DELETE", "/identity/links/no-channel",
                             template="/identity/links/{subject}")
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert "subject" in answer.body["error"]["message"]


async def test_unlinking_a_subject_that_is_not_linked_is_fine(bank):
    answer = await bank.call("DELETE", "/identity/links/telegram:nobody")
    assert answer.status == 204

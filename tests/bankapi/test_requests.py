"""What every call shares: idempotency keys, request validation, injected faults, contract gaps."""

from __future__ import annotations

import time

import pytest

from bankapi.contract import ContractViolation
from tests.sandbox import Answer, Bank, subject_of, wrong

VISA = "/cards/card_emma_visa"


# idempotency ---------------------------------------------------------------------------------

async def test_the_same_key_and_body_return_the_first_answer_and_change_state_once(bank, emma):
    body = {"option_id": "air_miles"}
    first = await bank.call("POST", "/rewards/redemptions", token=emma, json=body,
                            key="redeem-0001")
    second = await bank.call("POST", "/rewards/redemptions", token=emma, json=body,
                             key="redeem-0001")
    assert first.status == second.status == 201
    assert second.raw == first.raw
    assert first.body["points_left"] == 48200 - 10000
    state = await bank.state("cus_emma")
    assert state["reward_points"] == 38200
    assert [r["reference"] for r in state["redemptions"]] == [first.body["reference"]]


async def test_a_replayed_state_change_answers_as_the_first_time(bank, emma):
    first = await bank.call("POST", f"{VISA}/freeze", token=emma, key="freeze-0001")
    again = await bank.call("POST", f"{VISA}/freeze", token=emma, key="freeze-0001")
    assert (again.status, again.body) == (200, first.body) and first.body["status"] == "frozen"
    fresh = await bank.call("POST", f"{VISA}/freeze", token=emma)  # a new key: a new request
    assert (fresh.status, fresh.code) == (409, "already_in_state")


async def test_a_replayed_dispute_opens_one_case(bank, emma):
    body = {"transaction_id": "tx_emma_visa_03", "reason": "not_received"}
    first = await bank.call("POST", f"{VISA}/disputes", token=emma, json=body, key="dispute-0001")
    again = await bank.call("POST", f"{VISA}/disputes", token=emma, json=body, key="dispute-0001")
    assert first.status == again.status == 201
    assert again.body["reference"] == first.body["reference"]
    assert len((await bank.state("cus_emma"))["disputes"]) == 2  # the seeded one and this one


async def test_a_replayed_wrong_code_counts_once(bank):
    subject = "telegram:replay"
    challenge_id = await bank.challenge(subject, phone="+14155550101")
    code = await bank.last_code(subject)
    for _ in range(3):
        answer = await bank.submit(challenge_id, wrong(code), key="verify-0001")
        assert (answer.code, answer.body["error"]["attempts_left"]) == ("otp_invalid", 2)
    assert (await bank.submit(challenge_id, code)).status == 200


@pytest.mark.parametrize(("path", "first", "second"), [
    ("/rewards/redemptions", {"option_id": "air_miles"}, {"option_id": "shopping_voucher"}),
    (f"{VISA}/disputes", {"transaction_id": "tx_emma_visa_03", "reason": "other"},
     {"transaction_id": "tx_emma_visa_02", "reason": "other"}),
])
async def test_the_same_key_with_another_body_is_a_conflict(bank, emma, path, first, second):
    answer = await bank.call("POST", path, token=emma, json=first, key="reused-key-01")
    assert answer.status == 201
    before = await bank.state("cus_emma")
    answer = await bank.call("POST", path, token=emma, json=second, key="reused-key-01")
    assert (answer.status, answer.code) == (409, "idempotency_conflict")
    assert await bank.state("cus_emma") == before


async def test_a_replayed_statement_copy_texts_one_link(bank, emma):
    cards = (await bank.state("cus_emma"))["cards"]
    month = next(c for c in cards if c["card_id"] == "card_emma_visa")["statement_date"][:7]
    first, again = [await bank.call("POST", f"{VISA}/statement-copies", token=emma,
                                    json={"month": month}, key="statement-copy-01")
                    for _ in range(2)]
    assert (first.status, again.status) == (202, 202) and again.body == first.body
    links = [m for m in await bank.outbox(subject_of("cus_emma")) if m["kind"] == "statement_link"]
    assert len(links) == 1 and len((await bank.state("cus_emma"))["statement_copies"]) == 1


async def test_an_oversized_body_is_refused_and_changes_nothing(bank, emma):
    before = await bank.state("cus_emma")
    answer = await bank.call("POST", f"{VISA}/statement-copies", token=emma,
                             json={"month": "2026-11", "pad": "x" * 2_000_000},
                             documented=False)  # aiohttp's 1 MiB cap, before any operation
    assert (answer.status, answer.code) == (413, "invalid_request")
    assert await bank.state("cus_emma") == before


async def test_the_same_key_on_another_card_is_a_conflict(bank, emma):
    assert (await bank.call("POST", f"{VISA}/freeze", token=emma, key="freeze-0002")).status == 200
    answer = await bank.call("POST", "/cards/card_emma_mc/freeze", token=emma, key="freeze-0002")
    assert (answer.status, answer.code) == (409, "idempotency_conflict")
    cards = {c["card_id"]: c["status"] for c in (await bank.state("cus_emma"))["cards"]}
    assert cards == {"card_emma_visa": "frozen", "card_emma_mc": "active"}


@pytest.mark.parametrize("token", [None, "made-up-token"])
async def test_a_used_key_without_a_valid_session_is_session_expired(bank, emma, token):
    assert (await bank.call("POST", f"{VISA}/freeze", token=emma, key="freeze-0003")).status == 200
    for key in ("freeze-0003", "freeze-0004"):  # neither a conflict nor a replay, nor stored
        answer = await bank.call("POST", f"{VISA}/freeze", token=token, key=key)
        assert (answer.status, answer.code) == (401, "session_expired")
    again = await bank.call("POST", f"{VISA}/freeze", token=emma, key="freeze-0004")
    assert (again.status, again.code) == (409, "already_in_state")


@pytest.mark.parametrize("key", [None, "", "short"])
async def test_a_write_without_a_proper_key_is_refused(bank, emma, key):
    answer = await bank.call("POST", "/rewards/redemptions", token=emma,
                             json={"option_id": "air_miles"}, key=key)
    assert (answer.status, answer.code) == (400, "idempotency_key_required")
    state = await bank.state("cus_emma")
    assert (state["reward_points"], state["redemptions"]) == (48200, [])


async def test_a_quote_is_a_read_and_needs_no_key(bank, emma):
    answer = await bank.call("POST", f"{VISA}/installments/quotes", token=emma, key=None,
                             json={"statement": True, "tenor_months": 6})
    assert answer.status == 200 and answer.body["tenor_months"] == 6


# request validation --------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body", "mentions"), [
    ("/identity/challenges", {"subject": "no colon", "phone": "+14155550101"}, "subject"),
    ("/identity/challenges", {"subject": "telegram:1", "phone": "call me"}, "phone"),
    ("/identity/challenges", {"subject": "telegram:1", "card_last4": "48211",
                              "date_of_birth": "1988-04-12"}, "card_last4"),
    ("/identity/challenges", {"subject": "telegram:1", "card_last4": "4821",
                              "date_of_birth": "1988-02-30"}, "date_of_birth"),
    ("/identity/challenges", {"subject": "telegram:1", "pin": "1234"}, "pin"),
    ("/identity/challenges", {"phone": "+14155550101"}, "subject"),
    ("/identity/challenges", ["telegram:1"], "body"),
    (f"{VISA}/disputes", {"transaction_id": "tx_emma_visa_02", "reason": "angry"}, "reason"),
    (f"{VISA}/disputes",
     {"transaction_id": "tx_emma_visa_02", "reason": "other", "note": "x" * 501}, "note"),
    (f"{VISA}/fraud-reports", {"transaction_ids": "tx_emma_visa_02"}, "transaction_ids"),
    (f"{VISA}/replacements", {}, "address_id"),
    (f"{VISA}/credit-limit/requests", {"kind": "forever", "new_limit": "9000"}, "kind"),
    (f"{VISA}/credit-limit/requests", {"kind": "permanent", "new_limit": "-9000"}, "new_limit"),
    (f"{VISA}/credit-limit/requests",
     {"kind": "temporary", "new_limit": "9000", "days": 91}, "days"),
    (f"{VISA}/installments", {"transaction_id": "", "statement": True, "tenor_months": 3},
     "transaction_id"),
    (f"{VISA}/statement-copies", {}, "month"),
    (f"{VISA}/statement-copies", {"month": 202611}, "month"),
    (f"{VISA}/statement-copies", {"month": "2026-11", "email": "x@example.com"}, "email"),
    ("/rewards/redemptions", {}, "option_id"),
    ("/repayment-plans", {"offer_id": 3}, "offer_id"),
])
async def test_invalid_bodies_are_invalid_requests(bank, emma, path, body, mentions):
    before = await bank.state("cus_emma")
    answer = await bank.call("POST", path, token=emma, json=body)
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert mentions in answer.body["error"]["message"]
    assert await bank.state("cus_emma") == before


async def test_an_invalid_autopay_mode_is_an_invalid_request(bank, emma):
    answer = await bank.call("PUT", f"{VISA}/autopay", token=emma,
                             json={"funding_account_id": "fa_emma", "mode": "everything"})
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert "mode" in answer.body["error"]["message"]


@pytest.mark.parametrize("data", [b"", b"{not json", b"\xff\xfe"])
async def test_a_body_that_is_not_json_is_an_invalid_request(bank, data):
    answer = await bank.call("POST", "/identity/challenges", data=data,
                             headers={"Content-Type": "application/json"})
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert answer.body["error"]["message"]


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", 123456])
async def test_a_malformed_code_is_an_invalid_request_and_not_a_wrong_guess(bank, code):
    subject = "telegram:malformed"
    challenge_id = await bank.challenge(subject, phone="+14155550101")
    answer = await bank.call("POST", f"/identity/challenges/{challenge_id}/verify",
                             json={"code": code})
    assert (answer.status, answer.code) == (400, "invalid_request")
    # Not counted as a guess: the first wrong code still leaves two attempts.
    answer = await bank.submit(challenge_id, wrong(await bank.last_code(subject)))
    assert answer.body["error"]["attempts_left"] == 2


async def test_the_contract_check_catches_answers_off_the_contract():
    # The harness itself: every other test relies on Bank.check failing loudly.
    Bank.check(Answer(200, {"cards": []}, {}, b'{"cards": []}'), "/cards", "GET")
    with pytest.raises(ContractViolation, match="status"):
        Bank.check(Answer(418, {"cards": []}, {}, b"{}"), "/cards", "GET")
    with pytest.raises(ContractViolation, match="brand"):
        card = {"card_id": "c", "last4": "1234", "brand": "diners", "product": "p",
                "status": "active", "currency": "USD"}
        Bank.check(Answer(200, {"cards": [card]}, {}, b"{}"), "/cards", "GET")
    with pytest.raises(ContractViolation, match="code"):
        Bank.check(Answer(409, {"error": {"code": "nope", "message": "m"}}, {}, b"{}"),
                   "/cards/{card_id}/freeze", "POST")


# faults --------------------------------------------------------------------------------------

async def add_fault(bank, **fault):
    answer = await bank.page("POST", "/sandbox/faults", json=fault)
    assert answer.status == 201, answer.body


async def test_an_injected_503_fails_the_next_calls_then_clears(bank, emma):
    await add_fault(bank, path="/v1/cards", count=2, status=503)
    for path in ("/cards", f"{VISA}/balance"):
        answer = await bank.call("GET", path, token=emma, documented=False)
        assert (answer.status, answer.code) == (503, "internal")
    assert (await bank.call("GET", "/profile", token=emma)).status == 200  # other paths unaffected
    assert (await bank.call("GET", "/cards", token=emma)).status == 200


async def test_a_write_that_meets_a_fault_changes_nothing(bank, emma):
    await add_fault(bank, path=f"/v1{VISA}/freeze", count=1, status=503)
    answer = await bank.call("POST", f"{VISA}/freeze", token=emma, key="freeze-fault-1",
                             documented=False)
    assert answer.status == 503
    cards = {c["card_id"]: c["status"] for c in (await bank.state("cus_emma"))["cards"]}
    assert cards["card_emma_visa"] == "active"
    # The retry with the same key does the write.
    retry = await bank.call("POST", f"{VISA}/freeze", token=emma, key="freeze-fault-1")
    assert (retry.status, retry.body["status"]) == (200, "frozen")


async def test_an_injected_delay_slows_the_next_call_only(bank, emma):
    await add_fault(bank, path="/v1/profile", count=1, delay_s=0.8)
    started = time.perf_counter()
    assert (await bank.call("GET", "/profile", token=emma)).status == 200
    assert time.perf_counter() - started >= 0.8
    started = time.perf_counter()
    assert (await bank.call("GET", "/profile", token=emma)).status == 200
    assert time.perf_counter() - started < 0.8  # not delayed again


async def test_deleting_faults_clears_them(bank, emma):
    await add_fault(bank, path="/v1", count=100, status=503)
    assert (await bank.call("GET", "/rewards", token=emma, documented=False)).status == 503
    assert (await bank.page("DELETE", "/sandbox/faults")).status == 204
    assert (await bank.call("GET", "/rewards", token=emma)).status == 200


@pytest.mark.parametrize("fault", [{}, {"path": "/v1", "count": "many"}])
async def test_a_malformed_fault_is_refused(bank, fault):
    answer = await bank.page("POST", "/sandbox/faults", json=fault)
    assert (answer.status, answer.body["error"]["code"]) == (400, "invalid_request")


# refusals the contract documents (``Bank.call`` fails on an undocumented status) -------------

async def test_an_invalid_lost_stolen_reason_is_a_documented_400(bank, emma):
    answer = await bank.call("POST", f"{VISA}/lost-stolen", token=emma,
                             json={"reason": "misplaced"})
    assert (answer.status, answer.code) == (400, "invalid_request")


async def test_a_card_action_without_a_key_is_a_documented_400(bank, emma):
    answer = await bank.call("POST", f"{VISA}/freeze", token=emma, key=None)
    assert (answer.status, answer.code) == (400, "idempotency_key_required")


async def test_unlink_without_a_key_is_a_documented_400(bank):
    answer = await bank.call("DELETE", f"/identity/links/{subject_of('cus_emma')}", key=None)
    assert (answer.status, answer.code) == (400, "idempotency_key_required")


async def test_a_reused_challenge_key_is_a_documented_409(bank):
    await bank.call("POST", "/identity/challenges", key="challenge-key-1",
                    json={"subject": "telegram:1", "phone": "+14155550101"})
    answer = await bank.call("POST", "/identity/challenges", key="challenge-key-1",
                             json={"subject": "telegram:2", "phone": "+14155550101"})
    assert (answer.status, answer.code) == (409, "idempotency_conflict")


async def test_cancelling_autopay_that_is_off_is_a_documented_409(bank, emma):
    answer = await bank.call("DELETE", f"{VISA}/autopay", token=emma)
    assert (answer.status, answer.code) == (409, "already_in_state")


async def test_autopay_on_a_blocked_card_is_a_documented_409(bank, emma):
    await bank.call("POST", f"{VISA}/lost-stolen", token=emma, json={"reason": "lost"})
    answer = await bank.call("PUT", f"{VISA}/autopay", token=emma,
                             json={"funding_account_id": "fa_emma", "mode": "full"})
    assert (answer.status, answer.code) == (409, "card_blocked")


async def test_a_limit_request_for_an_inactive_card_is_a_documented_409(bank):
    lan = await bank.login("cus_lan")
    answer = await bank.call("POST", "/cards/card_lan_new/credit-limit/requests", token=lan,
                             json={"kind": "permanent", "new_limit": "40000000"})
    assert (answer.status, answer.code) == (409, "card_not_active")


async def test_offers_without_a_card_id_are_a_documented_400(bank):
    khoa = await bank.login("cus_khoa")
    answer = await bank.call("GET", "/repayment-plans/offers", token=khoa)
    assert (answer.status, answer.code) == (400, "invalid_request")


async def test_a_method_a_path_does_not_take_is_405_with_allow(bank, emma):
    answer = await bank.call("PATCH", "/cards", token=emma, key=None, documented=False)
    assert (answer.status, answer.code) == (405, "invalid_request")
    assert "GET" in answer.headers["Allow"]

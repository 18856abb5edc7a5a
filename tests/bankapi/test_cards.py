"""Cards: ownership, freeze/unfreeze/activate, lost or stolen, replacement and delivery, fraud, PIN
reset, statement copies."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.sandbox import subject_of


def today() -> date:
    return datetime.now(timezone.utc).date()


async def card_status(bank, customer_id: str, card_id: str) -> str:
    cards = {c["card_id"]: c for c in (await bank.state(customer_id))["cards"]}
    return cards[card_id]["status"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/cards/card_emma_visa", None),
    ("GET", "/cards/card_emma_visa/balance", None),
    ("GET", "/cards/card_emma_visa/transactions", None),
    ("POST", "/cards/card_emma_visa/freeze", None),
    ("POST", "/cards/card_emma_visa/lost-stolen", {"reason": "lost"}),
    ("POST", "/cards/card_emma_visa/disputes",
     {"transaction_id": "tx_emma_visa_02", "reason": "other"}),
    ("GET", "/disputes/DSP-100001", None),
    ("GET", "/cards/no_such_card", None),
])
async def test_another_customers_card_is_not_found(bank, method, path, body):
    wang = await bank.login("cus_wang")
    answer = await bank.call(method, path, token=wang, json=body)
    assert (answer.status, answer.code) == (404, "not_found")
    assert await card_status(bank, "cus_emma", "card_emma_visa") == "active"
    assert len((await bank.state("cus_emma"))["disputes"]) == 1


async def test_freeze_and_unfreeze(bank, emma):
    path = "/cards/card_emma_visa"
    frozen = await bank.call("POST", f"{path}/freeze", token=emma)
    assert (frozen.status, frozen.body["status"]) == (200, "frozen")
    assert await card_status(bank, "cus_emma", "card_emma_visa") == "frozen"
    again = await bank.call("POST", f"{path}/freeze", token=emma)
    assert (again.status, again.code) == (409, "already_in_state")
    assert (await bank.call("GET", path, token=emma)).body["status"] == "frozen"
    thawed = await bank.call("POST", f"{path}/unfreeze", token=emma)
    assert (thawed.status, thawed.body["status"]) == (200, "active")
    again = await bank.call("POST", f"{path}/unfreeze", token=emma)
    assert (again.status, again.code) == (409, "already_in_state")
    # The other card was never touched.
    assert await card_status(bank, "cus_emma", "card_emma_mc") == "active"


async def test_a_new_card_is_activated_once(bank):
    lan = await bank.login("cus_lan")
    path = "/cards/card_lan_new"
    assert (await bank.call("GET", path, token=lan)).body["status"] == "inactive"
    answer = await bank.call("POST", f"{path}/freeze", token=lan)
    assert (answer.status, answer.code) == (409, "card_not_active")
    answer = await bank.call("POST", f"{path}/activate", token=lan)
    assert (answer.status, answer.body["status"]) == (200, "active")
    answer = await bank.call("POST", f"{path}/activate", token=lan)
    assert (answer.status, answer.code) == (409, "already_in_state")
    assert await card_status(bank, "cus_lan", "card_lan_new") == "active"


@pytest.mark.parametrize("reason", ["lost", "stolen"])
async def test_a_lost_or_stolen_card_is_blocked_for_good(bank, emma, reason):
    path = "/cards/card_emma_visa"
    answer = await bank.call("POST", f"{path}/lost-stolen", token=emma, json={"reason": reason})
    assert answer.status == 200
    assert (answer.body["status"], answer.body["block_reason"]) == ("blocked", reason)
    for action in ("freeze", "unfreeze", "activate", "pin-reset"):
        refused = await bank.call("POST", f"{path}/{action}", token=emma)
        assert (refused.status, refused.code) == (409, "card_blocked"), action
    again = await bank.call("POST", f"{path}/lost-stolen", token=emma, json={"reason": reason})
    assert (again.status, again.code) == (409, "already_in_state")
    assert await card_status(bank, "cus_emma", "card_emma_visa") == "blocked"


async def test_a_blocked_card_is_replaced_once(bank, emma):
    path = "/cards/card_emma_visa"
    await bank.call("POST", f"{path}/lost-stolen", token=emma, json={"reason": "lost"})
    before = today()
    order = await bank.call("POST", f"{path}/replacements", token=emma,
                            json={"address_id": "addr_emma_home"})
    assert order.status == 201
    new_card = order.body["new_card"]
    assert new_card["status"] == "inactive" and new_card["block_reason"] is None
    assert new_card["card_id"] != "card_emma_visa"
    assert (new_card["brand"], new_card["currency"]) == ("visa", "USD")
    assert re.fullmatch(r"\d{4}", new_card["last4"])
    assert order.body["address"]["address_id"] == "addr_emma_home"
    assert "San Francisco" in order.body["address"]["masked"]
    assert "221" not in order.body["address"]["masked"]  # house number hidden
    delivery = date.fromisoformat(order.body["estimated_delivery"])
    assert delivery in {before + timedelta(days=5), today() + timedelta(days=5)}

    old = await bank.call("GET", path, token=emma)
    assert old.body["replaced_by"] == new_card["card_id"]
    listed = await bank.call("GET", "/cards", token=emma)
    assert new_card["card_id"] in [c["card_id"] for c in listed.body["cards"]]

    second = await bank.call("POST", f"{path}/replacements", token=emma,
                             json={"address_id": "addr_emma_home"})
    assert (second.status, second.code) == (409, "already_in_state")
    state = await bank.state("cus_emma")
    assert len(state["replacement_orders"]) == 1
    assert len(state["cards"]) == 3

    activated = await bank.call("POST", f"/cards/{new_card['card_id']}/activate", token=emma)
    assert activated.body["status"] == "active"


async def test_only_a_blocked_card_is_replaced_and_only_to_own_address(bank, emma):
    path = "/cards/card_emma_visa"
    answer = await bank.call("POST", f"{path}/replacements", token=emma,
                             json={"address_id": "addr_emma_home"})
    assert (answer.status, answer.code) == (409, "card_not_active")
    await bank.call("POST", f"{path}/lost-stolen", token=emma, json={"reason": "stolen"})
    answer = await bank.call("POST", f"{path}/replacements", token=emma,
                             json={"address_id": "addr_wang_home"})
    assert (answer.status, answer.code) == (404, "not_found")
    state = await bank.state("cus_emma")
    assert state["replacement_orders"] == [] and len(state["cards"]) == 2


async def test_a_fraud_report_blocks_marks_and_leaves_the_charges_out_of_the_balance(bank, emma):
    path = "/cards/card_emma_visa"
    before = (await bank.call("GET", f"{path}/balance", token=emma)).body
    # Amazon 129.99 and Uber 23.10, both since the last statement.
    report = await bank.call("POST", f"{path}/fraud-reports", token=emma,
                             json={"transaction_ids": ["tx_emma_visa_02", "tx_emma_visa_03"],
                                   "note": "not me"})
    assert report.status == 201
    assert report.body["case_reference"]
    card = report.body["card"]
    assert (card["status"], card["block_reason"]) == ("blocked", "fraud")
    assert report.body["marked_transactions"] == ["tx_emma_visa_02", "tx_emma_visa_03"]

    listed = (await bank.call("GET", f"{path}/transactions", token=emma)).body["transactions"]
    fraud = {t["transaction_id"] for t in listed if t["fraud"]}
    assert fraud == {"tx_emma_visa_02", "tx_emma_visa_03"}

    after = (await bank.call("GET", f"{path}/balance", token=emma)).body
    removed = Decimal("129.99") + Decimal("23.10")
    assert Decimal(before["current_balance"]) - Decimal(after["current_balance"]) == removed
    assert Decimal(after["available_credit"]) - Decimal(before["available_credit"]) == removed
    assert after["statement_balance"] == before["statement_balance"]
    state = await bank.state("cus_emma")
    assert [c["case_reference"] for c in state["fraud_cases"]] == [report.body["case_reference"]]


async def test_a_fraud_report_naming_another_cards_charge_changes_nothing(bank, emma):
    answer = await bank.call("POST", "/cards/card_emma_visa/fraud-reports", token=emma,
                             json={"transaction_ids": ["tx_emma_visa_02", "tx_emma_mc_01"]})
    assert (answer.status, answer.code) == (404, "not_found")
    state = await bank.state("cus_emma")
    assert state["fraud_cases"] == []
    assert not any(t["fraud"] for t in state["transactions"])
    assert await card_status(bank, "cus_emma", "card_emma_visa") == "active"


async def test_pin_reset_texts_a_link_not_a_pin(bank, emma):
    answer = await bank.call("POST", "/cards/card_emma_visa/pin-reset", token=emma)
    assert answer.status == 202
    reference = answer.body["reset_reference"]
    assert answer.body["sent_to"].endswith("0101") and "4155550101" not in answer.body["sent_to"]
    message = (await bank.outbox(subject_of("cus_emma")))[0]
    assert message["kind"] == "pin_link"
    assert re.search(r"https://\S+" + re.escape(reference), message["body"])
    # The only short number in the text is the card's last 4 digits: no PIN travels.
    assert re.findall(r"(?<![\w-])\d{4,6}(?![\w-])", message["body"]) == ["4821"]
    resets = (await bank.state("cus_emma"))["pin_resets"]
    assert [p["reset_reference"] for p in resets] == [reference]


async def test_pin_reset_needs_an_active_card(bank):
    lan = await bank.login("cus_lan")
    answer = await bank.call("POST", "/cards/card_lan_new/pin-reset", token=lan)
    assert (answer.status, answer.code) == (409, "card_not_active")
    assert [m["kind"] for m in await bank.outbox(subject_of("cus_lan"))] == ["otp"]


async def test_a_replacement_shows_in_deliveries_until_it_arrives(bank, emma):
    nothing = await bank.call("GET", "/card-deliveries", token=emma)
    assert (nothing.status, nothing.body) == (200, {"deliveries": []})
    path = "/cards/card_emma_visa"
    await bank.call("POST", f"{path}/lost-stolen", token=emma, json={"reason": "stolen"})
    order = await bank.call("POST", f"{path}/replacements", token=emma,
                            json={"address_id": "addr_emma_home"})
    listed = await bank.call("GET", "/card-deliveries", token=emma)
    [delivery] = listed.body["deliveries"]
    assert delivery["order_reference"] == order.body["order_reference"]
    assert delivery["card"]["card_id"] == order.body["new_card"]["card_id"]
    assert (delivery["kind"], delivery["status"], delivery["delivered_on"]) == (
        "replacement", "in_production", None)
    assert delivery["estimated_delivery"] == order.body["estimated_delivery"]
    assert "221" not in delivery["address"]["masked"]


async def test_deliveries_are_the_callers_own(bank):
    lan = await bank.login("cus_lan")
    [delivery] = (await bank.call("GET", "/card-deliveries", token=lan)).body["deliveries"]
    assert (delivery["card"]["card_id"], delivery["kind"], delivery["status"]) == (
        "card_lan_new", "new", "delivered")
    assert delivery["delivered_on"] == (today() - timedelta(days=3)).isoformat()
    wang = await bank.login("cus_wang")
    assert (await bank.call("GET", "/card-deliveries", token=wang)).body["deliveries"] == []
    anonymous = await bank.call("GET", "/card-deliveries")
    assert anonymous.status == 401


def test_delivery_status_follows_the_calendar():
    from types import SimpleNamespace

    from bankapi.sandbox.cards import delivery_status

    ordered = date(2026, 3, 2)
    row = SimpleNamespace(ordered_on=ordered, estimated_delivery=ordered + timedelta(days=5),
                          returned_on=None)
    assert delivery_status(row, ordered) == ("in_production", None)
    assert delivery_status(row, ordered + timedelta(days=1)) == ("dispatched", None)
    arrived = ordered + timedelta(days=5)
    assert delivery_status(row, arrived) == ("delivered", arrived)
    returned = SimpleNamespace(**{**vars(row), "returned_on": ordered + timedelta(days=4)})
    assert delivery_status(returned, ordered + timedelta(days=9)) == ("returned", None)


async def test_a_statement_copy_is_a_texted_link(bank, emma):
    state = await bank.state("cus_emma")
    issued = date.fromisoformat(
        next(c for c in state["cards"] if c["card_id"] == "card_emma_visa")["statement_date"])
    month = f"{issued.year:04d}-{issued.month:02d}"
    answer = await bank.call("POST", "/cards/card_emma_visa/statement-copies", token=emma,
                             json={"month": month})
    assert answer.status == 202
    assert (answer.body["month"], answer.body["statement_date"]) == (month, issued.isoformat())
    assert re.fullmatch(r"•••• \d{4}", answer.body["sent_to"])
    [message] = [m for m in await bank.outbox(subject_of("cus_emma"))
                 if m["kind"] == "statement_link"]
    assert answer.body["reference"] in message["body"] and "4821" in message["body"]
    copies = (await bank.state("cus_emma"))["statement_copies"]
    assert [(c["reference"], c["month"]) for c in copies] == [(answer.body["reference"], month)]


@pytest.mark.parametrize(("card", "month", "status", "code"), [
    ("card_emma_visa", "2099-01", 404, "statement_not_found"),  # not issued yet
    ("card_emma_visa", "2001-01", 404, "statement_not_found"),  # older than kept
    ("card_emma_visa", "2026-13", 400, "invalid_request"),
    ("card_emma_visa", "last month", 400, "invalid_request"),
    ("card_wang_up", "2026-01", 404, "not_found"),  # another customer's card
])
async def test_a_statement_copy_only_of_an_issued_statement_of_ones_own_card(
        bank, emma, card, month, status, code):
    answer = await bank.call("POST", f"/cards/{card}/statement-copies", token=emma,
                             json={"month": month})
    assert (answer.status, answer.code) == (status, code)
    assert (await bank.state("cus_emma"))["statement_copies"] == []
    assert [m["kind"] for m in await bank.outbox(subject_of("cus_emma"))] == ["otp"]


async def test_a_card_never_used_has_no_statement(bank):
    lan = await bank.login("cus_lan")
    month = today().strftime("%Y-%m")
    answer = await bank.call("POST", "/cards/card_lan_new/statement-copies", token=lan,
                             json={"month": month})
    assert (answer.status, answer.code) == (404, "statement_not_found")

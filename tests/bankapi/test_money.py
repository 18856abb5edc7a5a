"""Disputes, installments, credit limits, autopay, rewards and repayment plans."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest

VISA = "/cards/card_emma_visa"


def today() -> date:
    return datetime.now(timezone.utc).date()


# disputes ------------------------------------------------------------------------------------

async def test_a_dispute_is_opened_listed_and_found_by_reference(bank, emma):
    before = today()
    created = await bank.call("POST", f"{VISA}/disputes", token=emma, json={
        "transaction_id": "tx_emma_visa_04", "reason": "wrong_amount",
        "note": "charged twice the price"})
    assert created.status == 201
    dispute = created.body
    assert re.fullmatch(r"DSP-\d{6}", dispute["reference"])
    assert (dispute["transaction_id"], dispute["merchant"], dispute["amount"],
            dispute["currency"]) == ("tx_emma_visa_04", "Whole Foods", "86.32", "USD")
    assert (dispute["reason"], dispute["status"]) == ("wrong_amount", "open")
    assert date.fromisoformat(dispute["opened_on"]) in {before, today()}

    listed = (await bank.call("GET", "/disputes", token=emma)).body["disputes"]
    assert [d["reference"] for d in listed] == [dispute["reference"], "DSP-100001"]
    assert listed[0] == dispute
    found = await bank.call("GET", f"/disputes/{dispute['reference']}", token=emma)
    assert found.body == dispute
    rows = await bank.call("GET", f"{VISA}/transactions", token=emma,
                           params={"merchant": "whole foods"})
    assert [t["disputed"] for t in rows.body["transactions"]] == [True]


@pytest.mark.parametrize("transaction_id", ["tx_emma_visa_06", "tx_emma_visa_05"])
async def test_disputing_a_disputed_charge_is_refused(bank, emma, transaction_id):
    body = {"transaction_id": transaction_id, "reason": "duplicate"}
    if transaction_id != "tx_emma_visa_06":  # the seed's dispute covers _06 already
        assert (await bank.call("POST", f"{VISA}/disputes", token=emma, json=body)).status == 201
    answer = await bank.call("POST", f"{VISA}/disputes", token=emma, json=body)
    assert (answer.status, answer.code) == (409, "already_in_state")
    disputes = (await bank.state("cus_emma"))["disputes"]
    assert [d["transaction_id"] for d in disputes].count(transaction_id) == 1


async def test_disputes_of_unknown_or_fraudulent_charges_are_refused(bank, emma):
    answer = await bank.call("POST", f"{VISA}/disputes", token=emma,
                             json={"transaction_id": "tx_emma_mc_01", "reason": "other"})
    assert (answer.status, answer.code) == (404, "not_found")  # Emma's, but not on this card
    await bank.call("POST", f"{VISA}/fraud-reports", token=emma,
                    json={"transaction_ids": ["tx_emma_visa_03"]})
    answer = await bank.call("POST", f"{VISA}/disputes", token=emma,
                             json={"transaction_id": "tx_emma_visa_03", "reason": "other"})
    assert (answer.status, answer.code) == (409, "not_eligible")
    assert len((await bank.state("cus_emma"))["disputes"]) == 1
    answer = await bank.call("GET", "/disputes/DSP-999999", token=emma)
    assert (answer.status, answer.code) == (404, "not_found")


# installments --------------------------------------------------------------------------------

async def test_eligible_items_are_recent_large_undisputed_purchases_and_the_statement(bank, emma):
    items = (await bank.call("GET", f"{VISA}/installments/eligible", token=emma)).body["items"]
    purchases = {i["transaction_id"]: i["amount"] for i in items if i["kind"] == "transaction"}
    # Amazon, Apple, Delta, Best Buy: at least 100 USD, posted, within 60 days.
    assert purchases == {"tx_emma_visa_02": "129.99", "tx_emma_visa_07": "1299.00",
                         "tx_emma_visa_09": "642.80", "tx_emma_visa_12": "499.99"}
    [statement] = [i for i in items if i["kind"] == "statement"]
    balance = (await bank.call("GET", f"{VISA}/balance", token=emma)).body
    assert statement["amount"] == balance["statement_balance"]
    assert all(i["tenors"] == [3, 6, 12, 24] for i in items)


@pytest.mark.parametrize(("tenor", "apr"),
                         [(3, "9.00"), (6, "10.29"), (12, "11.08"), (24, "11.52")])
async def test_the_plan_has_the_quotes_fee_and_apr(bank, emma, tenor, apr):
    source = {"transaction_id": "tx_emma_visa_07", "tenor_months": tenor}  # Apple, 1299.00
    quote = await bank.call("POST", f"{VISA}/installments/quotes", token=emma, json=source)
    assert quote.status == 200
    rate = {3: Decimal("0.015"), 6: Decimal("0.03"), 12: Decimal("0.06"),
            24: Decimal("0.12")}[tenor]
    fee = (Decimal("1299.00") * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (quote.body["principal"], quote.body["fee"], quote.body["apr"]) == (
        "1299.00", str(fee), apr)
    assert Decimal(quote.body["total"]) == Decimal("1299.00") + fee
    assert Decimal(quote.body["monthly_amount"]) * tenor >= Decimal(quote.body["total"])
    assert (await bank.state("cus_emma"))["installment_plans"] == []  # a quote changes nothing

    plan = await bank.call("POST", f"{VISA}/installments", token=emma, json=source)
    assert plan.status == 201
    assert {k: plan.body[k] for k in quote.body} == quote.body
    assert plan.body["source"] == "tx_emma_visa_07"
    listed = (await bank.call("GET", f"{VISA}/installments", token=emma)).body["plans"]
    assert listed == [plan.body]


async def test_a_purchase_is_split_once_whatever_the_idempotency_key(bank, emma):
    source = {"transaction_id": "tx_emma_visa_09", "tenor_months": 6}
    first = await bank.call("POST", f"{VISA}/installments", token=emma, json=source,
                            key="plan-key-0001")
    assert first.status == 201
    second = await bank.call("POST", f"{VISA}/installments", token=emma, json=source,
                             key="plan-key-0002")
    assert second.status == 409
    assert second.code in {"already_in_state", "not_eligible"}
    plans = (await bank.state("cus_emma"))["installment_plans"]
    assert [p["reference"] for p in plans] == [first.body["reference"]]
    rows = await bank.call("GET", f"{VISA}/transactions", token=emma, params={"merchant": "delta"})
    assert rows.body["transactions"][0]["installment_plan"] == first.body["reference"]
    items = (await bank.call("GET", f"{VISA}/installments/eligible", token=emma)).body["items"]
    assert "tx_emma_visa_09" not in [i.get("transaction_id") for i in items]


async def test_the_statement_is_split_once(bank, emma):
    plan = await bank.call("POST", f"{VISA}/installments", token=emma,
                           json={"statement": True, "tenor_months": 12})
    assert (plan.status, plan.body["source"]) == (201, "statement")
    balance = (await bank.call("GET", f"{VISA}/balance", token=emma)).body
    assert plan.body["principal"] == balance["statement_balance"]
    items = (await bank.call("GET", f"{VISA}/installments/eligible", token=emma)).body["items"]
    assert "statement" not in [i["kind"] for i in items]
    again = await bank.call("POST", f"{VISA}/installments", token=emma,
                            json={"statement": True, "tenor_months": 3})
    assert (again.status, again.code) == (409, "already_in_state")
    assert len((await bank.state("cus_emma"))["installment_plans"]) == 1


@pytest.mark.parametrize(("customer_id", "path", "source", "status", "code"), [
    ("cus_emma", VISA, {"transaction_id": "tx_emma_visa_08", "tenor_months": 3},
     409, "not_eligible"),
    ("cus_emma", VISA, {"transaction_id": "tx_emma_visa_06", "tenor_months": 3},
     409, "not_eligible"),
    ("cus_emma", VISA, {"transaction_id": "tx_nope", "tenor_months": 3}, 404, "not_found"),
    ("cus_emma", VISA, {"transaction_id": "tx_emma_visa_07", "statement": True, "tenor_months": 3},
     400, "invalid_request"),
    ("cus_emma", VISA, {"tenor_months": 3}, 400, "invalid_request"),
    ("cus_emma", VISA, {"transaction_id": "tx_emma_visa_07", "tenor_months": 9},
     400, "invalid_request"),
    ("cus_khoa", "/cards/card_khoa_mc", {"statement": True, "tenor_months": 6},
     409, "not_eligible"),
    ("cus_lan", "/cards/card_lan_new", {"statement": True, "tenor_months": 6},
     409, "card_not_active"),
])
async def test_what_cannot_be_split_is_refused(bank, customer_id, path, source, status, code):
    token = await bank.login(customer_id)
    for operation in ("installments/quotes", "installments"):
        answer = await bank.call("POST", f"{path}/{operation}", token=token, json=source)
        assert (answer.status, answer.code) == (status, code), operation
    assert (await bank.state(customer_id))["installment_plans"] == []


# credit limit --------------------------------------------------------------------------------

async def test_the_credit_limit_starts_as_seeded(bank, emma):
    limits = (await bank.call("GET", f"{VISA}/credit-limit", token=emma)).body
    assert (limits["credit_limit"], limits["max_permanent_limit"], limits["currency"]) == (
        "8000.00", "16000.00", "USD")
    assert limits["temporary_limit"] is None and limits["temporary_until"] is None


@pytest.mark.parametrize(("new_limit", "status", "limit_after"), [
    ("12000", "approved", "12000.00"),
    ("16000.00", "approved", "16000.00"),  # exactly the most the bank approves
    ("16000.01", "declined", "8000.00"),
    ("20000", "declined", "8000.00"),
])
async def test_a_permanent_increase_is_approved_up_to_the_maximum(bank, emma, new_limit, status,
                                                                  limit_after):
    answer = await bank.call("POST", f"{VISA}/credit-limit/requests", token=emma,
                             json={"kind": "permanent", "new_limit": new_limit})
    assert answer.status == 201
    assert (answer.body["kind"], answer.body["status"], answer.body["until"]) == (
        "permanent", status, None)
    assert Decimal(answer.body["requested_limit"]) == Decimal(new_limit)
    limits = (await bank.call("GET", f"{VISA}/credit-limit", token=emma)).body
    assert limits["credit_limit"] == limit_after
    balance = (await bank.call("GET", f"{VISA}/balance", token=emma)).body
    assert balance["credit_limit"] == limit_after
    requests = (await bank.state("cus_emma"))["limit_requests"]
    assert [(r["kind"], r["status"]) for r in requests] == [("permanent", status)]


async def test_a_temporary_increase_runs_for_its_days(bank, emma):
    before = today()
    answer = await bank.call("POST", f"{VISA}/credit-limit/requests", token=emma,
                             json={"kind": "temporary", "new_limit": "11000", "days": 10})
    assert (answer.status, answer.body["status"]) == (201, "approved")
    until = date.fromisoformat(answer.body["until"])
    assert until in {before + timedelta(days=10), today() + timedelta(days=10)}
    limits = (await bank.call("GET", f"{VISA}/credit-limit", token=emma)).body
    assert limits["credit_limit"] == "8000.00"
    assert (limits["temporary_limit"], limits["temporary_until"]) == (
        "11000.00", answer.body["until"])
    balance = (await bank.call("GET", f"{VISA}/balance", token=emma)).body
    assert balance["credit_limit"] == "11000.00"
    available = Decimal("11000") - Decimal(balance["current_balance"])
    assert Decimal(balance["available_credit"]) == available


async def test_a_temporary_increase_above_half_again_is_declined(bank, emma):
    answer = await bank.call("POST", f"{VISA}/credit-limit/requests", token=emma,
                             json={"kind": "temporary", "new_limit": "12000.01", "days": 5})
    assert (answer.status, answer.body["status"], answer.body["until"]) == (201, "declined", None)
    limits = (await bank.call("GET", f"{VISA}/credit-limit", token=emma)).body
    assert limits["temporary_limit"] is None


@pytest.mark.parametrize("new_limit", ["8000", "5000.50", "0"])
async def test_a_request_must_be_above_the_current_limit(bank, emma, new_limit):
    answer = await bank.call("POST", f"{VISA}/credit-limit/requests", token=emma,
                             json={"kind": "permanent", "new_limit": new_limit})
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert (await bank.state("cus_emma"))["limit_requests"] == []


# autopay -------------------------------------------------------------------------------------

async def test_autopay_is_set_changed_and_cancelled(bank, emma):
    path = f"{VISA}/autopay"
    assert (await bank.call("GET", path, token=emma)).body == {
        "enabled": False, "mode": None, "funding_account": None}
    answer = await bank.call("PUT", path, token=emma,
                             json={"funding_account_id": "fa_emma", "mode": "full"})
    assert (answer.status, answer.body["enabled"], answer.body["mode"]) == (200, True, "full")
    assert answer.body["funding_account"]["funding_account_id"] == "fa_emma"
    assert answer.body["funding_account"]["masked_number"].endswith("6789")
    assert (await bank.call("GET", path, token=emma)).body == answer.body
    changed = await bank.call("PUT", path, token=emma,
                              json={"funding_account_id": "fa_emma", "mode": "minimum"})
    assert changed.body["mode"] == "minimum"
    cards = {c["card_id"]: c for c in (await bank.state("cus_emma"))["cards"]}
    visa = cards["card_emma_visa"]
    assert (visa["autopay_account"], visa["autopay_mode"]) == ("fa_emma", "minimum")
    assert cards["card_emma_mc"]["autopay_account"] is None
    cancelled = await bank.call("DELETE", path, token=emma)
    assert (cancelled.status, cancelled.body["enabled"]) == (200, False)
    assert (await bank.call("GET", path, token=emma)).body["enabled"] is False


async def test_autopay_only_from_own_funding_accounts(bank, emma):
    answer = await bank.call("PUT", f"{VISA}/autopay", token=emma,
                             json={"funding_account_id": "fa_wang", "mode": "full"})
    assert (answer.status, answer.code) == (404, "not_found")
    assert (await bank.call("GET", f"{VISA}/autopay", token=emma)).body["enabled"] is False


# rewards -------------------------------------------------------------------------------------

async def test_points_are_redeemed_until_they_run_out(bank, emma):
    assert (await bank.call("GET", "/rewards", token=emma)).body["points"] == 48200
    for points_left in (28200, 8200):
        answer = await bank.call("POST", "/rewards/redemptions", token=emma,
                                 json={"option_id": "shopping_voucher"})
        assert answer.status == 201
        assert (answer.body["option_id"], answer.body["points_used"],
                answer.body["points_left"]) == ("shopping_voucher", 20000, points_left)
    refused = await bank.call("POST", "/rewards/redemptions", token=emma,
                              json={"option_id": "shopping_voucher"})
    assert (refused.status, refused.code) == (409, "insufficient_points")
    assert (await bank.call("GET", "/rewards", token=emma)).body["points"] == 8200
    state = await bank.state("cus_emma")
    assert state["reward_points"] == 8200 and len(state["redemptions"]) == 2


async def test_too_few_points_and_unknown_options_change_nothing(bank):
    khoa = await bank.login("cus_khoa")  # 2,300 points
    answer = await bank.call("POST", "/rewards/redemptions", token=khoa,
                             json={"option_id": "statement_credit"})
    assert (answer.status, answer.code) == (409, "insufficient_points")
    answer = await bank.call("POST", "/rewards/redemptions", token=khoa,
                             json={"option_id": "yacht"})
    assert (answer.status, answer.code) == (404, "not_found")
    state = await bank.state("cus_khoa")
    assert (state["reward_points"], state["redemptions"]) == (2300, [])


# repayment plans -----------------------------------------------------------------------------

async def khoa_offers(bank, token):
    answer = await bank.call("GET", "/repayment-plans/offers", token=token,
                             params={"card_id": "card_khoa_mc"})
    assert answer.status == 200
    return answer.body


async def test_an_overdue_account_gets_repayment_offers(bank):
    offers = await khoa_offers(bank, await bank.login("cus_khoa"))
    assert (offers["overdue_amount"], offers["currency"], offers["days_past_due"]) == (
        "12500000.00", "VND", 45)
    assert [o["months"] for o in offers["offers"]] == [3, 6, 12]
    interest_free = offers["offers"][0]
    assert (interest_free["total"], Decimal(interest_free["apr"])) == ("12500000.00", 0)
    for offer in offers["offers"]:
        assert Decimal(offer["total"]) >= Decimal("12500000")
        assert Decimal(offer["monthly_amount"]) * offer["months"] >= Decimal(offer["total"])


@pytest.mark.parametrize(("customer_id", "card_id"), [
    ("cus_emma", "card_emma_visa"), ("cus_wang", "card_wang_up"), ("cus_chen", "card_chen_visa"),
    ("cus_wong", "card_wong_mc"), ("cus_lan", "card_lan_visa"),
])
async def test_an_account_in_order_gets_no_offers(bank, customer_id, card_id):
    token = await bank.login(customer_id)
    answer = await bank.call("GET", "/repayment-plans/offers", token=token,
                             params={"card_id": card_id})
    assert (answer.body["overdue_amount"], answer.body["days_past_due"],
            answer.body["offers"]) == ("0.00", 0, [])
    accept = await bank.call("POST", "/repayment-plans", token=token,
                             json={"offer_id": f"{card_id}.3"})
    assert (accept.status, accept.code) == (409, "not_overdue")


async def test_an_offer_is_accepted_once(bank):
    khoa = await bank.login("cus_khoa")
    offer = (await khoa_offers(bank, khoa))["offers"][1]
    before = today()
    plan = await bank.call("POST", "/repayment-plans", token=khoa,
                           json={"offer_id": offer["offer_id"]})
    assert plan.status == 201
    assert (plan.body["offer_id"], plan.body["months"], plan.body["monthly_amount"],
            plan.body["currency"]) == (offer["offer_id"], 6, offer["monthly_amount"], "VND")
    first_due = date.fromisoformat(plan.body["first_due_date"])
    assert first_due in {before + timedelta(days=30), today() + timedelta(days=30)}
    other = (await khoa_offers(bank, khoa))["offers"][2]
    again = await bank.call("POST", "/repayment-plans", token=khoa,
                            json={"offer_id": other["offer_id"]})
    assert (again.status, again.code) == (409, "already_in_state")
    plans = (await bank.state("cus_khoa"))["repayment_plans"]
    assert [(p["reference"], p["months"]) for p in plans] == [(plan.body["reference"], 6)]


@pytest.mark.parametrize("offer_id",
                         ["card_khoa_mc.7", "card_emma_visa.3", "nodot", "", "card_khoa_mc."])
async def test_unknown_offers_are_not_found(bank, offer_id):
    khoa = await bank.login("cus_khoa")
    answer = await bank.call("POST", "/repayment-plans", token=khoa, json={"offer_id": offer_id})
    assert (answer.status, answer.code) == (404, "not_found")
    assert (await bank.state("cus_khoa"))["repayment_plans"] == []

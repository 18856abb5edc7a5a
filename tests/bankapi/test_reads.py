"""Every read of every demo cardholder matches the contract; transaction filters find their rows.

``Bank.call`` validates each answer against ``openapi.yaml``; the asserts here add what a schema
cannot say (whose data it is, and what the filters leave out).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.sandbox import CUSTOMERS

CURRENCY = {"cus_emma": "USD", "cus_wang": "CNY", "cus_chen": "TWD", "cus_wong": "HKD",
            "cus_lan": "VND", "cus_khoa": "VND"}
CARD_READS = ("", "/balance", "/transactions", "/payments", "/autopay", "/installments",
              "/installments/eligible", "/credit-limit")


@pytest.mark.parametrize("customer_id", sorted(CUSTOMERS))
async def test_every_read_of_every_demo_customer_matches_the_contract(bank, customer_id):
    token = await bank.login(customer_id)
    seeded = CUSTOMERS[customer_id]
    profile = (await bank.call("GET", "/profile", token=token)).body
    assert profile["first_name"] == seeded.first_name
    assert profile["language"] == seeded.language
    accounts = [a["funding_account_id"] for a in profile["funding_accounts"]]
    assert accounts == [f"fa_{customer_id[4:]}"]
    assert all(a["masked_number"].endswith(seeded.funding_number[-4:])
               and seeded.funding_number not in a["masked_number"]
               for a in profile["funding_accounts"])

    cards = (await bank.call("GET", "/cards", token=token)).body["cards"]
    assert sorted(c["card_id"] for c in cards) == sorted(c.card_id for c in seeded.cards)
    for card in cards:
        assert card["currency"] == CURRENCY[customer_id]
        for read in CARD_READS:
            answer = await bank.call("GET", f"/cards/{card['card_id']}{read}", token=token)
            assert answer.status == 200, (read, answer.body)
        offers = await bank.call("GET", "/repayment-plans/offers", token=token,
                                 params={"card_id": card["card_id"]})
        assert offers.body["currency"] == CURRENCY[customer_id]

    rewards = (await bank.call("GET", "/rewards", token=token)).body
    assert rewards["points"] == seeded.points
    disputes = (await bank.call("GET", "/disputes", token=token)).body["disputes"]
    expected = ["DSP-100001"] if customer_id == "cus_emma" else []
    assert [d["reference"] for d in disputes] == expected
    for dispute in disputes:
        found = await bank.call("GET", f"/disputes/{dispute['reference']}", token=token)
        assert found.body == dispute


async def test_the_seeded_dispute_is_emmas_second_netflix_charge(bank, emma):
    dispute = (await bank.call("GET", "/disputes/DSP-100001", token=emma)).body
    assert (dispute["transaction_id"], dispute["merchant"], dispute["amount"]) == (
        "tx_emma_visa_06", "Netflix", "15.49")
    assert (dispute["reason"], dispute["status"], dispute["currency"]) == (
        "duplicate", "investigating", "USD")


@pytest.mark.parametrize("language", ["en", "zh-Hans", "zh-Hant", "vi"])
async def test_bank_texts_follow_accept_language(bank, emma, language):
    rewards = await bank.call("GET", "/rewards", token=emma, headers={"Accept-Language": language})
    english = await bank.call("GET", "/rewards", token=emma)
    same = [a["description"] == b["description"]
            for a, b in zip(rewards.body["options"], english.body["options"], strict=True)]
    assert all(same) if language == "en" else not any(same)


async def transactions(bank, token, card_id, **params):
    answer = await bank.call("GET", f"/cards/{card_id}/transactions", token=token, params=params)
    assert answer.status == 200, answer.body
    return answer.body["transactions"]


async def test_transactions_are_newest_first(bank, emma):
    listed = await transactions(bank, emma, "card_emma_visa")
    assert len(listed) == 12
    days = [t["posted_on"] for t in listed]
    assert days == sorted(days, reverse=True)
    assert listed[0]["merchant"] == "Starbucks" and listed[0]["status"] == "pending"


async def test_from_and_to_are_inclusive(bank, emma):
    everything = await transactions(bank, emma, "card_emma_visa")
    days = sorted({t["posted_on"] for t in everything})
    start, end = days[1], days[3]
    window = await transactions(bank, emma, "card_emma_visa", **{"from": start, "to": end})
    assert window and {t["posted_on"] for t in window} == {start, days[2], end}
    assert [t for t in everything if start <= t["posted_on"] <= end] == window
    assert await transactions(bank, emma, "card_emma_visa", to=days[0]) == [
        t for t in everything if t["posted_on"] == days[0]]


@pytest.mark.parametrize(("customer_id", "card_id", "merchant", "expected"), [
    ("cus_emma", "card_emma_visa", "netflix", ["Netflix", "Netflix"]),
    ("cus_emma", "card_emma_visa", "NETFLIX", ["Netflix", "Netflix"]),
    ("cus_lan", "card_lan_visa", "điện máy", ["Điện máy Xanh"]),
    ("cus_lan", "card_lan_visa", "ĐIỆN MÁY", ["Điện máy Xanh"]),
    ("cus_wong", "card_wong_mc", "hktvmall", ["HKTVmall"]),
    ("cus_wong", "card_wong_mc", "HKTVMALL", ["HKTVmall"]),
    ("cus_wong", "card_wong_mc", "大家樂", ["大家樂"]),
    ("cus_wang", "card_wang_up", "京东", ["京东"]),
    ("cus_emma", "card_emma_visa", "no such shop", []),
])
async def test_merchant_filter_is_a_case_insensitive_substring(bank, customer_id, card_id,
                                                              merchant, expected):
    token = await bank.login(customer_id)
    found = await transactions(bank, token, card_id, merchant=merchant)
    assert [t["merchant"] for t in found] == expected


@pytest.mark.parametrize(("amount", "expected"), [
    ("15.49", ["Netflix", "Netflix"]), ("1299", ["Apple"]), ("1299.0", ["Apple"]),
    ("129.99", ["Amazon"]), ("15.5", []), ("0", []), ("1.549", None), ("1e3", None),
])
async def test_amount_filter_is_exact(bank, emma, amount, expected):
    answer = await bank.call("GET", "/cards/card_emma_visa/transactions", token=emma,
                             params={"amount": amount})
    if expected is None:  # a third decimal is no amount of money
        assert (answer.status, answer.code) == (400, "invalid_request")
        return
    found = answer.body["transactions"]
    assert [t["merchant"] for t in found] == expected
    assert all(Decimal(t["amount"]) == Decimal(amount) for t in found)


async def test_filters_combine(bank):
    lan = await bank.login("cus_lan")
    everything = await transactions(bank, lan, "card_lan_visa")
    grab = [t for t in everything if t["merchant"] == "Grab"]
    found = await transactions(bank, lan, "card_lan_visa", merchant="grab", amount="86000",
                               **{"from": grab[0]["posted_on"], "to": grab[0]["posted_on"]})
    assert found == grab
    assert await transactions(bank, lan, "card_lan_visa", merchant="grab", amount="86001") == []


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"to": "2024-13-01"},
                                    {"amount": "abc"}, {"limit": "0"}, {"limit": "many"},
                                    {"limit": " 5"}, {"merchant": "x" * 65}])
async def test_bad_filters_are_invalid_requests(bank, emma, params):
    answer = await bank.call("GET", "/cards/card_emma_visa/transactions", token=emma, params=params)
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert answer.body["error"]["message"]


async def test_limit_caps_the_list(bank, emma):
    found = await transactions(bank, emma, "card_emma_visa", limit="3")
    assert [t["merchant"] for t in found] == ["Starbucks", "Amazon", "Uber"]
    assert all(date.fromisoformat(t["posted_on"]) for t in found)

"""The bank client against the sandbox: typed answers, error mapping, retries, idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.bank import BankClient, BankRefused, BankSettings, BankUnavailable, SessionExpired
from tests.sandbox import API_KEY, CUSTOMERS, Bank


async def token_for(bank: Bank, customer_id: str) -> str:
    return await bank.verify(f"telegram:{customer_id}", phone="+" + CUSTOMERS[customer_id].phone)


async def test_answers_are_typed(bank: Bank, client: BankClient):
    token = await token_for(bank, "cus_emma")
    balance = await client.balance(token, "card_emma_visa")
    assert balance.currency == "USD" and isinstance(balance.available_credit, Decimal)
    transactions = await client.transactions(token, "card_emma_visa", merchant="netflix")
    assert [t.merchant for t in transactions] == ["Netflix", "Netflix"]


async def test_refusals_carry_the_contract_code(bank: Bank, client: BankClient):
    token = await token_for(bank, "cus_emma")
    with pytest.raises(BankRefused) as refused:
        await client.freeze(token, "card_wang_up", key="k" * 16)  # someone else's card
    assert (refused.value.status, refused.value.code) == (404, "not_found")
    with pytest.raises(SessionExpired):
        await client.cards("no-such-session")


async def test_wrong_api_key_is_a_refusal_not_an_outage(bank: Bank):
    client = BankClient(BankSettings(base_url=bank.base_url, api_key="wrong"))
    try:
        with pytest.raises(BankRefused) as refused:
            await client.cards("whatever")
        assert refused.value.code == "unauthorized"
    finally:
        await client.close()


async def test_reads_are_retried_through_a_short_outage(bank: Bank, client: BankClient):
    token = await token_for(bank, "cus_lan")
    await bank.page("POST", "/sandbox/faults", json={"path": "/v1/cards", "count": 2,
                                                     "status": 503})
    assert [c.last4 for c in await client.cards(token)] == ["1122", "2468"]


async def test_a_write_is_retried_with_its_key_and_done_once(bank: Bank, client: BankClient):
    token = await token_for(bank, "cus_emma")
    # The first attempt is answered 503 after the sandbox did nothing; the retry succeeds.
    await bank.page("POST", "/sandbox/faults", json={"path": "/v1/cards/card_emma_visa/freeze",
                                                     "count": 1, "status": 503})
    card = await client.freeze(token, "card_emma_visa", key="freeze-once-123")
    assert card.status == "frozen"
    again = await client.freeze(token, "card_emma_visa", key="freeze-once-123")
    assert again == card  # the same key replays the first answer


async def test_a_write_without_a_key_is_never_retried(bank: Bank, client: BankClient):
    await bank.page("POST", "/sandbox/faults", json={"path": "/v1/identity", "count": 1,
                                                     "status": 503})
    with pytest.raises(BankUnavailable):
        await client._call("POST", "/identity/challenges", body={"subject": "rest:x"},
                           read=False)


async def test_an_unreachable_bank_is_unavailable():
    client = BankClient(BankSettings(base_url="http://127.0.0.1:9", api_key=API_KEY,
                                     retry_backoff_s=0.0))
    try:
        with pytest.raises(BankUnavailable):
            await client.cards("token")
    finally:
        await client.close()


async def test_a_slow_bank_times_out(bank: Bank, client: BankClient):
    token = await token_for(bank, "cus_emma")
    await bank.page("POST", "/sandbox/faults", json={"path": "/v1/cards", "count": 3,
                                                     "delay_s": 1.5})
    with pytest.raises(BankUnavailable):
        await client.cards(token)

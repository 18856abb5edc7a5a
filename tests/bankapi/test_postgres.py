"""The sandbox on PostgreSQL (``BANK_DATABASE_URL=postgresql://…``), the machine's own server.

A throwaway database per test run, so nothing else on the server is touched.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from bankapi.sandbox.app import create_app
from bankapi.sandbox.context import Settings
from tests.sandbox import API_KEY, Bank

SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
async def postgres_bank() -> AsyncIterator[Bank]:
    name = f"cardcare_sandbox_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(f"{SERVER}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL is needed on 127.0.0.1:5432 for this test ({error})")
    await admin.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(database_url=f"{SERVER}/{name}", api_key=API_KEY)
    runner = web.AppRunner(create_app(settings), access_log=None)
    try:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession() as http:
            yield Bank(http, f"http://{host}:{port}", settings)
    finally:
        await runner.cleanup()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


async def test_the_sandbox_runs_on_postgresql(postgres_bank: Bank):
    token = await postgres_bank.login("cus_wong")
    cards = await postgres_bank.call("GET", "/cards", token=token)
    assert [c["last4"] for c in cards.body["cards"]] == ["9087"]
    found = await postgres_bank.call("GET", "/cards/card_wong_mc/transactions", token=token,
                                     params={"merchant": "hktvmall"})
    assert [t["merchant"] for t in found.body["transactions"]] == ["HKTVmall"]


async def test_concurrent_retries_of_one_write_do_it_once_on_postgresql(postgres_bank: Bank):
    token = await postgres_bank.login("cus_wong")
    body = {"transaction_id": "tx_wong_mc_06", "tenor_months": 12}
    answers = await asyncio.gather(*(
        postgres_bank.call("POST", "/cards/card_wong_mc/installments", token=token, json=body,
                           key="same-message-retried") for _ in range(4)))
    created = [a for a in answers if a.status == 201]
    assert created and all(a.body == created[0].body for a in created)
    # A retry that raced the first may be told to retry (409); none made a second plan.
    assert all(a.status in (201, 409) for a in answers)
    plans = (await postgres_bank.state("cus_wong"))["installment_plans"]
    assert len(plans) == 1

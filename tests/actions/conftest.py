"""Banking actions driven directly (``cardcare.dev.driver.Chat``) against the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from actions.bank import BankClient, BankSettings
from actions.sessions import MemorySessionStore
from cardcare.dev.driver import Chat
from tests.sandbox import API_KEY, Bank


@pytest.fixture
async def client(bank: Bank) -> AsyncIterator[BankClient]:
    """The real bank client, pointed at the sandbox, with short timeouts for failure tests."""
    bank_client = BankClient(BankSettings(base_url=bank.base_url, api_key=API_KEY,
                                          read_timeout_s=1.0, write_timeout_s=1.0,
                                          retry_backoff_s=0.01))
    yield bank_client
    await bank_client.close()


@pytest.fixture
def sessions() -> MemorySessionStore:
    return MemorySessionStore()


@pytest.fixture
def chat(domain: dict[str, Any], client: BankClient, sessions: MemorySessionStore) -> Chat:
    return Chat(domain, client, sessions)

"""Fixtures of the sandbox bank's own tests (the ``bank`` fixture is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.sandbox import Bank


@pytest.fixture
async def emma(bank: Bank) -> str:
    """A session token for Emma (USD, two cards, a dispute already open)."""
    return await bank.login("cus_emma")

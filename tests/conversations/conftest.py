"""Fixtures of the end-to-end conversations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.conftest import TEST_REDIS_URL


@pytest.fixture
async def client() -> AsyncIterator[aioredis.Redis]:
    """An async client of the tests' Redis database."""
    redis = aioredis.from_url(TEST_REDIS_URL)
    yield redis
    await redis.close()

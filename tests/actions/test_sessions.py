"""Verified sessions expire after the idle window, in memory and in Redis."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as redis

from actions.sessions import KEY_PREFIX, MemorySessionStore, RedisSessionStore
from tests.conftest import TEST_REDIS_URL


async def test_memory_sessions_slide_and_expire():
    store = MemorySessionStore(idle_timeout_s=0.3)
    await store.put("rest:a", "token")
    await asyncio.sleep(0.2)
    assert await store.get("rest:a") == "token"  # use extends the window
    await asyncio.sleep(0.2)
    assert await store.get("rest:a") == "token"
    await asyncio.sleep(0.4)
    assert await store.get("rest:a") is None


async def test_redis_sessions_are_shared_and_expire(redis_client):
    client = redis.from_url(TEST_REDIS_URL)
    one, two = RedisSessionStore(client, idle_timeout_s=1), RedisSessionStore(client, 1)
    subject = f"rest:{uuid.uuid4().hex[:8]}"
    try:
        await one.put(subject, "token")
        assert await two.get(subject) == "token"  # another action-server instance sees it
        assert 0 < redis_client.ttl(KEY_PREFIX + subject) <= 1
        await asyncio.sleep(1.2)
        assert await two.get(subject) is None
        await one.put(subject, "token")
        await two.drop(subject)
        assert await one.get(subject) is None
    finally:
        await client.close()

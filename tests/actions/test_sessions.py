"""Verified sessions expire after the idle window, in memory and in Redis (encrypted there)."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as redis
from cryptography.fernet import Fernet

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
    key = Fernet.generate_key()
    one, two = RedisSessionStore(client, key, idle_timeout_s=1), RedisSessionStore(client, key, 1)
    subject = f"rest:{uuid.uuid4().hex[:8]}"
    try:
        await one.put(subject, "sess_token_value")
        assert b"sess_token_value" not in redis_client.get(KEY_PREFIX + subject)
        assert await two.get(subject) == "sess_token_value"  # another instance reads it
        assert 0 < redis_client.ttl(KEY_PREFIX + subject) <= 1
        await asyncio.sleep(1.2)
        assert await two.get(subject) is None
        await one.put(subject, "sess_token_value")
        await two.drop(subject)
        assert await one.get(subject) is None
    finally:
        await client.close()


async def test_a_token_under_another_key_is_no_session(redis_client):
    client = redis.from_url(TEST_REDIS_URL)
    subject = f"rest:{uuid.uuid4().hex[:8]}"
    try:
        await RedisSessionStore(client, Fernet.generate_key()).put(subject, "sess_token_value")
        assert await RedisSessionStore(client, Fernet.generate_key()).get(subject) is None
        assert not redis_client.exists(KEY_PREFIX + subject)  # and is forgotten
    finally:
        await client.close()

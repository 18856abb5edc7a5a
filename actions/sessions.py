"""Where the action server keeps a verified chat's bank session token, with the idle expiry.

The token is a credential, so it stays out of the tracker (which agents and analytics read):
it lives here, keyed by the chat identity, for 15 minutes after its last use.  With
``REDIS_URL`` set every action-server instance shares one Redis; without it a single
instance keeps tokens in memory.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

import redis.asyncio as redis

# Verification expires after 15 minutes idle (the bank enforces its own window too).
IDLE_TIMEOUT_S = 15 * 60
KEY_PREFIX = "cardcare:bank-session:"


class SessionStore(Protocol):
    """Bank session tokens by chat identity (``subject``)."""

    async def get(self, subject: str) -> str | None:
        """The token, extending its idle window, or None when absent or expired."""

    async def put(self, subject: str, token: str) -> None:
        """Stores a fresh token."""

    async def drop(self, subject: str) -> None:
        """Forgets the token (expired at the bank, or the user unlinked)."""


class MemorySessionStore:
    """One process's tokens; for a single action server without Redis, and for tests."""

    def __init__(self, idle_timeout_s: float = IDLE_TIMEOUT_S) -> None:
        self.idle_timeout_s = idle_timeout_s
        self._tokens: dict[str, tuple[str, float]] = {}

    async def get(self, subject: str) -> str | None:
        entry = self._tokens.get(subject)
        if entry is None or entry[1] < time.monotonic():
            self._tokens.pop(subject, None)
            return None
        await self.put(subject, entry[0])
        return entry[0]

    async def put(self, subject: str, token: str) -> None:
        self._tokens[subject] = (token, time.monotonic() + self.idle_timeout_s)

    async def drop(self, subject: str) -> None:
        self._tokens.pop(subject, None)


class RedisSessionStore:
    """Tokens shared by every action-server instance; Redis's TTL is the idle expiry."""

    def __init__(self, client: redis.Redis, idle_timeout_s: int = IDLE_TIMEOUT_S) -> None:
        self.client = client
        self.idle_timeout_s = idle_timeout_s

    async def get(self, subject: str) -> str | None:
        value = await self.client.getex(KEY_PREFIX + subject, ex=self.idle_timeout_s)
        return value.decode() if isinstance(value, bytes) else value

    async def put(self, subject: str, token: str) -> None:
        await self.client.set(KEY_PREFIX + subject, token, ex=self.idle_timeout_s)

    async def drop(self, subject: str) -> None:
        await self.client.delete(KEY_PREFIX + subject)


_default: SessionStore | None = None


def default_store() -> SessionStore:
    """The process-wide store: Redis when ``REDIS_URL`` is set, memory otherwise (first use)."""
    global _default
    if _default is None:
        url = os.environ.get("REDIS_URL")
        idle = int(os.environ.get("CARDCARE_SESSION_IDLE_S", IDLE_TIMEOUT_S))
        _default = (RedisSessionStore(redis.from_url(url), idle) if url
                    else MemorySessionStore(idle))
    return _default

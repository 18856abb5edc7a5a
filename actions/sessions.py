"""Where the action server keeps a verified chat's bank session token, with the idle expiry.

The token is a credential, so it stays out of the tracker (which agents and analytics read):
it lives here, keyed by the chat identity, for 15 minutes after its last use.  With
``REDIS_URL`` set every action-server instance shares one Redis; without it a single
instance keeps tokens in memory.

In Redis a token is encrypted (Fernet: AES with an HMAC) with ``CARDCARE_SESSION_KEY``, which
every instance shares, so that a copy of Redis (a backup, a replica, a ``MONITOR``) holds no
usable credential.  Without the variable each process makes its own key: its sessions end with
it, and other instances cannot read them (the log says so).
"""

from __future__ import annotations

import os
import time
from typing import Protocol

import redis.asyncio as redis
import structlog
from cryptography.fernet import Fernet, InvalidToken

# Verification expires after 15 minutes idle (the bank enforces its own window too).
IDLE_TIMEOUT_S = 15 * 60
KEY_PREFIX = "cardcare:bank-session:"
KEY_ENV = "CARDCARE_SESSION_KEY"

log = structlog.get_logger(__name__)


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
    """Tokens shared by every action-server instance, encrypted; Redis's TTL is the idle expiry."""

    def __init__(self, client: redis.Redis, key: bytes, idle_timeout_s: int = IDLE_TIMEOUT_S
                 ) -> None:
        self.client = client
        self.fernet = Fernet(key)
        self.idle_timeout_s = idle_timeout_s

    async def get(self, subject: str) -> str | None:
        value = await self.client.getex(KEY_PREFIX + subject, ex=self.idle_timeout_s)
        if value is None:
            return None
        try:
            return self.fernet.decrypt(value).decode()
        except InvalidToken:  # written under another key (a restart without a shared key)
            await self.drop(subject)
            return None

    async def put(self, subject: str, token: str) -> None:
        await self.client.set(KEY_PREFIX + subject, self.fernet.encrypt(token.encode()),
                              ex=self.idle_timeout_s)

    async def drop(self, subject: str) -> None:
        await self.client.delete(KEY_PREFIX + subject)


def session_key() -> bytes:
    """``CARDCARE_SESSION_KEY``, else a key of this process's own (see the module docstring)."""
    key = os.environ.get(KEY_ENV)
    if key:
        return key.encode()
    log.warning("sessions.key.missing", variable=KEY_ENV,
                consequence="verified sessions end with this process and are not shared")
    return Fernet.generate_key()


_default: SessionStore | None = None


def default_store() -> SessionStore:
    """The process-wide store: Redis when ``REDIS_URL`` is set, memory otherwise (first use)."""
    global _default
    if _default is None:
        url = os.environ.get("REDIS_URL")
        idle = int(os.environ.get("CARDCARE_SESSION_IDLE_S", IDLE_TIMEOUT_S))
        _default = (RedisSessionStore(redis.from_url(url), session_key(), idle) if url
                    else MemorySessionStore(idle))
    return _default

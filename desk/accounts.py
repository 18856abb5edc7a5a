"""Desk accounts in Redis, with Argon2 password hashes (argon2-cffi: no hand-rolled crypto).

Accounts are created by a command (``python -m desk add-agent``); ``make run`` seeds a demo
agent.  An account says what its agent reads and handles, which is how chats are routed.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from typing import Final

import redis.asyncio as redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cardcare.conversation import LANGUAGES
from cardcare.escalation import Skill
from cardcare.handoff import Agent

PREFIX: Final = "cardcare:desk:"
ROLES: Final = ("agent", "supervisor")
_HASHER = PasswordHasher()
# Verified against when the username is unknown, so that the answer takes as long either way.
_DUMMY_HASH = _HASHER.hash("no such account")
MIN_PASSWORD_CHARS: Final = 10


class AccountError(ValueError):
    """An account that cannot be created as asked (says why)."""


@dataclass(frozen=True)
class Account:
    """A person at the desk."""

    username: str
    name: str  # shown to customers ("Linh has joined the chat")
    role: str
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    capacity: int
    password_hash: str

    @property
    def agent(self) -> Agent:
        """The routing profile the queue uses."""
        return Agent(self.username, self.languages, tuple(Skill(s) for s in self.skills),
                     self.capacity)

    def public(self) -> dict[str, object]:
        """What the desk's page may see (no hash)."""
        return {"id": self.username, "name": self.name, "role": self.role,
                "languages": list(self.languages), "skills": list(self.skills),
                "capacity": self.capacity}


class Accounts:
    """The desk's accounts."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _key(username: str) -> str:
        return f"{PREFIX}account:{username}"

    async def get(self, username: str) -> Account | None:
        raw = await self.client.get(self._key(username))
        if raw is None:
            return None
        data = json.loads(raw)
        return Account(**{**data, "languages": tuple(data["languages"]),
                          "skills": tuple(data["skills"])})

    async def all(self) -> list[Account]:
        names = sorted(m.decode() for m in await self.client.smembers(f"{PREFIX}accounts"))
        return [a for a in [await self.get(n) for n in names] if a is not None]

    async def create(self, username: str, password: str, name: str, role: str,
                     languages: list[str], skills: list[str], capacity: int = 3) -> Account:
        """Creates or replaces an account.

        Raises:
            AccountError: a field is not valid (the message says which).
        """
        if not username.isascii() or not username.replace("-", "").replace(".", "").isalnum():
            raise AccountError("a username is letters, digits, dots and dashes")
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"a password has at least {MIN_PASSWORD_CHARS} characters")
        if role not in ROLES:
            raise AccountError(f"a role is one of {', '.join(ROLES)}")
        unknown = [x for x in languages if x not in LANGUAGES]
        if unknown or not languages:
            raise AccountError(f"languages are some of {', '.join(LANGUAGES)}")
        valid = {s.value for s in Skill}
        if not skills or any(s not in valid for s in skills):
            raise AccountError(f"skills are some of {', '.join(sorted(valid))}")
        if not 1 <= capacity <= 20:
            raise AccountError("capacity is 1 to 20 chats")
        account = Account(username, name.strip() or username, role, tuple(languages),
                          tuple(skills), capacity, _HASHER.hash(password))
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._key(username), json.dumps(asdict(account)))
            pipe.sadd(f"{PREFIX}accounts", username)
            await pipe.execute()
        return account

    async def verify(self, username: str, password: str) -> Account | None:
        """The account if the password is right, else None (in about the same time)."""
        account = await self.get(username)
        try:  # Argon2 takes tens of milliseconds of CPU: off the event loop
            await asyncio.to_thread(_HASHER.verify,
                                    account.password_hash if account else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return account

"""A client of the sandbox bank for tests: real HTTP, every answer checked against the contract.

The ``bank`` fixture (tests/conftest.py) serves the real app on a loopback port with its own
SQLite file per test, seeded with the demo cardholders, so tests never see each other's writes.
``Bank.call`` validates every ``/v1`` answer against
``bankapi/openapi.yaml``: an undocumented status or a body off the schema fails the test.

Settings other than the defaults are asked for with a marker::

    @pytest.mark.bank_settings(idle_timeout_s=1)
    async def test_...(bank): ...
"""

from __future__ import annotations

import json as jsonlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from bankapi import contract
from bankapi.sandbox import seed
from bankapi.sandbox.context import Settings

API_KEY = "sandbox-test-key-5f2c"
WRITES = frozenset({"POST", "PUT", "DELETE"})
AUTO = object()  # "make up a fresh Idempotency-Key" (the default for writes)

# Demo cardholders by customer id, from the seed the sandbox runs on an empty database.
CUSTOMERS = {c.customer_id: c for c in seed.CUSTOMERS}


def _templates() -> list[tuple[re.Pattern[str], str]]:
    """The contract's path templates as regexes, literal paths before parameterised ones."""
    paths = sorted(contract.spec()["paths"], key=lambda p: (p.count("{"), p))
    return [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$"), p)
            for p in paths]


def template_of(path: str) -> str:
    """``/cards/card_emma_visa/freeze`` → ``/cards/{card_id}/freeze``."""
    for pattern, template in _templates():
        if pattern.match(path):
            return template
    raise AssertionError(f"{path} matches no path of the contract")


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, its JSON decoded (``None`` when it has no body)."""

    status: int
    body: Any
    headers: Any
    raw: bytes

    @property
    def code(self) -> str | None:
        """The error code of an error answer."""
        if not isinstance(self.body, dict):
            return None
        return self.body.get("error", {}).get("code")


class Bank:
    """A client of one running sandbox: the ``/v1`` API plus the sandbox-only pages."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, settings: Settings) -> None:
        self.http = http
        self.base_url = base_url
        self.settings = settings

    async def _send(self, method: str, url: str, **kwargs: Any) -> Answer:
        async with self.http.request(method, url, **kwargs) as response:
            raw = await response.read()
            body = None
            if raw:
                assert response.content_type == "application/json", (url, response.content_type)
                body = await response.json()
            return Answer(response.status, body, response.headers, raw)

    async def call(self, method: str, path: str, *, json: Any = None, data: bytes | None = None,
                   token: str | None = None, key: Any = AUTO, api_key: str | None = API_KEY,
                   params: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                   template: str | None = None, documented: bool = True) -> Answer:
        """Calls ``/v1{path}`` and validates the answer against the contract.

        ``key``: the Idempotency-Key; a fresh one for writes unless given, ``None`` for none.
        ``template``: the contract's path template (derived from ``path`` when not given).
        ``documented=False``: the status is outside the contract (an injected fault), so only
        the ``Error`` schema is checked.
        """
        sent = dict(headers or {})
        if api_key is not None:
            sent["X-Api-Key"] = api_key
        if token is not None:
            sent["X-Session-Token"] = token
        if key is AUTO:
            key = uuid.uuid4().hex if method in WRITES else None
        if key is not None:
            sent["Idempotency-Key"] = key
        if json is not None:
            data = jsonlib.dumps(json).encode()
            sent.setdefault("Content-Type", "application/json")
        answer = await self._send(method, f"{self.base_url}{contract.API_PREFIX}{path}",
                                  data=data, params=params, headers=sent)
        self.check(answer, template or template_of(path), method, documented)
        return answer

    @staticmethod
    def check(answer: Answer, template: str, method: str, documented: bool = True) -> None:
        """Raises ContractViolation when the answer is not what the contract describes."""
        if documented:
            schema = contract.response_schema(template, method, answer.status)
        else:
            schema = contract.spec()["components"]["schemas"]["Error"]
        if schema is None:
            assert not answer.raw, f"{method} {template} {answer.status} must have no body"
            return
        contract.validate(answer.body, schema)

    # sandbox-only pages ---------------------------------------------------------------------

    async def page(self, method: str, path: str, **kwargs: Any) -> Answer:
        """A sandbox-only page (not in the contract, no API key)."""
        return await self._send(method, f"{self.base_url}{path}", **kwargs)

    async def outbox(self, subject: str) -> list[dict[str, Any]]:
        """Messages "sent" for ``subject``, newest first."""
        answer = await self.page("GET", "/sandbox/outbox", params={"subject": subject})
        assert answer.status == 200
        return answer.body["messages"]

    async def state(self, customer_id: str) -> dict[str, Any]:
        """Everything a flow may have changed for ``customer_id``."""
        answer = await self.page("GET", f"/sandbox/customers/{customer_id}")
        assert answer.status == 200, answer.body
        return answer.body

    async def last_code(self, subject: str) -> str:
        """The one-time code in the newest OTP message to ``subject``."""
        messages = [m for m in await self.outbox(subject) if m["kind"] == "otp"]
        assert messages, f"no code was sent to {subject}"
        return re.search(r"\b(\d{6})\b", messages[0]["body"]).group(1)

    # identity ------------------------------------------------------------------------------

    async def challenge(self, subject: str, **details: str) -> str:
        """Starts a challenge for ``subject`` and returns its id."""
        answer = await self.call("POST", "/identity/challenges",
                                 json={"subject": subject, **details})
        assert answer.status == 201, answer.body
        return answer.body["challenge_id"]

    async def submit(self, challenge_id: str, code: str, **kwargs: Any) -> Answer:
        """Submits a code for a challenge."""
        return await self.call("POST", f"/identity/challenges/{challenge_id}/verify",
                               json={"code": code}, **kwargs)

    async def verify(self, subject: str, **details: str) -> str:
        """Verifies ``subject`` with ``details`` (code read from the outbox): a session token."""
        challenge_id = await self.challenge(subject, **details)
        answer = await self.submit(challenge_id, await self.last_code(subject))
        assert answer.status == 200, answer.body
        return answer.body["session_token"]

    async def login(self, customer_id: str) -> str:
        """A session for a demo cardholder, verified by phone from ``telegram:<customer_id>``."""
        return await self.verify(subject_of(customer_id), phone="+" + CUSTOMERS[customer_id].phone)


def wrong(code: str) -> str:
    """A well-formed one-time code that is certainly not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"


def subject_of(customer_id: str) -> str:
    """The chat identity the tests use for a demo cardholder."""
    return f"telegram:{customer_id}"

"""What every handler needs: the app's keys, the request's database connection, the caller."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bankapi import contract
from bankapi.sandbox import schema
from bankapi.sandbox.errors import BankError


@dataclass(frozen=True)
class Settings:
    """How the sandbox behaves; the defaults are what a bank would plausibly do."""

    database_url: str
    api_key: str
    # The session ends after this long without a call: the 15 minutes.
    idle_timeout_s: int = 15 * 60
    # A one-time code is valid for 5 minutes, the usual SMS OTP window.
    otp_ttl_s: int = 5 * 60
    # Three wrong codes lock verification for this long.
    max_attempts: int = 3
    lockout_s: int = 15 * 60
    # At most this many codes per chat, and per cardholder, in a window: SMS costs money and
    # each code is another guess (SMS pumping).
    max_codes: int = 5
    code_window_s: int = 15 * 60
    seed: bool = True


SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
DB = "db"  # request key: the AsyncConnection of the request's transaction


def now() -> datetime:
    """The current time, timezone-aware (SQLite drops the zone; see ``aware``)."""
    return datetime.now(timezone.utc)


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for what was stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def token_hash(token: str) -> str:
    """Secrets (session tokens, codes) are stored only as hashes."""
    return hashlib.sha256(token.encode()).hexdigest()


def db(request: web.Request) -> AsyncConnection:
    """The connection of the transaction this request runs in."""
    return request[DB]


async def body(request: web.Request, path: str) -> dict[str, Any]:
    """The request's JSON body, validated against the contract's schema for ``path``.

    Raises:
        BankError: ``invalid_request`` naming the first problem.
    """
    try:
        document = await request.json()
    except ValueError as error:
        raise BankError(400, "invalid_request", "body is not JSON") from error
    schema_ = contract.request_schema(path, request.method)
    if schema_ is not None:
        try:
            contract.validate(document, schema_)
        except contract.ContractViolation as error:
            raise BankError(400, "invalid_request", str(error)) from error
    return document


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or what its ``$ref`` points to in the contract."""
    if "$ref" not in node:
        return node
    target: Any = contract.spec()
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return target


def params(request: web.Request, path: str, where: str = "query") -> dict[str, Any]:
    """The ``where`` ("query" or "path") parameters the contract declares for ``path``,
    validated against their schemas (integers converted); absent optional ones are left out.

    aiohttp routes any text to a path parameter and keeps every query parameter, so without
    this the sandbox would take what the contract refuses.

    Raises:
        BankError: ``invalid_request`` naming the first problem.
    """
    given = request.query if where == "query" else request.match_info
    values: dict[str, Any] = {}
    for parameter in map(_resolved, contract.operation(path, request.method).get("parameters", [])):
        name = parameter["name"]
        if parameter["in"] != where or name not in given:
            if parameter["in"] == where and parameter.get("required"):
                raise BankError(400, "invalid_request", f"{name} is required")
            continue
        value: Any = given[name]
        if _resolved(parameter["schema"]).get("type") == "integer":
            # Not int(): it also takes " 7", "1_0" and other scripts' digits.
            if not re.fullmatch(r"-?[0-9]+", value):
                raise BankError(400, "invalid_request", f"{name} is not an integer")
            value = int(value)
        try:
            contract.validate(value, parameter["schema"])
        except contract.ContractViolation as error:
            problem = str(error).removeprefix("body: ")
            raise BankError(400, "invalid_request", f"{name}: {problem}") from error
        values[name] = value
    return values


@dataclass(frozen=True)
class Caller:
    """The cardholder a session token stands for."""

    customer_id: str
    subject: str


async def caller(request: web.Request) -> Caller:
    """Checks ``X-Session-Token`` and extends the session's idle window.

    Raises:
        BankError: ``session_expired`` for a missing, unknown or idle-expired token.
    """
    token = request.headers.get("X-Session-Token", "")
    conn = db(request)
    row = (await conn.execute(
        select(schema.sessions).where(schema.sessions.c.token_hash == token_hash(token))
    )).first() if token else None
    timeout = timedelta(seconds=request.app[SETTINGS].idle_timeout_s)
    if row is None or aware(row.last_used) + timeout < now():
        raise BankError(401, "session_expired", "verify the cardholder again")
    await conn.execute(schema.sessions.update()
                       .where(schema.sessions.c.token_hash == row.token_hash)
                       .values(last_used=now()))
    return Caller(row.customer_id, row.subject)


async def owned(conn: AsyncConnection, table: Any, key: str, value: object, customer_id: str,
                what: str) -> Row:
    """The caller's row of ``table`` whose ``key`` column is ``value``.

    Raises:
        BankError: ``not_found`` when it does not exist or belongs to someone else.
    """
    row = (await conn.execute(select(table).where(
        table.c[key] == value, table.c.customer_id == customer_id))).first()
    if row is None:
        raise BankError(404, "not_found", f"no such {what}")
    return row


async def own_card(request: web.Request, who: Caller, card_id: str | None = None) -> Row:
    """The caller's card from the path (or ``card_id``).

    Raises:
        BankError: ``not_found`` when the card does not exist or belongs to someone else.
    """
    if card_id is None:
        card_id = request.match_info["card_id"]
    return await owned(db(request), schema.cards, "card_id", card_id, who.customer_id, "card")

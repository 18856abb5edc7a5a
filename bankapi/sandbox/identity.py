"""Identity linking: one-time codes, lockout after wrong codes, sessions, unlinking."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bankapi.sandbox import schema
from bankapi.sandbox.context import SETTINGS, aware, body, db, now, token_hash
from bankapi.sandbox.errors import BankError


async def _locked_for(conn: AsyncConnection, subject: str) -> int:
    """Seconds until ``subject`` may verify again, 0 when it is not locked."""
    row = (await conn.execute(select(schema.verification_failures).where(
        schema.verification_failures.c.subject == subject))).first()
    if row is None or row.locked_until is None:
        return 0
    return max(0, int((aware(row.locked_until) - now()).total_seconds()))


async def _match(conn: AsyncConnection, document: dict[str, object]) -> str | None:
    """The customer the details identify, if any."""
    c = schema.customers
    if document.get("phone"):
        # Stored with the country code; people type it with or without, or with a trunk 0.
        digits = re.sub(r"\D", "", str(document["phone"])).lstrip("0")
        if len(digits) < 8:
            return None
        rows = (await conn.execute(select(c.c.customer_id).where(c.c.phone.endswith(digits)))).all()
        # A national number shared across countries identifies nobody: ask for the full one.
        return rows[0].customer_id if len(rows) == 1 else None
    if document.get("card_last4") and document.get("date_of_birth"):
        try:
            born = date.fromisoformat(str(document["date_of_birth"]))
        except ValueError as error:
            raise BankError(400, "invalid_request", "date_of_birth is not a date") from error
        row = (await conn.execute(
            select(c.c.customer_id)
            .join(schema.cards, schema.cards.c.customer_id == c.c.customer_id)
            .where(schema.cards.c.last4 == document["card_last4"], c.c.date_of_birth == born)
        )).first()
        return row.customer_id if row else None
    link = (await conn.execute(select(schema.links.c.customer_id).where(
        schema.links.c.subject == document["subject"]))).first()
    if link is None and not document.get("card_last4"):
        raise BankError(400, "invalid_request",
                        "give phone, or card_last4 with date_of_birth, for an unlinked subject")
    return link.customer_id if link else None


async def start_challenge(request: web.Request) -> web.Response:
    """POST /identity/challenges"""
    document = await body(request, "/identity/challenges")
    conn, settings = db(request), request.app[SETTINGS]
    subject = str(document["subject"])
    if (wait := await _locked_for(conn, subject)) > 0:
        raise BankError(423, "otp_locked", "too many wrong codes", retry_after_s=wait)
    customer_id = await _match(conn, document)
    challenge_id = "ch_" + secrets.token_urlsafe(16)
    expires_at = now() + timedelta(seconds=settings.otp_ttl_s)
    code_hash = None
    if customer_id is not None:
        code = f"{secrets.randbelow(10**6):06d}"
        code_hash = token_hash(challenge_id + code)
        await conn.execute(schema.outbox.insert().values(
            customer_id=customer_id, subject=subject, kind="otp", sent_at=now(),
            body=f"Your CardCare verification code is {code}. It expires in "
                 f"{settings.otp_ttl_s // 60} minutes. Never share it with anyone."))
    await conn.execute(schema.challenges.insert().values(
        challenge_id=challenge_id, subject=subject, customer_id=customer_id,
        code_hash=code_hash, expires_at=expires_at, used=False))
    return web.json_response(
        {"challenge_id": challenge_id, "expires_at": expires_at.isoformat()}, status=201)


async def _fail(conn: AsyncConnection, subject: str, max_attempts: int,
                lockout_s: int) -> BankError:
    table = schema.verification_failures
    row = (await conn.execute(select(table).where(table.c.subject == subject))).first()
    failures = (row.failures if row else 0) + 1
    locked_until = now() + timedelta(seconds=lockout_s) if failures >= max_attempts else None
    values = {"failures": 0 if locked_until else failures, "locked_until": locked_until}
    if row is None:
        await conn.execute(table.insert().values(subject=subject, **values))
    else:
        await conn.execute(table.update().where(table.c.subject == subject).values(**values))
    if locked_until is not None:
        return BankError(423, "otp_locked", "too many wrong codes", retry_after_s=lockout_s)
    return BankError(422, "otp_invalid", "wrong code", attempts_left=max_attempts - failures)


async def verify_challenge(request: web.Request) -> web.Response:
    """POST /identity/challenges/{challenge_id}/verify

    A wrong code is answered, not raised, so that the failure count it adds is committed.
    """
    document = await body(request, "/identity/challenges/{challenge_id}/verify")
    conn, settings = db(request), request.app[SETTINGS]
    row = (await conn.execute(select(schema.challenges).where(
        schema.challenges.c.challenge_id == request.match_info["challenge_id"]))).first()
    if row is None:
        raise BankError(404, "not_found", "no such challenge")
    if (wait := await _locked_for(conn, row.subject)) > 0:
        raise BankError(423, "otp_locked", "too many wrong codes", retry_after_s=wait)
    if row.used or aware(row.expires_at) < now():
        raise BankError(410, "otp_expired", "start a new challenge")
    good = row.code_hash is not None and secrets.compare_digest(
        row.code_hash, token_hash(row.challenge_id + str(document["code"])))
    if not good:
        error = await _fail(conn, row.subject, settings.max_attempts, settings.lockout_s)
        if error.code == "otp_locked":
            await conn.execute(schema.challenges.update().where(
                schema.challenges.c.subject == row.subject).values(used=True))
        return web.json_response(error.body(), status=error.status)
    await conn.execute(schema.challenges.update().where(
        schema.challenges.c.challenge_id == row.challenge_id).values(used=True))
    await conn.execute(delete(schema.verification_failures).where(
        schema.verification_failures.c.subject == row.subject))
    await conn.execute(delete(schema.links).where(schema.links.c.subject == row.subject))
    await conn.execute(schema.links.insert().values(
        subject=row.subject, customer_id=row.customer_id, linked_at=now()))
    token = secrets.token_urlsafe(32)
    await conn.execute(schema.sessions.insert().values(
        token_hash=token_hash(token), subject=row.subject, customer_id=row.customer_id,
        last_used=now()))
    customer = (await conn.execute(select(schema.customers.c.first_name).where(
        schema.customers.c.customer_id == row.customer_id))).one()
    return web.json_response({"session_token": token, "idle_timeout_s": settings.idle_timeout_s,
                              "first_name": customer.first_name})


async def unlink(request: web.Request) -> web.Response:
    """DELETE /identity/links/{subject}"""
    conn, subject = db(request), request.match_info["subject"]
    await conn.execute(delete(schema.links).where(schema.links.c.subject == subject))
    await conn.execute(delete(schema.sessions).where(schema.sessions.c.subject == subject))
    return web.Response(status=204)

"""Identity linking: one-time codes, lockout after wrong codes, sessions, unlinking.

Limits hold per chat (subject) and per cardholder, so that opening more chats buys neither
more guesses nor more text messages:

* wrong codes lock the chat, and the cardholder, after ``max_attempts`` (across chats);
* a chat may ask for ``max_codes`` codes per window (then 429); a cardholder receives at most
  ``max_codes`` per window;
* a new code ends every earlier open challenge of the chat and of the cardholder.

What happens to a cardholder (locked, or at the cap) is never told to the chat: its challenge
is answered as for details that match nobody (no code is sent, none verifies), so the answers
still do not reveal who banks here.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from aiohttp import web
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bankapi.sandbox import schema
from bankapi.sandbox.context import SETTINGS, Settings, aware, body, db, now, params, token_hash
from bankapi.sandbox.errors import BankError


def _cardholder_key(customer_id: str) -> str:
    """The cardholder's row among the failure counters, which are otherwise by subject."""
    return f"customer:{customer_id}"


async def _locked_for(conn: AsyncConnection, subject: str) -> int:
    """Seconds until ``subject`` (a chat, or ``_cardholder_key``) may verify again, 0 when it
    is not locked."""
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
    # No details (the contract refuses half of the card pair): the subject re-verifies.
    link = (await conn.execute(select(schema.links.c.customer_id).where(
        schema.links.c.subject == document["subject"]))).first()
    if link is None:
        raise BankError(400, "invalid_request",
                        "give phone, or card_last4 with date_of_birth, for an unlinked subject")
    return link.customer_id


async def _codes_wait(conn: AsyncConnection, settings: Settings, subject: str) -> int:
    """Seconds until ``subject`` may ask for another code (0: now)."""
    c = schema.challenges
    # A challenge's start is its expiry less the code's lifetime.
    since = now() - timedelta(seconds=settings.code_window_s) + timedelta(
        seconds=settings.otp_ttl_s)
    recent = (await conn.execute(select(c.c.expires_at).where(
        c.c.subject == subject, c.c.expires_at > since).order_by(c.c.expires_at))).all()
    if len(recent) < settings.max_codes:
        return 0
    oldest = aware(recent[-settings.max_codes].expires_at)
    return max(1, int((oldest - since).total_seconds()))


async def _may_send_code(conn: AsyncConnection, settings: Settings, customer_id: str) -> bool:
    """Whether the cardholder may receive a code: not locked, under the cap."""
    if await _locked_for(conn, _cardholder_key(customer_id)) > 0:
        return False
    o = schema.outbox
    sent = (await conn.execute(select(func.count()).select_from(o).where(
        o.c.customer_id == customer_id, o.c.kind == "otp",
        o.c.sent_at > now() - timedelta(seconds=settings.code_window_s)))).scalar_one()
    return sent < settings.max_codes


async def _end_open_challenges(conn: AsyncConnection, subject: str,
                               customer_id: str | None) -> None:
    c = schema.challenges
    whose = c.c.subject == subject if customer_id is None else or_(
        c.c.subject == subject, c.c.customer_id == customer_id)
    await conn.execute(c.update().where(whose, c.c.used.is_(False)).values(used=True))


async def start_challenge(request: web.Request) -> web.Response:
    """POST /identity/challenges"""
    document = await body(request, "/identity/challenges")
    conn, settings = db(request), request.app[SETTINGS]
    subject = str(document["subject"])
    if (wait := await _locked_for(conn, subject)) > 0:
        raise BankError(423, "otp_locked", "too many wrong codes", retry_after_s=wait)
    if (wait := await _codes_wait(conn, settings, subject)) > 0:
        raise BankError(429, "otp_rate_limited", "too many codes asked for", retry_after_s=wait)
    customer_id = await _match(conn, document)
    await _end_open_challenges(conn, subject, customer_id)
    challenge_id = "ch_" + secrets.token_urlsafe(16)
    expires_at = now() + timedelta(seconds=settings.otp_ttl_s)
    code_hash = None
    if customer_id is not None and await _may_send_code(conn, settings, customer_id):
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
        holder_locked = row.customer_id is not None and (await _fail(
            conn, _cardholder_key(row.customer_id), settings.max_attempts,
            settings.lockout_s)).code == "otp_locked"
        if error.code == "otp_locked" or holder_locked:
            # The cardholder's lock is not told (see the module docstring): their codes end.
            await _end_open_challenges(conn, row.subject,
                                       row.customer_id if holder_locked else None)
        return web.json_response(error.body(), status=error.status)
    await conn.execute(schema.challenges.update().where(
        schema.challenges.c.challenge_id == row.challenge_id).values(used=True))
    await conn.execute(delete(schema.verification_failures).where(
        schema.verification_failures.c.subject.in_(
            [row.subject, _cardholder_key(row.customer_id)])))
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
    subject = params(request, "/identity/links/{subject}", "path")["subject"]
    conn = db(request)
    await conn.execute(delete(schema.links).where(schema.links.c.subject == subject))
    await conn.execute(delete(schema.sessions).where(schema.sessions.c.subject == subject))
    return web.Response(status=204)

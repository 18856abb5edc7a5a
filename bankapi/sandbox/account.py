"""A card account's money: profile, balance, transactions, statements, payments, autopay, limits,
rewards."""

from __future__ import annotations

import calendar
import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bankapi.sandbox import localized, schema
from bankapi.sandbox.cards import address_json, text_customer
from bankapi.sandbox.context import body, caller, db, now, own_card, owned, params
from bankapi.sandbox.errors import BankError
from bankapi.sandbox.money import from_api, to_api

# How many monthly statements a cardholder can get a copy of (the latest included).
STATEMENTS_KEPT = 24
# A temporary increase above this multiple of the limit goes to a human underwriter.
TEMPORARY_MAX_FACTOR = 1.5


def funding_json(row: Row) -> dict[str, Any]:
    """A funding account with all but its last 4 digits hidden."""
    return {"funding_account_id": row.funding_account_id, "bank_name": row.bank_name,
            "masked_number": "•••• " + row.number[-4:]}


def effective_limit(card: Row, today: date) -> int:
    """The limit in force today: a running temporary limit replaces the permanent one."""
    if card.temporary_limit and card.temporary_until and card.temporary_until >= today:
        return int(card.temporary_limit)
    return int(card.credit_limit)


async def current_balance(conn: AsyncConnection, card: Row) -> int:
    """Statement balance plus what was spent since, fraudulent charges excluded."""
    t = schema.transactions
    since = (await conn.execute(select(func.coalesce(func.sum(t.c.amount), 0)).where(
        t.c.card_id == card.card_id, t.c.in_statement.is_(False), t.c.fraud.is_(False)))).scalar()
    return int(card.statement_balance) + int(since or 0)


async def profile(request: web.Request) -> web.Response:
    """GET /profile"""
    who, conn = await caller(request), db(request)
    customer = (await conn.execute(select(schema.customers).where(
        schema.customers.c.customer_id == who.customer_id))).one()
    addresses = (await conn.execute(select(schema.addresses).where(
        schema.addresses.c.customer_id == who.customer_id))).all()
    accounts = (await conn.execute(select(schema.funding_accounts).where(
        schema.funding_accounts.c.customer_id == who.customer_id))).all()
    return web.json_response({
        "first_name": customer.first_name, "language": customer.language,
        "addresses": [address_json(a) for a in addresses],
        "funding_accounts": [funding_json(a) for a in accounts]})


async def balance(request: web.Request) -> web.Response:
    """GET /cards/{card_id}/balance"""
    card, conn = await own_card(request, await caller(request)), db(request)
    owed = await current_balance(conn, card)
    limit = effective_limit(card, now().date())
    return web.json_response({
        "currency": card.currency, "current_balance": to_api(owed),
        "statement_balance": to_api(card.statement_balance),
        "available_credit": to_api(max(0, limit - owed)), "credit_limit": to_api(limit),
        "minimum_payment": to_api(card.minimum_payment), "due_date": card.due_date.isoformat(),
        "statement_date": card.statement_date.isoformat(),
        "overdue_amount": to_api(card.overdue_amount)})


def transaction_json(row: Row, currency: str) -> dict[str, Any]:
    """A transaction as the contract's ``Transaction`` schema describes it."""
    return {"transaction_id": row.transaction_id, "posted_on": row.posted_on.isoformat(),
            "merchant": row.merchant, "amount": to_api(row.amount), "currency": currency,
            "status": row.status, "disputed": row.disputed, "fraud": row.fraud,
            "installment_plan": row.installment_plan}


async def transactions(request: web.Request) -> web.Response:
    """GET /cards/{card_id}/transactions"""
    card, conn = await own_card(request, await caller(request)), db(request)
    filters = params(request, "/cards/{card_id}/transactions")
    start = date.fromisoformat(filters["from"]) if "from" in filters else None
    end = date.fromisoformat(filters["to"]) if "to" in filters else None
    merchant = filters.get("merchant", "").casefold()
    # The pattern leaves a plain decimal; "0" is an amount too, one no charge has.
    amount = int(Decimal(filters["amount"]) * 100) if "amount" in filters else None
    limit = filters.get("limit", 20)
    t = schema.transactions
    query = select(t).where(t.c.card_id == card.card_id)
    if start:
        query = query.where(t.c.posted_on >= start)
    if end:
        query = query.where(t.c.posted_on <= end)
    if amount is not None:
        query = query.where(t.c.amount == amount)
    rows = (await conn.execute(query.order_by(t.c.posted_on.desc(), t.c.transaction_id))).all()
    # Merchant matching in Python: SQLite's lower() knows only ASCII ("Điện máy", "HKTVmall").
    rows = [r for r in rows if merchant in r.merchant.casefold()][:limit]
    return web.json_response({"transactions": [transaction_json(r, card.currency) for r in rows]})


def statement_date_of(card: Row, month: str) -> date | None:
    """The day the statement of ``month`` (YYYY-MM) was issued, or None when the card has no
    statement that month: not issued yet, older than the ones kept, or a card never used."""
    year, number = (int(part) for part in month.split("-"))
    latest = card.statement_date
    back = (latest.year - year) * 12 + latest.month - number
    if card.status == "inactive" or not 0 <= back < STATEMENTS_KEPT:
        return None
    return date(year, number, min(latest.day, calendar.monthrange(year, number)[1]))


async def statement_copy(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/statement-copies: the bank texts a link to the PDF."""
    document = await body(request, "/cards/{card_id}/statement-copies")
    who = await caller(request)
    card, conn = await own_card(request, who), db(request)
    issued = statement_date_of(card, document["month"])
    if issued is None:
        raise BankError(404, "statement_not_found", f"no statement for {document['month']}")
    reference = "STM-" + secrets.token_hex(4).upper()
    await conn.execute(schema.statement_copies.insert().values(
        reference=reference, card_id=card.card_id, month=document["month"], created_at=now()))
    sent_to = await text_customer(
        conn, who, "statement_link",
        f"Your statement of {issued.isoformat()} for the card ending {card.last4}: "
        f"https://sandbox.bank.invalid/statements/{reference}")
    return web.json_response({"reference": reference, "month": document["month"],
                              "statement_date": issued.isoformat(), "sent_to": sent_to},
                             status=202)


async def payments(request: web.Request) -> web.Response:
    """GET /cards/{card_id}/payments"""
    card, conn = await own_card(request, await caller(request)), db(request)
    rows = (await conn.execute(select(schema.payments).where(
        schema.payments.c.card_id == card.card_id).order_by(schema.payments.c.paid_on.desc())
    )).all()
    lang = localized.language(request)
    return web.json_response({
        "payments": [{"paid_on": r.paid_on.isoformat(), "amount": to_api(r.amount),
                      "currency": card.currency, "method": r.method} for r in rows],
        "methods": [{"method": m, "details": texts[lang]}
                    for m, texts in localized.PAYMENT_METHODS.items()]})


async def _autopay_json(conn: AsyncConnection, card: Row) -> dict[str, Any]:
    if not card.autopay_account:
        return {"enabled": False, "mode": None, "funding_account": None}
    account = (await conn.execute(select(schema.funding_accounts).where(
        schema.funding_accounts.c.funding_account_id == card.autopay_account))).one()
    return {"enabled": True, "mode": card.autopay_mode, "funding_account": funding_json(account)}


async def get_autopay(request: web.Request) -> web.Response:
    """GET /cards/{card_id}/autopay"""
    card = await own_card(request, await caller(request))
    return web.json_response(await _autopay_json(db(request), card))


async def set_autopay(request: web.Request) -> web.Response:
    """PUT /cards/{card_id}/autopay"""
    document = await body(request, "/cards/{card_id}/autopay")
    who = await caller(request)
    card, conn = await own_card(request, who), db(request)
    if card.status == "blocked":
        raise BankError(409, "card_blocked", "card is blocked")
    account = await owned(conn, schema.funding_accounts, "funding_account_id",
                          document["funding_account_id"], who.customer_id, "funding account")
    await conn.execute(schema.cards.update().where(schema.cards.c.card_id == card.card_id)
                       .values(autopay_account=account.funding_account_id,
                               autopay_mode=document["mode"]))
    return web.json_response(await _autopay_json(conn, await own_card(request, who)))


async def cancel_autopay(request: web.Request) -> web.Response:
    """DELETE /cards/{card_id}/autopay"""
    who = await caller(request)
    card, conn = await own_card(request, who), db(request)
    if not card.autopay_account:
        raise BankError(409, "already_in_state", "autopay is not set up")
    await conn.execute(schema.cards.update().where(schema.cards.c.card_id == card.card_id)
                       .values(autopay_account=None, autopay_mode=None))
    return web.json_response(await _autopay_json(conn, await own_card(request, who)))


async def credit_limit(request: web.Request) -> web.Response:
    """GET /cards/{card_id}/credit-limit"""
    card, conn = await own_card(request, await caller(request)), db(request)
    today = now().date()
    running = card.temporary_limit and card.temporary_until and card.temporary_until >= today
    limit = effective_limit(card, today)
    return web.json_response({
        "currency": card.currency, "credit_limit": to_api(card.credit_limit),
        "available_credit": to_api(max(0, limit - await current_balance(conn, card))),
        "max_permanent_limit": to_api(card.max_permanent_limit),
        "temporary_limit": to_api(card.temporary_limit) if running else None,
        "temporary_until": card.temporary_until.isoformat() if running else None})


async def request_limit(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/credit-limit/requests: decided at once, as card issuers' rules do."""
    document = await body(request, "/cards/{card_id}/credit-limit/requests")
    card, conn = await own_card(request, await caller(request)), db(request)
    if card.status != "active":
        raise BankError(409, "card_not_active", f"card is {card.status}")
    wanted = from_api(document["new_limit"], "new_limit")
    if wanted <= card.credit_limit:
        raise BankError(400, "invalid_request", "new_limit must be above the current limit")
    kind, until = document["kind"], None
    if kind == "permanent":
        approved = wanted <= card.max_permanent_limit
        if approved:
            await conn.execute(schema.cards.update().where(
                schema.cards.c.card_id == card.card_id).values(credit_limit=wanted))
    else:
        approved = wanted <= card.credit_limit * TEMPORARY_MAX_FACTOR
        until = now().date() + timedelta(days=int(document.get("days") or 30))
        if approved:
            await conn.execute(schema.cards.update().where(
                schema.cards.c.card_id == card.card_id).values(
                    temporary_limit=wanted, temporary_until=until))
    reference = "LIM-" + secrets.token_hex(4).upper()
    status = "approved" if approved else "declined"
    await conn.execute(schema.limit_requests.insert().values(
        reference=reference, card_id=card.card_id, kind=kind, status=status,
        requested_limit=wanted, until=until if approved else None))
    return web.json_response({
        "reference": reference, "kind": kind, "status": status,
        "requested_limit": to_api(wanted), "currency": card.currency,
        "until": until.isoformat() if until and approved else None}, status=201)


async def rewards(request: web.Request) -> web.Response:
    """GET /rewards"""
    who = await caller(request)
    points = (await db(request).execute(select(schema.customers.c.reward_points).where(
        schema.customers.c.customer_id == who.customer_id))).scalar_one()
    lang = localized.language(request)
    return web.json_response({"points": points, "options": [
        {"option_id": option_id, "points": cost, "description": texts[lang]}
        for option_id, (cost, texts) in localized.REWARD_OPTIONS.items()]})


async def redeem(request: web.Request) -> web.Response:
    """POST /rewards/redemptions"""
    document = await body(request, "/rewards/redemptions")
    who, conn = await caller(request), db(request)
    option = localized.REWARD_OPTIONS.get(document["option_id"])
    if option is None:
        raise BankError(404, "not_found", "no such reward option")
    cost = option[0]
    c = schema.customers
    points = (await conn.execute(select(c.c.reward_points).where(
        c.c.customer_id == who.customer_id))).scalar_one()
    if points < cost:
        raise BankError(409, "insufficient_points", "not enough points")
    await conn.execute(c.update().where(c.c.customer_id == who.customer_id)
                       .values(reward_points=points - cost))
    reference = "RWD-" + secrets.token_hex(4).upper()
    await conn.execute(schema.redemptions.insert().values(
        reference=reference, customer_id=who.customer_id, option_id=document["option_id"],
        points_used=cost))
    return web.json_response({"reference": reference, "option_id": document["option_id"],
                              "points_used": cost, "points_left": points - cost}, status=201)

"""Disputes of known charges and fraud reports of unknown ones."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.sql import Select

from bankapi.sandbox import schema
from bankapi.sandbox.cards import card_json
from bankapi.sandbox.context import body, caller, db, now, own_card
from bankapi.sandbox.errors import BankError
from bankapi.sandbox.money import to_api


def _dispute_json(row: Row) -> dict[str, Any]:
    return {"reference": row.reference, "transaction_id": row.transaction_id,
            "card_id": row.card_id, "reason": row.reason, "status": row.status,
            "opened_on": row.opened_on.isoformat(), "amount": to_api(row.amount),
            "currency": row.currency, "merchant": row.merchant}


def _disputes_query() -> Select:
    d, t, c = schema.disputes, schema.transactions, schema.cards
    return (select(d, t.c.amount, t.c.merchant, c.c.currency)
            .join(t, t.c.transaction_id == d.c.transaction_id)
            .join(c, c.c.card_id == d.c.card_id))


async def create_dispute(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/disputes"""
    document = await body(request, "/cards/{card_id}/disputes")
    card, conn = await own_card(request, await caller(request)), db(request)
    t = schema.transactions
    tx = (await conn.execute(select(t).where(t.c.transaction_id == document["transaction_id"],
                                             t.c.card_id == card.card_id))).first()
    if tx is None:
        raise BankError(404, "not_found", "no such transaction")
    if tx.disputed:
        raise BankError(409, "already_in_state", "this charge is already disputed")
    if tx.fraud:
        raise BankError(409, "not_eligible", "this charge is part of a fraud case")
    reference = f"DSP-{secrets.randbelow(900000) + 100000}"
    await conn.execute(schema.disputes.insert().values(
        reference=reference, card_id=card.card_id, transaction_id=tx.transaction_id,
        reason=document["reason"], note=document.get("note"), status="open",
        opened_on=now().date()))
    await conn.execute(t.update().where(t.c.transaction_id == tx.transaction_id)
                       .values(disputed=True))
    row = (await conn.execute(_disputes_query().where(
        schema.disputes.c.reference == reference))).one()
    return web.json_response(_dispute_json(row), status=201)


async def list_disputes(request: web.Request) -> web.Response:
    """GET /disputes"""
    who = await caller(request)
    rows = (await db(request).execute(_disputes_query().where(
        schema.cards.c.customer_id == who.customer_id)
        .order_by(schema.disputes.c.opened_on.desc()))).all()
    return web.json_response({"disputes": [_dispute_json(r) for r in rows]})


async def get_dispute(request: web.Request) -> web.Response:
    """GET /disputes/{reference}"""
    who = await caller(request)
    row = (await db(request).execute(_disputes_query().where(
        schema.disputes.c.reference == request.match_info["reference"],
        schema.cards.c.customer_id == who.customer_id))).first()
    if row is None:
        raise BankError(404, "not_found", "no such dispute")
    return web.json_response(_dispute_json(row))


async def report_fraud(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/fraud-reports: block, mark, open a case, in one transaction."""
    document = await body(request, "/cards/{card_id}/fraud-reports")
    who = await caller(request)
    card, conn = await own_card(request, who), db(request)
    t = schema.transactions
    ids = list(dict.fromkeys(document["transaction_ids"]))
    found = (await conn.execute(select(t.c.transaction_id).where(
        t.c.transaction_id.in_(ids), t.c.card_id == card.card_id))).scalars().all()
    if len(found) != len(ids):
        raise BankError(404, "not_found", "a transaction is not on this card")
    if card.status != "blocked":
        await conn.execute(schema.cards.update().where(schema.cards.c.card_id == card.card_id)
                           .values(status="blocked", block_reason="fraud"))
    if ids:
        await conn.execute(t.update().where(t.c.transaction_id.in_(ids)).values(fraud=True))
    reference = "FRD-" + secrets.token_hex(4).upper()
    await conn.execute(schema.fraud_cases.insert().values(
        case_reference=reference, card_id=card.card_id, transaction_ids=",".join(ids),
        note=document.get("note"), opened_on=now().date()))
    return web.json_response({"case_reference": reference,
                              "card": card_json(await own_card(request, who)),
                              "marked_transactions": ids}, status=201)

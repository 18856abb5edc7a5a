"""Cards: list, details, freeze, unfreeze, activation, lost/stolen block, replacement and its
delivery, PIN reset."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bankapi.sandbox import schema
from bankapi.sandbox.context import Caller, body, caller, db, now, own_card, owned
from bankapi.sandbox.errors import BankError

# Business days a replacement card takes to arrive in the sandbox's markets.
REPLACEMENT_DAYS = 5
# A card is embossed on the day it is ordered and handed to the courier the next day.
DISPATCH_DAYS = 1
# How far back GET /card-deliveries looks.
DELIVERIES_SHOWN_DAYS = 90


def card_json(row: Row | Any) -> dict[str, Any]:
    """A card as the contract's ``Card`` schema describes it."""
    return {"card_id": row.card_id, "last4": row.last4, "brand": row.brand,
            "product": row.product, "status": row.status, "block_reason": row.block_reason,
            "currency": row.currency, "replaced_by": row.replaced_by}


def address_json(row: Row) -> dict[str, Any]:
    """An address, masked: the street and city show, house and flat numbers do not."""
    return {"address_id": row.address_id, "label": row.label,
            "masked": re.sub(r"\d", "•", row.line)}


async def list_cards(request: web.Request) -> web.Response:
    """GET /cards"""
    who = await caller(request)
    rows = (await db(request).execute(select(schema.cards).where(
        schema.cards.c.customer_id == who.customer_id).order_by(schema.cards.c.card_id))).all()
    return web.json_response({"cards": [card_json(r) for r in rows]})


async def get_card(request: web.Request) -> web.Response:
    """GET /cards/{card_id}"""
    return web.json_response(card_json(await own_card(request, await caller(request))))


async def _transition(request: web.Request, allowed: set[str], to: str,
                      **values: Any) -> web.Response:
    who = await caller(request)
    card = await own_card(request, who)
    if card.status == to:
        raise BankError(409, "already_in_state", f"card is already {to}")
    if card.status not in allowed:
        code = "card_blocked" if card.status == "blocked" else "card_not_active"
        raise BankError(409, code, f"card is {card.status}")
    await db(request).execute(schema.cards.update().where(
        schema.cards.c.card_id == card.card_id).values(status=to, **values))
    return web.json_response(card_json(await own_card(request, who)))


async def freeze(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/freeze"""
    return await _transition(request, {"active"}, "frozen")


async def unfreeze(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/unfreeze"""
    return await _transition(request, {"frozen"}, "active")


async def activate(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/activate"""
    return await _transition(request, {"inactive"}, "active")


async def lost_stolen(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/lost-stolen: a permanent block."""
    document = await body(request, "/cards/{card_id}/lost-stolen")
    return await _transition(request, {"active", "frozen", "inactive"}, "blocked",
                             block_reason=document["reason"])


async def order_replacement(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/replacements"""
    document = await body(request, "/cards/{card_id}/replacements")
    who = await caller(request)
    card, conn = await own_card(request, who), db(request)
    if card.status != "blocked":
        raise BankError(409, "card_not_active", "only a blocked card is replaced")
    if card.replaced_by:
        raise BankError(409, "already_in_state", "a replacement is already ordered")
    address = await owned(conn, schema.addresses, "address_id", document["address_id"],
                          who.customer_id, "address")
    new_id = f"{card.card_id}_r{secrets.token_hex(3)}"
    values = dict(card._mapping)
    # The new card starts clean: what is owed stays on the blocked card's statement.
    values.update(card_id=new_id, last4=f"{secrets.randbelow(10**4):04d}", status="inactive",
                  block_reason=None, replaced_by=None, statement_balance=0, minimum_payment=0,
                  overdue_amount=0, days_past_due=0, autopay_account=None, autopay_mode=None)
    await conn.execute(schema.cards.insert().values(**values))
    await conn.execute(schema.cards.update().where(
        schema.cards.c.card_id == card.card_id).values(replaced_by=new_id))
    reference = "RPL-" + secrets.token_hex(4).upper()
    delivery = now().date() + timedelta(days=REPLACEMENT_DAYS)
    await conn.execute(schema.replacement_orders.insert().values(
        order_reference=reference, card_id=card.card_id, new_card_id=new_id,
        address_id=address.address_id, estimated_delivery=delivery))
    await conn.execute(schema.card_deliveries.insert().values(
        order_reference=reference, card_id=new_id, kind="replacement",
        address_id=address.address_id, ordered_on=now().date(), estimated_delivery=delivery))
    new_card = await own_card(request, who, new_id)
    return web.json_response({"order_reference": reference, "new_card": card_json(new_card),
                              "address": address_json(address),
                              "estimated_delivery": delivery.isoformat()}, status=201)


def delivery_status(row: Row, today: date) -> tuple[str, date | None]:
    """The courier's status on ``today`` and the day it was delivered: the sandbox has no
    courier, so a card counts as delivered on its estimated day unless it came back."""
    if row.returned_on is not None:
        return "returned", None
    if today >= row.estimated_delivery:
        return "delivered", row.estimated_delivery
    if today >= row.ordered_on + timedelta(days=DISPATCH_DAYS):
        return "dispatched", None
    return "in_production", None


async def list_deliveries(request: web.Request) -> web.Response:
    """GET /card-deliveries"""
    who = await caller(request)
    today = now().date()
    d, c, a = schema.card_deliveries, schema.cards, schema.addresses
    rows = (await db(request).execute(
        select(d.c.order_reference, d.c.kind, d.c.address_id, d.c.ordered_on,
               d.c.estimated_delivery, d.c.returned_on, c, a.c.label, a.c.line)
        .join(c, c.c.card_id == d.c.card_id)
        .join(a, a.c.address_id == d.c.address_id)
        .where(c.c.customer_id == who.customer_id,
               d.c.ordered_on >= today - timedelta(days=DELIVERIES_SHOWN_DAYS))
        .order_by(d.c.ordered_on.desc(), d.c.order_reference))).all()
    deliveries = []
    for row in rows:
        status, delivered_on = delivery_status(row, today)
        deliveries.append({
            "order_reference": row.order_reference, "card": card_json(row), "kind": row.kind,
            "status": status, "address": address_json(row),
            "ordered_on": row.ordered_on.isoformat(),
            "estimated_delivery": row.estimated_delivery.isoformat(),
            "delivered_on": delivered_on.isoformat() if delivered_on else None})
    return web.json_response({"deliveries": deliveries})


async def pin_reset(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/pin-reset: the bank texts a secure link."""
    who = await caller(request)
    card, conn = await own_card(request, who), db(request)
    if card.status in ("blocked", "inactive"):
        raise BankError(409, "card_blocked" if card.status == "blocked" else "card_not_active",
                        f"card is {card.status}")
    reference = "PIN-" + secrets.token_hex(4).upper()
    await conn.execute(schema.pin_resets.insert().values(
        reset_reference=reference, card_id=card.card_id, created_at=now()))
    sent_to = await text_customer(conn, who, "pin_link",
                                  f"Set a new PIN for your card ending {card.last4}: "
                                  f"https://sandbox.bank.invalid/pin/{reference}")
    return web.json_response({"reset_reference": reference, "sent_to": sent_to}, status=202)


async def text_customer(conn: AsyncConnection, who: Caller, kind: str, text: str) -> str:
    """Puts an SMS to the cardholder's phone in the outbox; returns the phone, masked."""
    phone = (await conn.execute(select(schema.customers.c.phone).where(
        schema.customers.c.customer_id == who.customer_id))).one().phone
    await conn.execute(schema.outbox.insert().values(
        customer_id=who.customer_id, subject=who.subject, kind=kind, sent_at=now(), body=text))
    return f"•••• {phone[-4:]}"

"""Sandbox-only pages: the SMS outbox, a cardholder's state, a reset, health.

None of this is in the contract; a real bank has none of it.  The demo reads one-time codes from
the outbox, the tests read a cardholder's state to check that a flow changed exactly what it
should, and both make the bank slow or failing with faults.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from bankapi.sandbox import schema, seed
from bankapi.sandbox.context import db, now
from bankapi.sandbox.errors import BankError


async def health(request: web.Request) -> web.Response:
    """GET /health"""
    return web.json_response({"status": "ok"})


async def outbox(request: web.Request) -> web.Response:
    """GET /sandbox/outbox?subject=…: messages "sent" to a chat's cardholder, newest first."""
    query = select(schema.outbox).order_by(schema.outbox.c.message_id.desc()).limit(20)
    if "subject" in request.query:
        query = query.where(schema.outbox.c.subject == request.query["subject"])
    rows = (await db(request).execute(query)).all()
    return web.json_response({"messages": [
        {"subject": r.subject, "kind": r.kind, "body": r.body, "sent_at": r.sent_at.isoformat()}
        for r in rows]})


def _plain(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}


async def customer_state(request: web.Request) -> web.Response:
    """GET /sandbox/customers/{customer_id}: everything a flow may have changed."""
    conn, customer_id = db(request), request.match_info["customer_id"]
    customer = (await conn.execute(select(schema.customers).where(
        schema.customers.c.customer_id == customer_id))).first()
    if customer is None:
        raise BankError(404, "not_found", "no such customer")
    card_rows = (await conn.execute(select(schema.cards).where(
        schema.cards.c.customer_id == customer_id).order_by(schema.cards.c.card_id))).all()
    card_ids = [c.card_id for c in card_rows]
    result: dict[str, Any] = {"reward_points": customer.reward_points,
                              "cards": [_plain(c) for c in card_rows]}
    for name, table in (("transactions", schema.transactions), ("disputes", schema.disputes),
                        ("fraud_cases", schema.fraud_cases),
                        ("installment_plans", schema.installment_plans),
                        ("replacement_orders", schema.replacement_orders),
                        ("card_deliveries", schema.card_deliveries),
                        ("statement_copies", schema.statement_copies),
                        ("limit_requests", schema.limit_requests),
                        ("repayment_plans", schema.repayment_plans),
                        ("pin_resets", schema.pin_resets)):
        rows = (await conn.execute(select(table).where(table.c.card_id.in_(card_ids)))).all()
        result[name] = [_plain(r) for r in rows]
    redemptions = (await conn.execute(select(schema.redemptions).where(
        schema.redemptions.c.customer_id == customer_id))).all()
    result["redemptions"] = [_plain(r) for r in redemptions]
    links = (await conn.execute(select(schema.links.c.subject).where(
        schema.links.c.customer_id == customer_id))).scalars().all()
    result["linked_subjects"] = list(links)
    return web.json_response(result)


async def reset(request: web.Request) -> web.Response:
    """POST /sandbox/reset: every table emptied and the demo cardholders seeded again."""
    conn = db(request)
    for table in reversed(schema.metadata.sorted_tables):
        await conn.execute(table.delete())
    await seed.seed(conn, now().date())
    return web.Response(status=204)

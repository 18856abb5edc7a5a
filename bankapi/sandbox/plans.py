"""Installment plans on purchases or a statement, and repayment plans for overdue accounts."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Row

from bankapi.sandbox import schema
from bankapi.sandbox.context import body, caller, db, now, own_card, params
from bankapi.sandbox.errors import BankError
from bankapi.sandbox.money import to_api

# One-off fee as a share of the principal, per tenor; a common card-issuer price list.
TENOR_FEE = {3: Decimal("0.015"), 6: Decimal("0.03"), 12: Decimal("0.06"), 24: Decimal("0.12")}
# Smallest purchase or statement that can be split, in hundredths of each currency.
MINIMUM = {"USD": 10000, "CNY": 50000, "TWD": 300000, "HKD": 80000, "VND": 200000000}
# Purchases older than this can no longer be split.
ELIGIBLE_DAYS = 60
# Repayment plan offers for overdue accounts: months → APR.
REPAYMENT_APR = {3: Decimal("0"), 6: Decimal("6.00"), 12: Decimal("9.90")}


def _apr(fee_rate: Decimal, months: int) -> Decimal:
    """APR of an add-on fee repaid in equal instalments (the N-ratio approximation)."""
    return (fee_rate * 24 * 100 / (months + 1)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _quote(principal: int, months: int, currency: str) -> dict[str, Any]:
    fee = int((Decimal(principal) * TENOR_FEE[months]).quantize(Decimal(1), ROUND_HALF_UP))
    monthly = -(-(principal + fee) // months)  # rounded up: the last month is never larger
    return {"tenor_months": months, "principal": to_api(principal), "fee": to_api(fee),
            "apr": str(_apr(TENOR_FEE[months], months)), "monthly_amount": to_api(monthly),
            "total": to_api(principal + fee), "currency": currency}


async def _source(request: web.Request, card: Row, document: dict[str, Any]) -> tuple[str, int]:
    """(source key, principal) of the thing to split, after checking it may be split."""
    if bool(document.get("transaction_id")) == bool(document.get("statement")):
        raise BankError(400, "invalid_request", "give exactly one of transaction_id or statement")
    if card.status != "active":
        raise BankError(409, "card_not_active", f"card is {card.status}")
    if document.get("statement"):
        if card.overdue_amount or card.statement_balance < MINIMUM[card.currency]:
            raise BankError(409, "not_eligible", "this statement cannot be split")
        return "statement", int(card.statement_balance)
    t = schema.transactions
    row = (await db(request).execute(select(t).where(
        t.c.transaction_id == document["transaction_id"], t.c.card_id == card.card_id))).first()
    if row is None:
        raise BankError(404, "not_found", "no such transaction")
    if not _eligible(row, card.currency):
        raise BankError(409, "not_eligible", "this transaction cannot be split")
    return row.transaction_id, int(row.amount)


def _eligible(row: Row, currency: str) -> bool:
    return (row.status == "posted" and not row.disputed and not row.fraud
            and row.installment_plan is None and row.amount >= MINIMUM[currency]
            and row.posted_on >= now().date() - timedelta(days=ELIGIBLE_DAYS))


async def eligible(request: web.Request) -> web.Response:
    """GET /cards/{card_id}/installments/eligible"""
    card, conn = await own_card(request, await caller(request)), db(request)
    items: list[dict[str, Any]] = []
    if card.status == "active":
        rows = (await conn.execute(select(schema.transactions).where(
            schema.transactions.c.card_id == card.card_id)
            .order_by(schema.transactions.c.posted_on.desc()))).all()
        items = [{"kind": "transaction", "transaction_id": r.transaction_id,
                  "merchant": r.merchant, "posted_on": r.posted_on.isoformat(),
                  "amount": to_api(r.amount), "currency": card.currency,
                  "tenors": sorted(TENOR_FEE)} for r in rows if _eligible(r, card.currency)]
        planned = (await conn.execute(select(schema.installment_plans.c.reference).where(
            schema.installment_plans.c.card_id == card.card_id,
            schema.installment_plans.c.source == "statement"))).first()
        if not planned and not card.overdue_amount \
                and card.statement_balance >= MINIMUM[card.currency]:
            items.append({"kind": "statement", "amount": to_api(card.statement_balance),
                          "currency": card.currency, "tenors": sorted(TENOR_FEE)})
    return web.json_response({"items": items})


async def quote(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/installments/quotes: read-only, so no idempotency key."""
    document = await body(request, "/cards/{card_id}/installments/quotes")
    card = await own_card(request, await caller(request))
    _, principal = await _source(request, card, document)
    return web.json_response(_quote(principal, int(document["tenor_months"]), card.currency))


def _plan_json(row: Row, currency: str) -> dict[str, Any]:
    return {"reference": row.reference, "created_on": row.created_on.isoformat(),
            "source": row.source, "tenor_months": row.tenor_months,
            "principal": to_api(row.principal), "fee": to_api(row.fee),
            # Two decimals, as the quote has them: 900 basis points are "9.00", not "9".
            "apr": str((Decimal(row.apr_bp) / 100).quantize(Decimal("0.01"))),
            "monthly_amount": to_api(row.monthly_amount),
            "total": to_api(row.principal + row.fee), "currency": currency}


async def list_plans(request: web.Request) -> web.Response:
    """GET /cards/{card_id}/installments"""
    card = await own_card(request, await caller(request))
    rows = (await db(request).execute(select(schema.installment_plans).where(
        schema.installment_plans.c.card_id == card.card_id))).all()
    return web.json_response({"plans": [_plan_json(r, card.currency) for r in rows]})


async def create_plan(request: web.Request) -> web.Response:
    """POST /cards/{card_id}/installments"""
    document = await body(request, "/cards/{card_id}/installments")
    card, conn = await own_card(request, await caller(request)), db(request)
    source, principal = await _source(request, card, document)
    months = int(document["tenor_months"])
    priced = _quote(principal, months, card.currency)
    reference = "INS-" + secrets.token_hex(4).upper()
    values = dict(reference=reference, card_id=card.card_id, source=source, tenor_months=months,
                  principal=principal, fee=int(Decimal(priced["fee"]) * 100),
                  apr_bp=int(Decimal(priced["apr"]) * 100),
                  monthly_amount=int(Decimal(priced["monthly_amount"]) * 100),
                  created_on=now().date())
    # One plan per purchase whatever idempotency key a client sends; the unique (card, source)
    # constraint backs this check up against a concurrent request (see the app's middleware).
    existing = (await conn.execute(select(schema.installment_plans.c.reference).where(
        schema.installment_plans.c.card_id == card.card_id,
        schema.installment_plans.c.source == source))).first()
    if existing:
        raise BankError(409, "already_in_state", "already split into installments")
    await conn.execute(schema.installment_plans.insert().values(**values))
    if source != "statement":
        await conn.execute(schema.transactions.update().where(
            schema.transactions.c.transaction_id == source).values(installment_plan=reference))
    row = (await conn.execute(select(schema.installment_plans).where(
        schema.installment_plans.c.reference == reference))).one()
    return web.json_response(_plan_json(row, card.currency), status=201)


def _offers(card: Row) -> list[dict[str, Any]]:
    offers = []
    for months, apr in REPAYMENT_APR.items():
        total = int((Decimal(card.overdue_amount) * (1 + apr / 100 * months / 24))
                    .quantize(Decimal(1), ROUND_HALF_UP))
        offers.append({"offer_id": f"{card.card_id}.{months}", "months": months,
                       "monthly_amount": to_api(-(-total // months)), "apr": str(apr),
                       "total": to_api(total)})
    return offers


async def repayment_offers(request: web.Request) -> web.Response:
    """GET /repayment-plans/offers?card_id="""
    card_id = params(request, "/repayment-plans/offers")["card_id"]
    card = await own_card(request, await caller(request), card_id)
    return web.json_response({
        "overdue_amount": to_api(card.overdue_amount), "currency": card.currency,
        "days_past_due": card.days_past_due,
        "offers": _offers(card) if card.overdue_amount else []})


async def accept_repayment(request: web.Request) -> web.Response:
    """POST /repayment-plans"""
    document = await body(request, "/repayment-plans")
    card_id, _, months_text = str(document["offer_id"]).rpartition(".")
    card, conn = await own_card(request, await caller(request), card_id), db(request)
    offer = next((o for o in _offers(card) if o["offer_id"] == document["offer_id"]), None)
    if not card.overdue_amount:
        raise BankError(409, "not_overdue", "the account is not overdue")
    if offer is None:
        raise BankError(404, "not_found", "no such offer")
    existing = (await conn.execute(select(schema.repayment_plans).where(
        schema.repayment_plans.c.card_id == card.card_id))).first()
    if existing:
        raise BankError(409, "already_in_state", "a repayment plan is already in force")
    reference = "RPP-" + secrets.token_hex(4).upper()
    first_due = now().date() + timedelta(days=30)
    await conn.execute(schema.repayment_plans.insert().values(
        reference=reference, card_id=card.card_id, offer_id=offer["offer_id"],
        months=int(months_text), monthly_amount=int(Decimal(offer["monthly_amount"]) * 100),
        first_due_date=first_due))
    return web.json_response({
        "reference": reference, "offer_id": offer["offer_id"], "months": offer["months"],
        "monthly_amount": offer["monthly_amount"], "first_due_date": first_due.isoformat(),
        "currency": card.currency}, status=201)

"""The sandbox bank's aiohttp application: middlewares, routes, database lifecycle.

Middlewares, outermost first:
  errors       renders BankError (and anything unexpected) as the contract's Error JSON;
  api_key      rejects calls without the right ``X-Api-Key``;
  faults       the tests' and demo's way to make the bank slow or failing (``/sandbox/faults``);
  transaction  runs the request in one database transaction: all of a write or nothing;
  idempotency  replays the stored answer of a write whose Idempotency-Key was seen before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from bankapi import contract
from bankapi.sandbox import account, cards, cases, faults, identity, plans, schema, seed, state
from bankapi.sandbox.context import DB, ENGINE, SETTINGS, Settings, caller, now
from bankapi.sandbox.errors import BankError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger(__name__)
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})


# SQLite allows one writer; serialising requests in this process avoids "database is locked"
# between two transactions that both read, then write.  PostgreSQL needs no such lock.
DB_LOCK = web.AppKey("db_lock", asyncio.Lock)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BankError as error:
        return web.json_response(error.body(), status=error.status)
    except IntegrityError:
        # A concurrent request won a race the handler's own checks could not see; the
        # transaction was rolled back, so nothing changed.
        error = BankError(409, "already_in_state", "a concurrent request changed this first")
        return web.json_response(error.body(), status=409)
    except web.HTTPException as http:
        if http.status >= 400 and request.path.startswith(contract.API_PREFIX):
            code = "not_found" if http.status == 404 else "invalid_request"
            # Keep what the status requires, such as 405's ``Allow`` (RFC 9110).
            kept = {name: value for name, value in http.headers.items() if name == "Allow"}
            return web.json_response(BankError(http.status, code, http.reason).body(),
                                     status=http.status, headers=kept)
        raise
    except Exception:
        log.exception("sandbox.request.failed path=%s", request.path)
        return web.json_response(BankError(500, "internal", "internal error").body(), status=500)


@web.middleware
async def api_key(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(contract.API_PREFIX):
        # /health and the sandbox-only /sandbox/* pages: the sandbox listens on loopback, and
        # the demo's user must be able to read the codes it "texted".
        return await handler(request)
    given = request.headers.get("X-Api-Key", "")
    if not hmac.compare_digest(given.encode(), request.app[SETTINGS].api_key.encode()):
        raise BankError(401, "unauthorized", "missing or wrong X-Api-Key")
    return await handler(request)


@web.middleware
async def transaction(request: web.Request, handler: Handler) -> web.StreamResponse:
    lock = request.app.get(DB_LOCK) or contextlib.nullcontext()
    async with lock, request.app[ENGINE].begin() as conn:
        request[DB] = conn
        return await handler(request)


def _declares(request: web.Request, parameter: str) -> bool:
    """Whether the contract's operation for the request has the shared ``parameter``."""
    resource = request.match_info.route.resource
    if resource is None:
        return False
    path = resource.canonical.removeprefix(contract.API_PREFIX)
    try:
        parameters = contract.operation(path, request.method).get("parameters", [])
    except KeyError:
        return False
    return {"$ref": f"#/components/parameters/{parameter}"} in parameters


@web.middleware
async def idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in WRITE_METHODS or not _declares(request, "IdempotencyKey"):
        return await handler(request)
    if _declares(request, "SessionToken"):
        # The session first: one without a valid session gets session_expired, never a replay
        # or a conflict (which would tell it the key was used), and nothing is stored.
        await caller(request)
    key = request.headers.get("Idempotency-Key", "")
    if not 8 <= len(key) <= 128:
        raise BankError(400, "idempotency_key_required", "writes need an Idempotency-Key")
    # The caller's session is part of the request: a replay answers only the one who asked.
    session = request.headers.get("X-Session-Token", "")
    digest = hashlib.sha256(
        f"{request.method} {request.path} {session}\n".encode() + await request.read()).hexdigest()
    conn, table = request[DB], schema.idempotency_keys
    seen = (await conn.execute(select(table).where(table.c.key == key))).first()
    if seen is not None:
        if seen.request_hash != digest:
            raise BankError(409, "idempotency_conflict", "key reused for a different request")
        return web.Response(status=seen.status, text=seen.body, content_type="application/json")
    response = await handler(request)
    if isinstance(response, web.Response) and response.status < 500:
        text = response.text if response.body is not None else ""
        await conn.execute(table.insert().values(
            key=key, request_hash=digest, status=response.status, body=text or "",
            created_at=now()))
    return response


def _routes(app: web.Application) -> None:
    v1 = contract.API_PREFIX
    r = app.router
    r.add_post(f"{v1}/identity/challenges", identity.start_challenge)
    r.add_post(f"{v1}/identity/challenges/{{challenge_id}}/verify", identity.verify_challenge)
    r.add_delete(f"{v1}/identity/links/{{subject}}", identity.unlink)
    r.add_get(f"{v1}/profile", account.profile)
    r.add_get(f"{v1}/cards", cards.list_cards)
    r.add_get(f"{v1}/cards/{{card_id}}", cards.get_card)
    r.add_post(f"{v1}/cards/{{card_id}}/freeze", cards.freeze)
    r.add_post(f"{v1}/cards/{{card_id}}/unfreeze", cards.unfreeze)
    r.add_post(f"{v1}/cards/{{card_id}}/activate", cards.activate)
    r.add_post(f"{v1}/cards/{{card_id}}/lost-stolen", cards.lost_stolen)
    r.add_post(f"{v1}/cards/{{card_id}}/replacements", cards.order_replacement)
    r.add_post(f"{v1}/cards/{{card_id}}/pin-reset", cards.pin_reset)
    r.add_get(f"{v1}/card-deliveries", cards.list_deliveries)
    r.add_get(f"{v1}/cards/{{card_id}}/balance", account.balance)
    r.add_get(f"{v1}/cards/{{card_id}}/transactions", account.transactions)
    r.add_post(f"{v1}/cards/{{card_id}}/statement-copies", account.statement_copy)
    r.add_get(f"{v1}/cards/{{card_id}}/payments", account.payments)
    r.add_get(f"{v1}/cards/{{card_id}}/autopay", account.get_autopay)
    r.add_put(f"{v1}/cards/{{card_id}}/autopay", account.set_autopay)
    r.add_delete(f"{v1}/cards/{{card_id}}/autopay", account.cancel_autopay)
    r.add_get(f"{v1}/cards/{{card_id}}/installments", plans.list_plans)
    r.add_post(f"{v1}/cards/{{card_id}}/installments", plans.create_plan)
    r.add_get(f"{v1}/cards/{{card_id}}/installments/eligible", plans.eligible)
    r.add_post(f"{v1}/cards/{{card_id}}/installments/quotes", plans.quote)
    r.add_post(f"{v1}/cards/{{card_id}}/disputes", cases.create_dispute)
    r.add_get(f"{v1}/disputes", cases.list_disputes)
    r.add_get(f"{v1}/disputes/{{reference}}", cases.get_dispute)
    r.add_post(f"{v1}/cards/{{card_id}}/fraud-reports", cases.report_fraud)
    r.add_get(f"{v1}/cards/{{card_id}}/credit-limit", account.credit_limit)
    r.add_post(f"{v1}/cards/{{card_id}}/credit-limit/requests", account.request_limit)
    r.add_get(f"{v1}/rewards", account.rewards)
    r.add_post(f"{v1}/rewards/redemptions", account.redeem)
    r.add_get(f"{v1}/repayment-plans/offers", plans.repayment_offers)
    r.add_post(f"{v1}/repayment-plans", plans.accept_repayment)
    # Sandbox-only: not part of the contract.
    r.add_get("/sandbox/outbox", state.outbox)
    r.add_get("/sandbox/customers/{customer_id}", state.customer_state)
    r.add_post("/sandbox/reset", state.reset)
    r.add_post("/sandbox/faults", faults.add_fault)
    r.add_delete("/sandbox/faults", faults.clear_faults)
    r.add_get("/health", state.health)


def async_url(url: str) -> str:
    """Maps a plain database URL to its asyncio driver (aiosqlite, asyncpg)."""
    for plain, driver in (("sqlite://", "sqlite+aiosqlite://"),
                          ("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_async_engine(async_url(settings.database_url))
    async with engine.begin() as conn:
        await conn.run_sync(schema.metadata.create_all)
        count = select(func.count()).select_from(schema.customers)
        empty = not (await conn.execute(count)).scalar()
        if settings.seed and empty:
            await seed.seed(conn, now().date())
    app[ENGINE] = engine
    if engine.dialect.name == "sqlite":
        app[DB_LOCK] = asyncio.Lock()
    yield
    await engine.dispose()


def create_app(settings: Settings) -> web.Application:
    """The sandbox bank; the database is opened (and seeded if empty) on startup."""
    app = web.Application(
        middlewares=[errors, api_key, faults.middleware, transaction, idempotency])
    app[SETTINGS] = settings
    app[faults.FAULTS] = []
    app.cleanup_ctx.append(_database)
    _routes(app)
    return app

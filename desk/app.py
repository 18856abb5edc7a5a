"""The desk's aiohttp application: a static page, a JSON API and a websocket.

Security, in the order a request meets it:

* sessions are aiohttp-session's, stored in Redis (the cookie holds only a random key;
  ``HttpOnly``, ``SameSite=Strict``, ``Secure`` behind HTTPS);
* every state-changing request carries the session's CSRF token in ``X-CSRF-Token``
  (compared in constant time).  Written here because the aiohttp CSRF packages are
  unmaintained since 2020; with SameSite cookies this is the second of two locks;
* the websocket is accepted only from the desk's own origin (no cross-site socket hijack);
* a chat is shown and changed only by the agent who holds it: the browser names a ticket,
  never a customer, and the server checks the ticket is theirs.

Every action is audited (``cardcare.handoff_log.Audit``) without message texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import redis.asyncio as redis
import structlog
import yaml
from aiohttp import WSMsgType, web
from aiohttp_session import get_session, new_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.redis_storage import RedisStorage

from cardcare.conversation import LANGUAGES
from cardcare.escalation import Skill
from cardcare.handoff import ClaimRefused, HandoffQueue, Priority, Ticket, reference, waiting
from cardcare.handoff_log import (
    EVENTS,
    NOT_DELIVERED,
    Audit,
    ChatLog,
    LeftMessages,
    Order,
    Outbox,
    Presence,
    Ratings,
    publish,
)
from cardcare.masking import mask_text
from desk.accounts import Account, Accounts

log = structlog.get_logger(__name__)

STATIC = Path(__file__).with_name("static")
CANNED = Path(__file__).with_name("canned.yml")
SESSION_MAX_AGE_S = 8 * 3600  # one shift
MAX_REPLY_CHARS = 2000
# Wrong passwords allowed per username in the window before logins are refused for a while.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_S = 15 * 60
HEARTBEAT_S = 10


@dataclass(frozen=True)
class DeskSettings:
    """What the desk process needs (``desk.__main__`` reads it from the environment)."""

    redis_url: str
    host: str = "127.0.0.1"
    port: int = 8070
    # Set when the desk is served over HTTPS (behind the bank's proxy): cookies Secure.
    secure_cookies: bool = False


@dataclass
class Desk:
    """What the running desk holds."""

    settings: DeskSettings
    client: redis.Redis | None = None
    sockets: dict[str, weakref.WeakSet[web.WebSocketResponse]] = field(default_factory=dict)

    @property
    def redis(self) -> redis.Redis:
        assert self.client is not None, "the desk has not started"
        return self.client


DESK = web.AppKey("desk", Desk)
Handler = Callable[[web.Request, Account], Awaitable[web.StreamResponse]]


def create_app(settings: DeskSettings, client: redis.Redis | None = None) -> web.Application:
    """The desk; its Redis client opens when the app starts (or is ``client``)."""
    app = web.Application(client_max_size=64 * 1024)
    desk = app[DESK] = Desk(settings)
    client = client or redis.from_url(settings.redis_url, socket_timeout=5)
    desk.client = client
    setup_sessions(app, RedisStorage(client, cookie_name="cardcare_desk",
                                     max_age=SESSION_MAX_AGE_S, httponly=True,
                                     samesite="Strict", secure=settings.secure_cookies,
                                     key_factory=lambda: secrets.token_urlsafe(32)))
    app.cleanup_ctx.append(_background)
    app.router.add_get("/", _index)
    app.router.add_get("/health", _health)
    app.router.add_static("/static", STATIC)
    app.router.add_post("/api/login", _login)
    app.router.add_post("/api/logout", _signed_in(_logout))
    app.router.add_get("/api/me", _signed_in(_me))
    app.router.add_get("/api/queue", _signed_in(_queue))
    app.router.add_post("/api/claim", _signed_in(_claim))
    app.router.add_get("/api/chats/{ticket}", _signed_in(_chat))
    app.router.add_post("/api/chats/{ticket}/reply", _signed_in(_reply))
    app.router.add_post("/api/chats/{ticket}/note", _signed_in(_note))
    app.router.add_post("/api/chats/{ticket}/transfer", _signed_in(_transfer))
    app.router.add_post("/api/chats/{ticket}/close", _signed_in(_close))
    app.router.add_get("/api/canned", _signed_in(_canned))
    app.router.add_get("/api/agents", _signed_in(_agents))
    app.router.add_get("/api/messages", _signed_in(_messages))
    app.router.add_post("/api/messages/{reference}/done", _signed_in(_message_done))
    app.router.add_get("/api/supervisor", _signed_in(_supervisor))
    app.router.add_get("/ws", _socket)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Fans the shared events out to this process's sockets; closes Redis on shutdown."""
    desk = app[DESK]
    task = asyncio.ensure_future(_fan_out(desk))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for sockets in desk.sockets.values():
            for ws in list(sockets):
                await ws.close(code=1001, message=b"desk restarting")
        await desk.redis.close()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(
        d, ensure_ascii=False))


def _refuse(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=json.dumps({"error": message}), content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object a POST carries.  Only ``application/json``: a cross-site HTML form can
    send text/plain that parses as JSON (a forged login), but never this type."""
    if request.content_type != "application/json":
        raise _refuse(web.HTTPUnsupportedMediaType, "Send JSON (application/json).")
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise _refuse(web.HTTPBadRequest, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise _refuse(web.HTTPBadRequest, "the body is not a JSON object")
    return data


def _signed_in(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler for a signed-in agent; state changes also need the CSRF token."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        username = session.get("agent")
        account = await Accounts(request.app[DESK].redis).get(username) if username else None
        if account is None:
            raise _refuse(web.HTTPUnauthorized, "Please sign in.")
        if request.method != "GET":
            sent = request.headers.get("X-CSRF-Token", "")
            if not hmac.compare_digest(sent.encode(), str(session.get("csrf", "")).encode()):
                raise _refuse(web.HTTPForbidden, "Missing or wrong CSRF token.")
        return await handler(request, account)

    return wrapped


async def _health(_: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def _index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={
        "Content-Security-Policy": "default-src 'self'; connect-src 'self'; "
                                   "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})


# --- Signing in ---------------------------------------------------------------------------------

async def _login(request: web.Request) -> web.Response:
    data = await _body(request)
    username, password = str(data.get("username", ""))[:64], str(data.get("password", ""))[:256]
    client = request.app[DESK].redis
    failures = f"cardcare:desk:login-failures:{username}"
    if int(await client.get(failures) or 0) >= LOGIN_ATTEMPTS:
        await Audit(client).record(username, "login_refused")
        raise _refuse(web.HTTPTooManyRequests, "Too many wrong passwords: try again later.")
    account = await Accounts(client).verify(username, password)
    if account is None:
        async with client.pipeline(transaction=True) as pipe:
            await pipe.incr(failures).expire(failures, LOGIN_WINDOW_S).execute()
        await Audit(client).record(username, "login_failed")
        raise _refuse(web.HTTPUnauthorized, "Wrong username or password.")
    await client.delete(failures)
    session = await new_session(request)  # a new key: no session fixation
    session["agent"] = account.username
    session["csrf"] = secrets.token_urlsafe(32)
    await Audit(client).record(account.username, "login")
    return _json({"agent": account.public(), "csrf": session["csrf"]})


async def _logout(request: web.Request, account: Account) -> web.Response:
    session = await get_session(request)
    session.invalidate()
    await Audit(request.app[DESK].redis).record(account.username, "logout")
    return web.Response(status=204)


async def _me(request: web.Request, account: Account) -> web.Response:
    session = await get_session(request)
    return _json({"agent": account.public(), "csrf": session["csrf"]})


# --- The queue and claiming ---------------------------------------------------------------------

def _ticket_view(ticket: Ticket, position: int | None = None) -> dict[str, Any]:
    return {"ticket_id": ticket.ticket_id, "reference": ticket.reference,
            "language": ticket.language, "skill": ticket.skill.value,
            "priority": "urgent" if ticket.priority is Priority.URGENT else "normal",
            "reason": ticket.reason, "waited_s": round(time.time() - ticket.asked_ms / 1000, 1),
            "position": position, "channel": ticket.subject.partition(":")[0]}


async def _queue(request: web.Request, account: Account) -> web.Response:
    queue = HandoffQueue(request.app[DESK].redis)
    agent = account.agent
    waiting_tickets = await queue.waiting_tickets(None if account.role == "supervisor"
                                                  else agent.queues())
    return _json({"waiting": [_ticket_view(t, i + 1) for i, t in enumerate(waiting_tickets)],
                  "held": [_ticket_view(t) for t in await queue.held(account.username)]})


async def _claim(request: web.Request, account: Account) -> web.Response:
    data = await _body(request)
    client = request.app[DESK].redis
    queue = HandoffQueue(client)
    wanted = data.get("ticket_id")
    if wanted is not None:
        try:
            ticket: Ticket | None = await queue.claim_ticket(account.agent, str(wanted)[:64])
        except ClaimRefused as refused:
            raise _refuse(web.HTTPConflict, {
                "gone": "That chat is no longer waiting.",
                "taken": "Another agent took that chat.",
                "full": "You are at your capacity of chats.",
                "not_yours": "That chat is not in your languages or skills.",
            }.get(refused.code, "That chat cannot be claimed.")) from None
    else:
        ticket = await queue.claim(account.agent)
        if ticket is None:
            raise _refuse(web.HTTPConflict, "No chat waiting for you, or you are at capacity.")
    assert ticket is not None
    await _joined(client, ticket, account, "claim")
    return _json({"ticket": _ticket_view(ticket)})


async def _joined(client: redis.Redis, ticket: Ticket, account: Account, action: str) -> None:
    await ChatLog(client).append(ticket.ticket_id, "system", f"{account.name} joined.",
                                 account.username)
    await _tell_gateway(client, ticket, "claimed", account)
    await Audit(client).record(account.username, action, ticket.reference,
                               language=ticket.language, skill=ticket.skill.value)
    await publish(client, {"type": "queue"})


async def _tell_gateway(client: redis.Redis, ticket: Ticket, kind: str, agent: Account,
                        text: str = "") -> None:
    """An order for the gateways of the customer's channel (``cardcare.handoff_log.Outbox``);
    a closed chat's ticket travels with it, as it is gone from the queue."""
    await Outbox(client).send(ticket.channel, Order(
        kind, ticket.ticket_id, agent.username, agent.name, text,
        ticket.to_json() if kind == "closed" else ""))


# --- One chat -----------------------------------------------------------------------------------

async def _held_ticket(request: web.Request, account: Account) -> Ticket:
    """The ticket named in the path, if this agent holds it."""
    ticket = await HandoffQueue(request.app[DESK].redis).get(request.match_info["ticket"][:64])
    if ticket is None or ticket.agent != account.username:
        await Audit(request.app[DESK].redis).record(account.username, "refused_chat",
                                                   reference(request.match_info["ticket"]))
        raise _refuse(web.HTTPForbidden, "This chat is not assigned to you.")
    return ticket


async def _chat(request: web.Request, account: Account) -> web.Response:
    ticket = await _held_ticket(request, account)
    client = request.app[DESK].redis
    chats = ChatLog(client)
    context = await chats.context(ticket.ticket_id)
    transcript = [{"id": f"bot-{i}", "who": t.who, "text": t.text, "time": t.time,
                   "agent": None} for i, t in enumerate(context.transcript if context else ())]
    entries = await chats.entries(ticket.ticket_id)
    transcript += [e.to_dict() for e in entries]
    summary = context.summary if context else None
    await Audit(client).record(account.username, "open", ticket.reference)
    return _json({
        "ticket": _ticket_view(ticket),
        "summary": {"language": ticket.language, "reason": ticket.reason,
                    "verified": bool(summary and summary.verified),
                    "intents": list(summary.intents) if summary else [],
                    "entities": dict(summary.entities) if summary else {},
                    "facts": list(summary.facts) if summary else [],
                    "complaint": summary.complaint if summary else None},
        "transcript": transcript,
        "delivery_failures": [{"time": e.time, "reason": e.text} for e in entries
                              if e.who == "system" and e.text.startswith(NOT_DELIVERED)]})


def _text_of(data: dict[str, Any]) -> str:
    text = str(data.get("text", "")).strip()
    if not text:
        raise _refuse(web.HTTPBadRequest, "The message is empty.")
    if len(text) > MAX_REPLY_CHARS:
        raise _refuse(web.HTTPBadRequest, f"At most {MAX_REPLY_CHARS} characters.")
    return text


async def _reply(request: web.Request, account: Account) -> web.Response:
    ticket = await _held_ticket(request, account)
    text = mask_text(_text_of(await _body(request)))  # an agent never sends a full card number
    client = request.app[DESK].redis
    entry = await ChatLog(client).append(ticket.ticket_id, "agent", text, account.username)
    await _tell_gateway(client, ticket, "reply", account, text)
    await Audit(client).record(account.username, "reply", ticket.reference, chars=len(text))
    return _json({"entry": entry.to_dict()})


async def _note(request: web.Request, account: Account) -> web.Response:
    ticket = await _held_ticket(request, account)
    text = _text_of(await _body(request))
    client = request.app[DESK].redis
    entry = await ChatLog(client).append(ticket.ticket_id, "note", text, account.username)
    await Audit(client).record(account.username, "note", ticket.reference)
    return _json({"entry": entry.to_dict()})


async def _transfer(request: web.Request, account: Account) -> web.Response:
    ticket = await _held_ticket(request, account)
    data = await _body(request)
    client = request.app[DESK].redis
    queue, chats = HandoffQueue(client), ChatLog(client)
    if data.get("skill"):
        try:
            skill = Skill(str(data["skill"]))
        except ValueError:
            raise _refuse(web.HTTPBadRequest, "Unknown skill.") from None
        if not await queue.requeue(ticket, skill, by=account.username):
            raise _refuse(web.HTTPConflict, "The chat is no longer yours.")
        await chats.append(ticket.ticket_id, "system",
                           f"{account.name} transferred the chat to {skill.value}.")
        await _tell_gateway(client, ticket, "transferred", account)
        await Audit(client).record(account.username, "transfer", ticket.reference,
                                   to_skill=skill.value)
    elif data.get("agent"):
        target = await Accounts(client).get(str(data["agent"])[:64])
        if target is None or ticket.language not in target.languages:
            raise _refuse(web.HTTPBadRequest, "That agent does not read this chat's language.")
        if not await Presence(client).is_online(target.username):
            raise _refuse(web.HTTPConflict, "That agent is not online.")
        try:
            await queue.assign(ticket, account.username, target.agent)
        except ClaimRefused as refused:
            raise _refuse(web.HTTPConflict, f"Cannot transfer: {refused.code}.") from None
        await chats.append(ticket.ticket_id, "system",
                           f"{account.name} transferred the chat to {target.name}.")
        await _tell_gateway(client, ticket, "transferred", target)
        await Audit(client).record(account.username, "transfer", ticket.reference,
                                   to_agent=target.username)
        await publish(client, {"type": "assigned", "ticket_id": ticket.ticket_id,
                               "agent": target.username})
    else:
        raise _refuse(web.HTTPBadRequest, "Name a skill or an agent.")
    await publish(client, {"type": "queue"})
    return _json({})


async def _close(request: web.Request, account: Account) -> web.Response:
    ticket = await _held_ticket(request, account)
    client = request.app[DESK].redis
    ended = await HandoffQueue(client).end(ticket, by=account.username)
    if ended is None:
        raise _refuse(web.HTTPConflict, "The chat is no longer yours.")
    await ChatLog(client).append(ticket.ticket_id, "system", f"{account.name} closed the chat.",
                                 account.username)
    await _tell_gateway(client, ended, "closed", account)
    await Audit(client).record(account.username, "close", ticket.reference,
                               held_s=int(time.time() - (ended.claimed_ms or 0) / 1000))
    await publish(client, {"type": "chat_ended", "ticket_id": ticket.ticket_id,
                           "why": f"closed by {account.name}"})
    await publish(client, {"type": "queue"})
    return _json({})


# --- Helpers for the page -----------------------------------------------------------------------

@cache
def _canned_replies() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(CANNED.read_text(encoding="utf-8"))
    return data


async def _canned(request: web.Request, _: Account) -> web.Response:
    language = request.query.get("language", "en")
    if language not in LANGUAGES:
        raise _refuse(web.HTTPBadRequest, "Unknown language.")
    return _json({"replies": [{"key": key, "title": reply["title"], "text": reply[language]}
                              for key, reply in _canned_replies().items()]})


async def _agents(request: web.Request, _: Account) -> web.Response:
    client = request.app[DESK].redis
    online = {a.agent_id for a in await Presence(client).online()}
    return _json({"agents": [{"id": a.username, "name": a.name, "languages": list(a.languages),
                              "skills": list(a.skills), "online": a.username in online}
                             for a in await Accounts(client).all()]})


async def _messages(request: web.Request, account: Account) -> web.Response:
    left = await LeftMessages(request.app[DESK].redis).open()
    visible = [m for m in left if account.role == "supervisor"
               or (m.language in account.languages and m.skill in account.skills)]
    return _json({"messages": [{"reference": m.reference, "language": m.language,
                                "skill": m.skill, "reason": m.reason, "text": m.text,
                                "created": m.created, "summary": m.context.get("summary")}
                               for m in visible]})


async def _message_done(request: web.Request, account: Account) -> web.Response:
    client = request.app[DESK].redis
    reference_ = request.match_info["reference"][:32]
    left = await LeftMessages(client).get(reference_)
    if left is None:
        raise _refuse(web.HTTPNotFound, "No such open message.")
    if account.role != "supervisor" and left.language not in account.languages:
        raise _refuse(web.HTTPForbidden, "That message is not in your languages.")
    await LeftMessages(client).done(reference_)
    await Audit(client).record(account.username, "message_done", reference_)
    await publish(client, {"type": "messages"})
    return _json({})


async def _supervisor(request: web.Request, account: Account) -> web.Response:
    if account.role != "supervisor":
        raise _refuse(web.HTTPForbidden, "Supervisors only.")
    client = request.app[DESK].redis
    queue = HandoffQueue(client)
    now_ms = time.time() * 1000
    queues = []
    for language in LANGUAGES:
        for skill in Skill:
            first = await client.zrange(waiting(language, skill), 0, 0)
            oldest = await queue.get(first[0].decode()) if first else None
            queues.append({"language": language, "skill": skill.value,
                           "waiting": await client.zcard(waiting(language, skill)),
                           "oldest_wait_s": round((now_ms - oldest.asked_ms) / 1000, 1)
                           if oldest else 0})
    online = {a.agent_id for a in await Presence(client).online()}
    agents = [{"id": a.username, "name": a.name, "online": a.username in online,
               "chats": len(await queue.held(a.username)), "capacity": a.capacity}
              for a in await Accounts(client).all()]
    ratings = await Ratings(client).all()
    by_agent: dict[str, list[int]] = {}
    for rating in ratings:
        by_agent.setdefault(rating["agent"], []).append(int(rating["score"]))
    scores = [int(r["score"]) for r in ratings]
    return _json({"queues": queues, "agents": agents, "csat": {
        "average": round(sum(scores) / len(scores), 2) if scores else None,
        "count": len(scores),
        "by_agent": {a: {"average": round(sum(s) / len(s), 2), "count": len(s)}
                     for a, s in by_agent.items()}}})


# --- The live socket ----------------------------------------------------------------------------

async def _socket(request: web.Request) -> web.WebSocketResponse:
    """Pushes queue changes and the agent's chats' new lines; keeps the agent present."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.split("://", 1)[-1] != request.host:
        raise web.HTTPForbidden(text="cross-origin socket")
    session = await get_session(request)
    desk = request.app[DESK]
    account = await Accounts(desk.redis).get(session.get("agent", "")) \
        if session.get("agent") else None
    if account is None:
        raise web.HTTPUnauthorized()
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    desk.sockets.setdefault(account.username, weakref.WeakSet()).add(ws)
    presence = Presence(desk.redis)
    beat = asyncio.ensure_future(_beat(presence, account))
    try:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break
    finally:
        beat.cancel()
        desk.sockets.get(account.username, weakref.WeakSet()).discard(ws)
    return ws


async def _beat(presence: Presence, account: Account) -> None:
    while True:
        await presence.beat(account.agent)
        await asyncio.sleep(HEARTBEAT_S)


async def _fan_out(desk: Desk) -> None:
    """Shared events to this process's sockets: chat lines only to the chat's agent."""
    while True:
        try:
            pubsub = desk.redis.pubsub()
            await pubsub.subscribe(EVENTS)
            queue = HandoffQueue(desk.redis)
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                event = json.loads(message["data"])
                targets: list[str] = list(desk.sockets)
                if event.get("type") in ("entry", "delivery_failed"):
                    ticket = await queue.get(event.get("ticket_id", ""))
                    targets = [ticket.agent] if ticket and ticket.agent else []
                for agent_id in targets:
                    for ws in list(desk.sockets.get(agent_id, ())):
                        with contextlib.suppress(ConnectionError, RuntimeError):
                            await ws.send_str(json.dumps(event, ensure_ascii=False))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("desk.events.failed")
            await asyncio.sleep(1)

"""The web chat: a page for trying CardCare in a browser, over a websocket.

The user is who their cookie says: the gateway issues a random id signed with
``WEB_CHAT_SECRET`` (HttpOnly, SameSite=Strict), and the page never names a user, so nobody
can open another person's chat.  The socket only accepts the page's own origin.  Buttons carry
tokens, never payloads.  Answers reach the socket through Redis pub/sub, whichever instance
handled the message, and the last messages are kept so a reload shows the conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as redis
import structlog
from aiohttp import WSMsgType, web

from bot import keys
from bot.events import Events
from bot.locale import language_of, language_of_accept
from bot.messages import BotMessage, Inbound, Kind
from cardcare.conversation import LANGUAGES, MASK
from cardcare.masking import mask_text

log = structlog.get_logger(__name__)

NAME = "web"
STATIC = Path(__file__).with_name("web") / "static"
COOKIE = "cardcare_web"
COOKIE_MAX_AGE_S = 30 * 24 * 3600
HISTORY_KEEP = 100
HISTORY_TTL_S = 7 * 24 * 3600
# How long the bot waits for a verification answer (the bank's code lives 5 minutes).
SECRET_ANSWER_TTL_S = 15 * 60
# A browser message is one line of text; nothing legitimate comes near this.
MAX_FRAME_BYTES = 16 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class WebChannel:
    """Serves the page and the socket, and delivers answers to the user's sockets."""

    name = NAME

    def __init__(self, secret: str, submit: Any, client: redis.Redis, events: Events) -> None:
        if len(secret) < 16:
            raise ValueError("WEB_CHAT_SECRET must have at least 16 characters")
        self.secret = secret.encode()
        self.submit = submit  # Conversations.submit
        self.client = client
        self.events = events


    def _sign(self, user_id: str) -> str:
        return hmac.new(self.secret, user_id.encode(), hashlib.sha256).hexdigest()[:32]

    def user_of(self, request: web.Request) -> str | None:
        """The user id the cookie proves, or None for a missing or forged cookie."""
        user_id, _, signature = request.cookies.get(COOKIE, "").partition(".")
        if user_id and hmac.compare_digest(signature, self._sign(user_id)):
            return user_id
        return None

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The chat page; a new visitor gets an identity cookie."""
        response = web.FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)
        if self.user_of(request) is None:
            user_id = secrets.token_urlsafe(16)
            secure = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
            response.set_cookie(COOKIE, f"{user_id}.{self._sign(user_id)}", httponly=True,
                                samesite="Strict", secure=secure, max_age=COOKIE_MAX_AGE_S,
                                path="/chat")
        return response

    async def socket(self, request: web.Request) -> web.StreamResponse:
        """One browser tab's connection."""
        user_id = self.user_of(request)
        if user_id is None:
            raise web.HTTPUnauthorized(text="open /chat first")
        origin = request.headers.get("Origin")
        if origin is None or urlsplit(origin).netloc != request.host:
            log.warning("web.socket.cross_origin")
            raise web.HTTPForbidden(text="cross-origin socket refused")
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=30)
        await ws.prepare(request)
        channel = keys.web_events(user_id)
        queue = await self.events.listen(channel)
        forward = asyncio.ensure_future(_forward(queue, ws))
        hint = language_of_accept(request.headers.get("Accept-Language"))
        try:
            await ws.send_json(await self._history(user_id, hint))
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                hint = await self._receive(user_id, frame.data, hint, ws) or hint
        finally:
            forward.cancel()
            await self.events.unlisten(channel, queue)
        return ws

    async def _history(self, user_id: str, hint: str | None) -> dict[str, Any]:
        subject = f"{NAME}:{user_id}"
        stored = await self.client.lrange(keys.history(subject), 0, -1)
        language = await self.client.get(keys.language(subject))
        return {"type": "history", "messages": [json.loads(m) for m in stored],
                "language": (language.decode() if isinstance(language, bytes) else language)
                or hint}

    async def _receive(self, user_id: str, data: str, hint: str | None,
                       ws: web.WebSocketResponse) -> str | None:
        """Queues one browser message; returns the language the user picked, if they did."""
        try:
            frame = json.loads(data)
            kind = frame["type"]
        except (ValueError, KeyError, TypeError):
            await ws.send_json({"type": "error", "text": "malformed message"})
            return None
        picked = None
        if kind == "message" and isinstance(frame.get("text"), str) and frame["text"].strip():
            inbound_kind, value = Kind.TEXT, frame["text"]
            secret = await self.client.get(keys.secret_answer(f"{NAME}:{user_id}"))
            await self._remember(user_id, {"from": "user", "text": MASK if secret else value})
        elif kind == "choice" and isinstance(frame.get("token"), str):
            inbound_kind, value = Kind.CHOICE, frame["token"]
        elif kind == "language" and frame.get("language") in LANGUAGES:
            picked = language_of(frame["language"]) or frame["language"]
            inbound_kind = Kind.COMMAND
            value = f'/change_language{{"target_language":"{frame["language"]}"}}'
        else:
            await ws.send_json({"type": "error", "text": "unknown message"})
            return None
        await self.submit(Inbound(channel=NAME, user_id=user_id, kind=inbound_kind, value=value,
                                  message_id=uuid.uuid4().hex, language_hint=picked or hint))
        await self._publish(user_id, {"type": "typing", "on": True})
        return picked

    async def deliver(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Shows the answer in every tab of the user, and keeps it for a reload."""
        if not messages:  # an answer without a question: the next message is no secret
            await self.client.delete(keys.secret_answer(f"{NAME}:{inbound.user_id}"))
        await self.push(inbound, messages)
        await self._publish(inbound.user_id, {"type": "typing", "on": False})

    async def push(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Shows messages outside an answer (an agent's, a queue update): no typing change."""
        secret_key = keys.secret_answer(f"{NAME}:{inbound.user_id}")
        if any(m.asks_secret for m in messages):
            await self.client.set(secret_key, "1", ex=SECRET_ANSWER_TTL_S)
        elif messages:
            await self.client.delete(secret_key)
        for message in messages:
            shown = {"from": "bot", "text": message.text,
                     "buttons": [{"title": b.title, "token": b.token} for b in message.buttons]}
            await self._remember(inbound.user_id, shown)
            await self._publish(inbound.user_id, {
                "type": "bot", "text": shown["text"], "buttons": shown["buttons"],
                "language": message.language})

    async def _remember(self, user_id: str, entry: dict[str, Any]) -> None:
        key = keys.history(f"{NAME}:{user_id}")
        entry = {**entry, "text": mask_text(entry.get("text") or "")}  # kept, so masked
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(entry, ensure_ascii=False))
            pipe.ltrim(key, -HISTORY_KEEP, -1)
            pipe.expire(key, HISTORY_TTL_S)
            await pipe.execute()

    async def _publish(self, user_id: str, event: dict[str, Any]) -> None:
        await self.client.publish(keys.web_events(user_id), json.dumps(event, ensure_ascii=False))


async def _forward(queue: asyncio.Queue[str], ws: web.WebSocketResponse) -> None:
    """Sends what is published for the user to this tab."""
    while not ws.closed:
        data = await queue.get()
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await ws.send_str(data)

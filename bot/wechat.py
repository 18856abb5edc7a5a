"""A WeChat official account (公众号) through wechatpy: signatures, safe mode, passive replies.

wechatpy checks signatures, decrypts and parses messages and renders replies; its API client is
not used (``bot.wechat_api`` says why).  Rules of the platform kept here:

* the GET ``echostr`` handshake, and the signature of every request checked (in safe mode
  the message's ``msg_signature`` too, which is what proves the encrypted body; wechatpy#739);
* plaintext, compatible and safe (AES) modes: a reply is encrypted when the request was;
* WeChat waits 5 s for a reply, then retries the same message up to three times: a retry is
  recognised by MsgId (events: FromUserName + CreateTime) and handled once, on any instance;
  the answer goes back passively if it comes within ``wechat_passive_s``, else through the
  customer-service API (``bot.passive``);
* no buttons: choices are numbered lines, and a typed number chooses (``bot.choices``);
* at most 2048 bytes a message; ``]]>`` in a text would break wechatpy's reply XML.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import structlog
from aiohttp import web
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot import keys
from bot.delivery import FailedDeliveries, Permanent, deliver_with_retries
from bot.events import Events
from bot.locale import language_of
from bot.messages import BotMessage, Inbound, Kind, split
from bot.passive import PassiveReplies
from bot.settings import WeChatSettings
from bot.texts import text
from bot.wechat_api import WeChatAPI

log = structlog.get_logger(__name__)

NAME = "wechat"
MAX_BYTES = 2048
# A request older than this is a replay, not WeChat (its retries come within 15 s).
MAX_AGE_S = 300
_MENU_KEY = re.compile(r"(?:intent:|/)?([a-z][a-z_]{1,40})")
_LANGUAGE_TTL_S = 7 * 24 * 3600
SUCCESS = "success"  # tells WeChat not to retry; the answer will be pushed


def _bytes(value: str) -> int:
    return len(value.encode("utf-8"))


class WeChatChannel:
    """Receives an official account's messages and answers them."""

    name = NAME

    def __init__(self, settings: WeChatSettings, submit: Any, api: WeChatAPI, events: Events,
                 failures: FailedDeliveries, passive_s: float, instance: str) -> None:
        self.settings = settings
        self.submit = submit  # Conversations.submit
        self.api = api
        self.passive = PassiveReplies(api.client, events, self.push)
        self.failures = failures
        self.passive_s = passive_s
        self.instance = instance
        self.crypto = (WeChatCrypto(settings.token, settings.aes_key, settings.app_id)
                       if settings.aes_key else None)
        self._tasks: set[asyncio.Task[None]] = set()


    def _signed(self, request: web.Request) -> bool:
        query = request.query
        try:
            check_signature(self.settings.token, query.get("signature", ""),
                            query.get("timestamp", ""), query.get("nonce", ""))
            fresh = abs(time.time() - int(query.get("timestamp", "0"))) <= MAX_AGE_S
        except (InvalidSignatureException, ValueError):
            return False
        return fresh

    async def handshake(self, request: web.Request) -> web.Response:
        """WeChat's check of the callback URL: echo ``echostr`` if the signature is ours."""
        if not self._signed(request):
            log.warning("wechat.handshake.forged")
            return web.Response(status=403, text="forbidden")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        """One pushed message: queued once, answered passively in time or pushed later."""
        started = time.monotonic()
        if not self._signed(request):
            log.warning("wechat.message.forged")
            return web.Response(status=403, text="forbidden")
        body = await request.read()
        encrypted = request.query.get("encrypt_type", "raw") == "aes"
        try:
            xml = self._decrypt(body, request) if encrypted else body.decode("utf-8")
            message = parse_message(xml)
        except (InvalidSignatureException, InvalidAppIdException):
            log.warning("wechat.message.forged", mode="aes")
            return web.Response(status=403, text="forbidden")
        except Exception as error:  # wechatpy raises many kinds on malformed input
            log.warning("wechat.message.unreadable", error_type=type(error).__name__)
            return web.Response(status=400, text="bad request")
        inbound = await self.inbound_of(message)
        if inbound is None:
            return web.Response(text=SUCCESS)
        expected = self.passive.expect(inbound)
        if await self.submit(inbound):
            answer = await self.passive.wait(
                inbound, expected, self.passive_s - (time.monotonic() - started))
        else:  # WeChat's retry: the first request may have died; answer if nobody did
            expected.cancel()
            answer = await self.passive.take(inbound, give_up=True)
        if not answer:
            return web.Response(text=SUCCESS)
        parts = [p for m in answer for p in self.render(m)]
        if len(parts) > 1:
            self._spawn(self.push_parts(inbound, parts[1:]))
        reply = create_reply(_cdata_safe(parts[0]), message).render()
        if encrypted and self.crypto is not None:
            reply = self.crypto.encrypt_message(reply, request.query.get("nonce", ""))
        return web.Response(text=reply, content_type="application/xml")

    def _decrypt(self, body: bytes, request: web.Request) -> str:
        if self.crypto is None:
            raise InvalidSignatureException("safe mode without an AES key")
        query = request.query
        return str(self.crypto.decrypt_message(body, query.get("msg_signature", ""),
                                               query.get("timestamp", ""),
                                               query.get("nonce", "")))

    async def inbound_of(self, message: Any) -> Inbound | None:
        """The channel-neutral message, or None for events the bot does not answer."""
        openid = str(message.source)
        kind, value = _kind_and_value(message)
        if kind is None:
            return None
        is_event = message.type == "event"
        message_id = f"{openid}:{message.time}:{message.event}" if is_event else str(message.id)
        await self.api.grant_quota(openid, after_event=is_event)
        return Inbound(channel=NAME, user_id=openid, kind=kind, value=value,
                       message_id=message_id, language_hint=await self._hint(openid, is_event),
                       origin=self.instance)

    async def _hint(self, openid: str, wait: bool) -> str | None:
        """The user's WeChat language, cached; asked of WeChat in the background (or now,
        briefly, when the user just subscribed and the greeting needs it)."""
        cached = await self.api.client.get(keys.wechat_language(openid))
        if cached is not None:
            return language_of(cached.decode() if isinstance(cached, bytes) else cached)
        lookup = asyncio.ensure_future(self._remember_language(openid))
        if wait:
            try:
                return await asyncio.wait_for(asyncio.shield(lookup), 1.0)
            except asyncio.TimeoutError:
                return None
        return None

    async def _remember_language(self, openid: str) -> str | None:
        language = await self.api.user_language(openid)
        await self.api.client.set(keys.wechat_language(openid), language or "", ex=_LANGUAGE_TTL_S)
        return language_of(language)

    def render(self, message: BotMessage) -> list[str]:
        """A message as WeChat texts: choices as numbered lines, at most 2048 bytes each."""
        body = message.text
        if message.buttons:
            lines = "\n".join(f"{i}. {b.title}" for i, b in enumerate(message.buttons, 1))
            hint = text("reply_with_number", message.language)
            body = f"{body}\n\n{lines}\n{hint}" if body else f"{lines}\n{hint}"
        return split(body, MAX_BYTES, _bytes) if body else []

    async def deliver(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Hands the answer to the waiting request, or pushes it (``bot.passive``)."""
        await self.passive.offer(inbound, messages)

    async def push(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Sends the answer through the customer-service API (outside the 5-second window)."""
        await self.push_parts(inbound, [p for m in messages for p in self.render(m)])

    async def push_parts(self, inbound: Inbound, parts: list[str]) -> None:
        """Sends texts in order; one that cannot be delivered is recorded, and so are the rest."""
        for part in parts:
            try:
                await deliver_with_retries(NAME, lambda part=part: self.api.send_text(
                    inbound.user_id, part))
            except Permanent as error:
                await self.failures.record(NAME, inbound.subject, error.reason)
                return

    async def close(self) -> None:
        """Finishes sending what was being pushed."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _kind_and_value(message: Any) -> tuple[Kind | None, str]:
    """What the user did, for the message types WeChat pushes."""
    if message.type == "text":
        return Kind.TEXT, str(message.content or "")
    if message.type == "voice":
        recognition = getattr(message, "recognition", None)  # WeChat's speech recognition
        return (Kind.TEXT, str(recognition)) if recognition else (Kind.UNSUPPORTED, "voice")
    if message.type == "event":
        if message.event in ("subscribe", "subscribe_scan"):
            return Kind.COMMAND, "/start"
        if message.event == "click":
            key = _MENU_KEY.fullmatch(str(getattr(message, "key", "") or ""))
            return (Kind.COMMAND, f"/{key.group(1)}") if key else (None, "")
        return None, ""  # unsubscribe, view (a link was opened), location reports ...
    return Kind.UNSUPPORTED, str(message.type)


def _cdata_safe(value: str) -> str:
    """wechatpy wraps texts in CDATA without escaping its end marker."""
    return value.replace("]]>", "]] >")

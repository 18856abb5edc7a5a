"""The gateway's aiohttp application: the only public face of CardCare.

``create_app`` builds it from ``Settings``: one Redis client and one HTTP session for the
process (cleanup contexts), the ordering of conversations, the router to Rasa or a person,
and the channels that are configured (Telegram and WeChat when their secrets are set, the
web chat when ``WEB_CHAT_SECRET`` is).  Rasa and the action server stay on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp
import redis.asyncio as redis
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.delivery import FailedDeliveries
from bot.events import Events
from bot.handoff import relay_forever, watch_forever
from bot.ordering import Conversations
from bot.passive import PassiveReplies
from bot.rasa import RasaClient
from bot.router import Channel, Router
from bot.settings import Settings
from bot.telegram import TelegramChannel
from bot.webchat import STATIC, WebChannel
from bot.wechat import WeChatChannel
from bot.wechat_api import WeChatAPI
from cardcare.bearer import bearer_matches


@dataclass
class Gateway:
    """What the running gateway holds; filled when the app starts."""

    settings: Settings
    redis: redis.Redis | None = None
    conversations: Conversations | None = None
    router: Router | None = None
    channels: dict[str, Channel] = field(default_factory=dict)
    telegram: TelegramChannel | None = None
    wechat: WeChatChannel | None = None
    web: WebChannel | None = None
    passive: PassiveReplies | None = None


GATEWAY = web.AppKey("gateway", Gateway)


def create_app(settings: Settings) -> web.Application:
    """The gateway for ``settings``; resources are opened when the app starts.

    Routes exist only for the configured channels.  Their handlers look the channel up at
    request time, because aiohttp freezes the routes before resources can be opened.
    """
    app = web.Application(client_max_size=settings.max_body_bytes)
    gateway = app[GATEWAY] = Gateway(settings)
    app.cleanup_ctx.append(_resources)
    app.router.add_get("/health", _health)
    if settings.metrics_token:
        app.router.add_get("/metrics", _metrics)
    if settings.telegram:
        app.router.add_post("/telegram/webhook", lambda r: _need(gateway.telegram).webhook(r))
    if settings.wechat:
        app.router.add_get("/wechat", lambda r: _need(gateway.wechat).handshake(r))
        app.router.add_post("/wechat", lambda r: _need(gateway.wechat).receive(r))
    if settings.web_secret:
        app.router.add_get("/", lambda _: _redirect_to_chat())
        app.router.add_get("/chat", lambda r: _need(gateway.web).page(r))
        app.router.add_get("/chat/ws", lambda r: _need(gateway.web).socket(r))
        app.router.add_static("/chat/static", STATIC)
    return app


T = TypeVar("T")


def _need(channel: T | None) -> T:
    if channel is None:
        raise web.HTTPServiceUnavailable(text="starting")
    return channel


async def _redirect_to_chat() -> web.Response:
    raise web.HTTPFound("/chat")


async def _resources(app: web.Application) -> AsyncIterator[None]:
    """Opens everything the gateway holds, and closes it in reverse order on shutdown."""
    gateway = app[GATEWAY]
    settings = gateway.settings
    instance = settings.instance or secrets.token_hex(4)
    client = redis.from_url(settings.redis_url, socket_timeout=5, health_check_interval=30)
    await client.ping()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
    events = Events(client, instance)
    await events.start()
    channels: dict[str, Channel] = {}
    failures = FailedDeliveries(client)
    rasa = RasaClient(session, settings.rasa_urls, settings.rasa_token, settings.rasa_timeout_s)
    router = Router(client, rasa, channels, settings.rate_per_minute, settings.max_text_chars,
                    settings.handoff_hours)
    conversations = Conversations(client, router.handle, settings.lease_s)
    telegram = None
    if settings.telegram:
        telegram = TelegramChannel(settings.telegram, conversations.submit, failures, session)
        channels[telegram.name] = gateway.telegram = telegram
        await telegram.start()
    if settings.wechat:
        api = WeChatAPI(session, client, settings.wechat)
        wechat = WeChatChannel(settings.wechat, conversations.submit, api, events, failures,
                               settings.wechat_passive_s, instance)
        gateway.passive = wechat.passive
        channels[wechat.name] = gateway.wechat = wechat
    if settings.web_secret:
        web_chat = WebChannel(settings.web_secret, conversations.submit, client, events)
        channels[web_chat.name] = gateway.web = web_chat
    gateway.redis, gateway.conversations, gateway.router = client, conversations, router
    gateway.channels = channels
    sweeper = asyncio.ensure_future(conversations.sweep_forever())
    stopping = asyncio.Event()
    handoff_loops = [
        asyncio.ensure_future(relay_forever(router.handoffs, list(channels), instance, stopping)),
        asyncio.ensure_future(watch_forever(router.handoffs, stopping, settings.handoff_watch_s))]
    try:
        yield
    finally:
        sweeper.cancel()
        stopping.set()
        _, stuck = await asyncio.wait(handoff_loops, timeout=10)
        for task in stuck:  # not expected: the loops end within their Redis block time
            task.cancel()
        await asyncio.gather(sweeper, *handoff_loops, return_exceptions=True)
        await conversations.close()
        if gateway.passive:
            await gateway.passive.close()
        if gateway.wechat:
            await gateway.wechat.close()
        if telegram:
            with contextlib.suppress(Exception):
                await telegram.stop()
        await events.stop()
        await session.close()
        await client.close()


async def _health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _metrics(request: web.Request) -> web.Response:
    """Prometheus metrics for a scraper holding the token: they say how busy the bank's chat
    is.  (Not "loopback only": behind a reverse proxy on the same host, everyone is loopback.)"""
    if not bearer_matches(request.headers.get("Authorization"),
                          request.app[GATEWAY].settings.metrics_token):
        raise web.HTTPUnauthorized()
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

"""Gateway fixtures (a pytest plugin of the root conftest): a real gateway app on loopback, real
Redis, a recording stand-in for Rasa, and a browser-like client of the web chat socket."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from bot import keys
from bot.app import GATEWAY, Gateway, create_app
from bot.settings import Settings
from tests.conftest import TEST_REDIS_URL
from tests.fakes.rasa import TOKEN, FakeRasa

WEB_SECRET = "web-chat-test-secret-0123456789"


async def idle(client: aioredis.Redis, subject: str, timeout: float = 60) -> None:
    """Waits until the gateway has handled and answered every message of ``subject``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await client.zscore(keys.PENDING, subject) is not None:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{subject} still has messages waiting after {timeout} s")
        await asyncio.sleep(0.02)


async def failed_deliveries(client: aioredis.Redis, timeout: float = 5) -> list[dict[bytes, bytes]]:
    """The records of deliveries that failed for good, once there is at least one."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (records := await client.xrange(keys.FAILED_DELIVERIES)):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no failed delivery recorded within {timeout} s")
        await asyncio.sleep(0.05)
    return [fields for _, fields in records]


@dataclasses.dataclass
class RunningGateway:
    """One gateway instance under test."""

    url: str
    app: web.Application

    @property
    def state(self) -> Gateway:
        return self.app[GATEWAY]


@pytest.fixture
async def redis_clean(redis_client: Any) -> AsyncIterator[aioredis.Redis]:
    """An async client of the tests' database, with the gateway's keys removed before a test."""
    client = aioredis.from_url(TEST_REDIS_URL)
    keys = [k for pattern in ("cardcare:gw:*", "cardcare:handoff:*", "cardcare:desk:*")
            async for k in client.scan_iter(pattern)]
    if keys:
        await client.delete(*keys)
    yield client
    await client.close()


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    async with FakeRasa() as rasa:
        yield rasa


StartGateway = Callable[..., Awaitable[RunningGateway]]


@pytest.fixture
async def start_gateway(redis_clean: aioredis.Redis) -> AsyncIterator[StartGateway]:
    """Starts gateway instances (as many as a test wants) on free loopback ports."""
    runners: list[web.AppRunner] = []

    async def start(rasa_urls: tuple[str, ...], **overrides: Any) -> RunningGateway:
        settings = Settings(redis_url=TEST_REDIS_URL, rasa_urls=rasa_urls, rasa_token=TOKEN,
                            web_secret=WEB_SECRET, instance=f"test{len(runners)}")
        app = create_app(dataclasses.replace(settings, **overrides))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        return RunningGateway(f"http://{host}:{port}", app)

    yield start
    for runner in reversed(runners):
        await runner.cleanup()


class Browser:
    """A browser tab: loads the page (getting the cookie), then talks over the socket."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def open(self, language: str = "en-US,en;q=0.9") -> dict[str, Any]:
        async with self.session.get(f"{self.url}/chat") as page:
            assert page.status == 200
            assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        self.ws = await self.session.ws_connect(
            f"{self.url}/chat/ws", origin=self.url, headers={"Accept-Language": language})
        return await self.receive("history")

    async def send(self, **frame: Any) -> None:
        assert self.ws is not None
        await self.ws.send_json(frame)

    async def _frame(self, timeout: float) -> dict[str, Any]:
        assert self.ws is not None
        message = await self.ws.receive(timeout=timeout)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"the socket sent {message.type.name}: {message.data!r} "
                                 f"({message.extra!r})")
        frame: dict[str, Any] = json.loads(message.data)
        return frame

    async def receive(self, kind: str = "bot", timeout: float = 5) -> dict[str, Any]:
        while True:
            frame = await self._frame(timeout)
            if frame["type"] == kind:
                return frame

    async def answer(self, timeout: float = 60) -> list[dict[str, Any]]:
        """The bot messages of one answer (until the typing indicator goes off)."""
        messages: list[dict[str, Any]] = []
        while True:
            frame = await self._frame(timeout)
            if frame["type"] == "bot":
                messages.append(frame)
            elif frame["type"] == "typing" and not frame["on"]:
                return messages

    async def subject(self, _: Any = None) -> str:
        """This tab's chat subject (the id its cookie proves)."""
        cookie = next(c for c in self.session.cookie_jar if c.key == "cardcare_web")
        return "web:" + cookie.value.partition(".")[0]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.session.close()

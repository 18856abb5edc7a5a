"""Desk fixtures: the real desk app on loopback over the tests' Redis, agents that sign in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from desk.accounts import Account, Accounts
from desk.app import DeskSettings, create_app
from tests.conftest import TEST_REDIS_URL

PASSWORD = "correct horse battery"


class DeskUser:
    """An agent's browser session with the desk's API: cookie, CSRF token, socket."""

    def __init__(self, url: str, account: Account) -> None:
        self.url, self.account = url, account
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(self, password: str = PASSWORD) -> aiohttp.ClientResponse:
        async with self.http.post(f"{self.url}/api/login", json={
                "username": self.account.username, "password": password}) as response:
            if response.status == 200:
                self.csrf = (await response.json())["csrf"]
            await response.read()
            return response

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(f"{self.url}{path}") as response:
            return response.status, await response.json()

    async def post(self, path: str, body: dict[str, Any] | None = None,
                   csrf: bool = True) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        async with self.http.post(f"{self.url}{path}", json=body or {},
                                  headers=headers) as response:
            return response.status, (await response.json() if response.status != 204 else None)

    async def connect(self) -> aiohttp.ClientWebSocketResponse:
        """The desk's socket (which also marks the agent present)."""
        return await self.http.ws_connect(f"{self.url}/ws", origin=self.url)

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def desk_url(redis_clean: aioredis.Redis) -> AsyncIterator[str]:
    """The desk app on a free loopback port (the gateway's fixtures clean its keys)."""
    runner = web.AppRunner(create_app(DeskSettings(redis_url=TEST_REDIS_URL)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


AgentFactory = Callable[..., Awaitable[DeskUser]]


@pytest.fixture
async def agent(desk_url: str, redis_clean: aioredis.Redis) -> AsyncIterator[AgentFactory]:
    """Creates an account and returns its signed-in session (``login=False``: not yet)."""
    users: list[DeskUser] = []

    async def make(username: str, languages: str = "en", skills: str = "general",
                   role: str = "agent", capacity: int = 3, login: bool = True) -> DeskUser:
        account = await Accounts(redis_clean).create(
            username, PASSWORD, username.title(), role, languages.split(","),
            skills.split(","), capacity)
        user = DeskUser(desk_url, account)
        users.append(user)
        if login:
            assert (await user.login()).status == 200
        return user

    yield make
    for user in users:
        await user.close()

"""What the loopback fakes share: serving an aiohttp app on a free port, and waiting for a state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from aiohttp import web

_S = TypeVar("_S", bound="LoopbackServer")

# Graceful shutdown waits this long for handlers still running (a long poll, a stalled reply);
# aiohttp's default of 60 s would make a test that forgot one hang for a minute.
SHUTDOWN_TIMEOUT_S = 1.0


class LoopbackServer:
    """An aiohttp app served on 127.0.0.1 at a port the OS picks, while ``async with`` runs.

    Port 0 rather than a fixed port so that tests running side by side never collide.
    Subclasses build their app in ``_app`` and may wake their waiters in ``_on_stop``.
    """

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash.

        Raises:
            RuntimeError: the server is not running.
        """
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not running; use `async with`")
        return self._url

    def _app(self) -> web.Application:
        raise NotImplementedError

    async def _on_stop(self) -> None:
        """Called before the server shuts down; long-running handlers should return."""

    async def start(self) -> None:
        """Serves the app on a free loopback port (``url`` tells which)."""
        runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self._runner, self._url = runner, f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stops serving; safe to call twice."""
        if self._runner is None:
            return
        await self._on_stop()
        runner, self._runner, self._url = self._runner, None, None
        await runner.cleanup()

    async def __aenter__(self: _S) -> _S:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()


async def wait_until(changed: asyncio.Condition, predicate: Callable[[], bool],
                     timeout: float) -> bool:
    """Waits until ``predicate()`` holds, re-checking each time ``changed`` is notified.

    Returns:
        Whether the predicate held before ``timeout`` seconds passed.
    """

    async def until() -> None:
        async with changed:
            await changed.wait_for(predicate)

    try:
        await asyncio.wait_for(until(), timeout)
    except asyncio.TimeoutError:
        return predicate()
    return True


async def notify(changed: asyncio.Condition) -> None:
    """Wakes every waiter of ``changed`` so it re-checks its predicate."""
    async with changed:
        changed.notify_all()

"""python-telegram-bot's HTTP requests made with the gateway's aiohttp session.

PTB sends through httpx by default.  Profiled under load (16 users, py-spy on the gateway),
httpx/httpcore took half of the gateway's CPU: its connection pool scans every pooled
connection, with a syscall each, on every request.  PTB's documented way to change this is
its ``request=`` argument with a ``BaseRequest``; this one uses the aiohttp session the
gateway already holds for Rasa and WeChat (one HTTP client per process).
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults (HTTPXRequest): 5 s to connect, read and write, 20 s to upload a file.
TIMEOUT_S = 5.0
MEDIA_TIMEOUT_S = 20.0


class AiohttpRequest(BaseRequest):
    """PTB's requests over an aiohttp session owned by the caller (not closed here)."""

    def __init__(self, session: aiohttp.ClientSession, timeout_s: float = TIMEOUT_S) -> None:
        self.session = session
        self.timeout_s = timeout_s

    @property
    def read_timeout(self) -> float | None:
        """How long PTB may wait for an answer (it adds a long poll's own timeout to this)."""
        return self.timeout_s

    async def initialize(self) -> None:
        """Nothing to open: the session belongs to the gateway."""

    async def shutdown(self) -> None:
        """Nothing to close: the session belongs to the gateway."""

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: object = BaseRequest.DEFAULT_NONE,
                         write_timeout: object = BaseRequest.DEFAULT_NONE,
                         connect_timeout: object = BaseRequest.DEFAULT_NONE,
                         pool_timeout: object = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        """Sends one Bot API call: form fields, or multipart when it uploads a file.

        Raises:
            TimedOut: no answer in time (PTB's own error, so PTB's callers see the usual).
            NetworkError: the connection failed.
        """
        read = read_timeout if isinstance(read_timeout, (int, float)) else self.timeout_s
        files = request_data.multipart_data if request_data else None
        data: aiohttp.FormData | dict[str, str] | None = (
            request_data.json_parameters if request_data else None)
        if files:
            form = aiohttp.FormData()
            for name, value in (data or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data, read = form, max(read, MEDIA_TIMEOUT_S)
        timeout = aiohttp.ClientTimeout(total=None, connect=self.timeout_s, sock_read=read)
        try:
            async with self.session.request(method, url, data=data, timeout=timeout,
                                            headers={"User-Agent": self.USER_AGENT}) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

"""A loopback fake of the WeChat official-account API: access tokens and customer-service sends."""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes._server import LoopbackServer, notify, wait_until

# WeChat caps a 客服 text at 2048 bytes of UTF-8 (research/stack-facts.md 2.5).
MAX_CONTENT_BYTES = 2048
TOKEN_LIFETIME_S = 7200


@dataclass(frozen=True)
class ApiCall:
    """One request to the fake API and the errcode it answered (0 for success)."""

    path: str
    errcode: int
    time: float             # time.monotonic() on arrival
    body: dict[str, Any]    # the JSON body, or the query of a GET


class _WeChatError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode, self.errmsg = errcode, errmsg


class FakeWeChatAPI(LoopbackServer):
    """``api.weixin.qq.com`` for one official account: ``/cgi-bin/token`` and 客服 text sends.

    Like WeChat, every answer is HTTP 200 and an error is an ``errcode`` in the JSON. Fetching a
    token retires the previous one after ``old_token_grace_s`` seconds (WeChat: about 300); the
    default 0 retires it at once, so a test catches two instances fetching tokens in turn and
    invalidating each other.

    Args:
        app_id: the only AppID accepted (else 40013).
        app_secret: the only AppSecret accepted (else 40125).
        old_token_grace_s: how long a superseded token keeps working.
    """

    def __init__(self, app_id: str = "wxFAKEAPPID", app_secret: str = "fakesecret", *,
                 old_token_grace_s: float = 0.0) -> None:
        super().__init__()
        self.app_id, self.app_secret = app_id, app_secret
        self.old_token_grace_s = old_token_grace_s
        self.token_fetches = 0
        self.sent: list[tuple[str, str]] = []
        self.calls: list[ApiCall] = []
        self.access_token: str | None = None
        self._valid_until: dict[str, float] = {}
        self._expired: set[str] = set()
        self._closed: set[str] = set()
        self._quota: dict[str, int] = {}
        self._languages: dict[str, str] = {}
        self._changed = asyncio.Condition()

    @property
    def base_url(self) -> str:
        """What the real ``https://api.weixin.qq.com/cgi-bin/`` is for this fake."""
        return f"{self.url}/cgi-bin/"

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_get("/cgi-bin/user/info", self._user_info)
        return app

    # what tests set up --------------------------------------------------------------------------

    def expire_token(self) -> None:
        """The current token expires: using it answers 42001 until a new one is fetched."""
        if self.access_token is not None:
            self._expired.add(self.access_token)
            self._valid_until.pop(self.access_token, None)

    def close_window(self, openid: str) -> None:
        """The user's 48 h window closed (or they unsubscribed): sends to them answer 45015."""
        self._closed.add(openid)

    def set_quota(self, openid: str, count: int) -> None:
        """``count`` more sends to ``openid`` succeed; the next answer 45047."""
        self._quota[openid] = count

    def set_language(self, openid: str, language: str) -> None:
        """The language the user set in WeChat, as ``user/info`` tells it ("zh_TW", "en")."""
        self._languages[openid] = language

    def open_window(self, openid: str) -> None:
        """The user wrote again: their window reopens and any quota set is lifted."""
        self._closed.discard(openid)
        self._quota.pop(openid, None)

    # what tests read ----------------------------------------------------------------------------

    def sent_to(self, openid: str) -> list[str]:
        """The texts delivered to ``openid``, oldest first."""
        return [content for user, content in self.sent if user == openid]

    async def wait_for_sent(self, openid: str, count: int, timeout: float = 10.0) -> list[str]:
        """Waits until at least ``count`` texts were delivered to ``openid``; returns them all.

        Raises:
            AssertionError: fewer arrived within ``timeout`` seconds; the message lists them.
        """
        if not await wait_until(self._changed, lambda: len(self.sent_to(openid)) >= count,
                                timeout):
            raise AssertionError(f"expected {count} texts to {openid} within {timeout}s, "
                                 f"got {self.sent_to(openid)!r}")
        return self.sent_to(openid)

    # the HTTP side ------------------------------------------------------------------------------

    async def _answer(self, request: web.Request, body: dict[str, Any],
                      result: dict[str, Any]) -> web.Response:
        self.calls.append(ApiCall(request.path, int(result.get("errcode", 0)), time.monotonic(),
                                  body))
        await notify(self._changed)
        return web.json_response(result)

    async def _token(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        if query.get("grant_type") != "client_credential":
            return await self._answer(request, query, {"errcode": 40002,
                                                       "errmsg": "invalid grant_type"})
        if query.get("appid") != self.app_id:
            return await self._answer(request, query, {"errcode": 40013,
                                                       "errmsg": "invalid appid"})
        if query.get("secret") != self.app_secret:
            return await self._answer(request, query, {"errcode": 40125,
                                                       "errmsg": "invalid appsecret"})
        self.token_fetches += 1
        if self.access_token is not None and self.access_token in self._valid_until:
            self._valid_until[self.access_token] = time.monotonic() + self.old_token_grace_s
        self.access_token = f"FAKE_AT_{self.token_fetches}"
        self._valid_until[self.access_token] = math.inf
        return await self._answer(request, query, {"access_token": self.access_token,
                                                   "expires_in": TOKEN_LIFETIME_S})

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise _WeChatError(41001, "access_token missing")
        if token in self._expired:
            raise _WeChatError(42001, "access_token expired")
        if time.monotonic() >= self._valid_until.get(token, -math.inf):
            raise _WeChatError(40001, "invalid credential, access_token is invalid or not latest")

    async def _user_info(self, request: web.Request) -> web.Response:
        """``GET /cgi-bin/user/info?openid=``: a follower's profile; only what the bot reads."""
        query = dict(request.query)
        try:
            self._check_token(query.get("access_token"))
        except _WeChatError as error:
            return await self._answer(request, query, {"errcode": error.errcode,
                                                       "errmsg": error.errmsg})
        openid = query.get("openid", "")
        return await self._answer(request, query, {
            "subscribe": 1, "openid": openid, "language": self._languages.get(openid, "zh_CN")})

    async def _custom_send(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {}
        try:
            self._check_token(request.query.get("access_token"))
            try:
                body = json.loads((await request.read()).decode("utf-8"))
            except ValueError:      # UnicodeDecodeError is a ValueError too
                raise _WeChatError(47001, "data format error") from None
            openid, content = self._text_message(body)
            self._deliverable(openid, content)
        except _WeChatError as error:
            return await self._answer(request, body, {"errcode": error.errcode,
                                                      "errmsg": error.errmsg})
        self.sent.append((openid, content))
        if openid in self._quota:
            self._quota[openid] -= 1
        return await self._answer(request, body, {"errcode": 0, "errmsg": "ok"})

    @staticmethod
    def _text_message(body: Any) -> tuple[str, str]:
        if not isinstance(body, dict) or not body.get("touser"):
            raise _WeChatError(40003, "invalid openid")
        if body.get("msgtype") != "text":
            raise _WeChatError(40008, "invalid message type")
        content = (body.get("text") or {}).get("content")
        if not isinstance(content, str) or not content:
            raise _WeChatError(44004, "empty content")
        return str(body["touser"]), content

    def _deliverable(self, openid: str, content: str) -> None:
        if len(content.encode("utf-8")) > MAX_CONTENT_BYTES:
            raise _WeChatError(45002, "content size out of limit")
        if openid in self._closed:
            raise _WeChatError(45015, "response out of time limit or subscription is canceled")
        if self._quota.get(openid, 1) <= 0:
            raise _WeChatError(45047, "out of response count limit")

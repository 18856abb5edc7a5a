"""The WeChat official-account API, asynchronously: the shared access token and sending.

wechatpy's API client is not used (its parsing, signatures and crypto are, in ``bot.wechat``):
it is blocking (``requests``) inside our event loop; its token URL ignores ``API_BASE_URL``
(so tests cannot point it at a fake); its token fetch has no timeout; and it retries an
invalid token (40001/42001) without end, each time fetching a new token, which invalidates
the token every other instance holds.  Here every call has a timeout, a token is fetched by
one instance at a time and shared through Redis, and an invalid token is refreshed once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import redis.asyncio as redis
import structlog

from bot import keys
from bot.delivery import Permanent, Transient
from bot.settings import WeChatSettings

log = structlog.get_logger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=5, connect=3)
# Refresh a token this long before WeChat says it expires, so no call races the expiry.
EXPIRY_MARGIN_S = 300
# How long an instance waits for another one's token fetch before fetching itself.
FETCH_WAIT_S = 5.0
_INVALID_TOKEN = {40001, 40014, 42001}
# Errors that no retry can fix: the 48-hour window closed or the user unsubscribed (45015),
# the quota of messages per user message is used (45047), too long (45002), unknown user
# (40003), user refused messages (43004).
_PERMANENT = {45015: "window_closed", 45047: "quota_used", 45002: "too_long",
              40003: "unknown_user", 43004: "refused_by_user"}
# Messages allowed through the customer-service API after a user message (48 h), and after
# a subscribe or a menu click (1 minute).
QUOTA_AFTER_MESSAGE = (5, 48 * 3600)
QUOTA_AFTER_EVENT = (3, 60)


class WeChatAPIError(Exception):
    """WeChat answered with an error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code


class WeChatAPI:
    """Calls WeChat's API for one official account, from any number of instances."""

    def __init__(self, session: aiohttp.ClientSession, client: redis.Redis,
                 settings: WeChatSettings) -> None:
        self.session = session
        self.client = client
        self.settings = settings
        self.base = settings.api_url.rstrip("/")

    async def access_token(self, stale: str | None = None) -> str:
        """The account's current token, fetched by one instance when absent or ``stale``.

        Raises:
            Transient: WeChat or the network did not give a token.
        """
        key = keys.wechat_token(self.settings.app_id)
        deadline = asyncio.get_running_loop().time() + FETCH_WAIT_S
        while True:
            if token := await self._usable_token(key, stale):
                return token
            lock = keys.wechat_token_lock(self.settings.app_id)
            if await self.client.set(lock, "1", nx=True, ex=10) or \
                    asyncio.get_running_loop().time() > deadline:
                try:
                    # Read again under the lock: another instance may have fetched between our
                    # read and our lock, and a second fetch would invalidate its token.
                    return await self._usable_token(key, stale) or await self._fetch_token(key)
                finally:
                    await self.client.delete(lock)
            await asyncio.sleep(0.1)  # another instance is fetching: take its token

    async def _usable_token(self, key: str, stale: str | None) -> str | None:
        value = await self.client.get(key)
        token = value.decode() if isinstance(value, bytes) else value
        return token if token and token != stale else None

    async def _fetch_token(self, key: str) -> str:
        data = await self._request("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.settings.app_id,
            "secret": self.settings.app_secret})
        token = str(data["access_token"])
        ttl = max(60, int(data.get("expires_in", 7200)) - EXPIRY_MARGIN_S)
        await self.client.set(key, token, ex=ttl)
        log.info("wechat.token.fetched", ttl_s=ttl)
        return token

    async def send_text(self, openid: str, content: str) -> None:
        """Sends a customer-service text message, within the user's quota.

        Raises:
            Transient: try again later (network, WeChat busy).
            Permanent: never deliverable (window closed, quota used, user gone).
        """
        quota = keys.wechat_quota(openid)
        left = await self.client.decr(quota)
        if left < 0:
            await self.client.incr(quota)
            raise Permanent("quota_used: no customer-service message left for this user")
        body = json.dumps({"touser": openid, "msgtype": "text", "text": {"content": content}},
                          ensure_ascii=False).encode()
        try:
            await self._with_token("POST", "/cgi-bin/message/custom/send", data=body)
        except Exception:
            await self.client.incr(quota)  # nothing was delivered
            raise

    async def user_language(self, openid: str) -> str | None:
        """The user's WeChat language ("zh_CN", "zh_TW", "en"), or None if WeChat won't say."""
        try:
            data = await self._with_token("GET", "/cgi-bin/user/info",
                                          params={"openid": openid, "lang": "zh_CN"})
        except (Transient, Permanent) as error:
            log.info("wechat.user_info.failed", reason=str(error))
            return None
        language = data.get("language")
        return language if isinstance(language, str) else None

    async def grant_quota(self, openid: str, after_event: bool) -> None:
        """Resets the customer-service quota when the user writes (or clicks a menu)."""
        count, ttl = QUOTA_AFTER_EVENT if after_event else QUOTA_AFTER_MESSAGE
        await self.client.set(keys.wechat_quota(openid), count, ex=ttl)

    async def _with_token(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        token = await self.access_token()
        try:
            return await self._request(method, path, token=token, **kwargs)
        except Transient as error:
            if not isinstance(error.__cause__, WeChatAPIError) or \
                    error.__cause__.code not in _INVALID_TOKEN:
                raise
        # The token was refreshed elsewhere, or revoked: one new token, one more try.
        token = await self.access_token(stale=token)
        return await self._request(method, path, token=token, **kwargs)

    async def _request(self, method: str, path: str, token: str | None = None,
                       params: dict[str, str] | None = None,
                       data: bytes | None = None) -> dict[str, Any]:
        query = dict(params or {})
        if token:
            query["access_token"] = token
        headers = {"Content-Type": "application/json; charset=utf-8"} if data else None
        try:
            async with self.session.request(method, self.base + path, params=query, data=data,
                                            headers=headers, timeout=TIMEOUT) as response:
                if response.status >= 500:
                    raise Transient(f"wechat_http_{response.status}")
                result = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise Transient(f"wechat_unreachable: {type(error).__name__}") from error
        if not isinstance(result, dict):
            raise Transient("wechat_bad_answer")
        code = int(result.get("errcode") or 0)
        if code == 0:
            return result
        error = WeChatAPIError(code, str(result.get("errmsg", "")))
        if code in _PERMANENT:
            raise Permanent(f"{_PERMANENT[code]}: {code}") from error
        raise Transient(f"wechat_error: {code}") from error

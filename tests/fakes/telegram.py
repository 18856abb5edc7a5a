"""A loopback fake of the Telegram Bot API, for testing the real python-telegram-bot against it.

It speaks the wire format PTB 22.8 uses (research/stack-facts.md 1.4): every call is a POST to
``/bot<token>/<method>``, form-encoded with nested objects as JSON strings, or multipart when a
file is uploaded; JSON bodies and query strings are accepted too, as the Bot API does. Answers
carry the Bot API envelope, ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": ..., "parameters": ...}`` with HTTP status N,
which PTB maps to its exceptions: 400 BadRequest, 401/404 InvalidToken, 403 Forbidden,
409 Conflict, ``parameters.retry_after`` RetryAfter, anything else NetworkError::

    async with FakeTelegram() as tg:
        bot = telegram.Bot(tg.token, base_url=f"{tg.url}/bot")   # PTB appends the token
        await bot.send_message(42, "Hello")
        assert tg.sent_texts(42) == ["Hello"]
"""

from __future__ import annotations

import asyncio
import copy
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes._server import LoopbackServer, notify, wait_until
from tests.fakes._telegram_updates import (
    BOT_USER,
    callback_update,
    chat,
    document_update,
    edited_text_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)
from tests.fakes._telegram_wire import ApiError, chat_key, keyboard, read_params, required

__all__ = [
    "BOT_USER", "Call", "FakeTelegram", "Webhook", "callback_update", "document_update",
    "edited_text_update", "location_update", "photo_update", "sticker_update", "text_update",
    "voice_update",
]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
MAX_TEXT_LENGTH = 4096          # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
MAX_CALLBACK_ANSWER_LENGTH = 200
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")


@dataclass(frozen=True)
class Call:
    """One request to the fake.

    Attributes:
        method: the Bot API method as the client spelled it (Telegram ignores its case).
        params: the parameters, JSON-encoded values decoded (``reply_markup`` is a dict).
        time: ``time.monotonic()`` when the request arrived, to measure a client's back-off.
        status: the HTTP status the fake answered.
    """

    method: str
    params: dict[str, Any]
    time: float
    status: int


@dataclass(frozen=True)
class Webhook:
    """What the last successful setWebhook asked for."""

    url: str
    secret_token: str | None
    allowed_updates: tuple[str, ...] | None


class FakeTelegram(LoopbackServer):
    """The Bot API of one bot, with its chats, update queue, call log and injectable faults.

    Args:
        token: the only token accepted; any other gets 401 Unauthorized.
        poll_timeout_cap: the longest a getUpdates long poll waits, whatever ``timeout`` the
            client asks for, so that a test never idles for Telegram's usual 30-50 s.
    """

    def __init__(self, token: str = DEFAULT_TOKEN, *, poll_timeout_cap: float = 2.0) -> None:
        super().__init__()
        self.token = token
        self.poll_timeout_cap = poll_timeout_cap
        self.calls: list[Call] = []
        self.webhook: Webhook | None = None
        self._chats: dict[int | str, list[dict[str, Any]]] = {}
        self._last_message_id = 0
        self._updates: list[dict[str, Any]] = []
        self._poll_generation = 0
        self._waiting_polls = 0
        self._stopping = False
        self._rate_limits: dict[int | str, list[int]] = {}
        self._blocked: set[int | str] = set()
        self._faults: dict[str, list[int]] = {}
        self._changed = asyncio.Condition()
        methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me, "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info, "getUpdates": self._get_updates,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "sendChatAction": self._send_chat_action,
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): method for name, method in methods.items()}

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def _on_stop(self) -> None:
        self._stopping = True   # long polls answer now instead of holding up the shutdown
        await notify(self._changed)

    # what tests read ----------------------------------------------------------------------------

    def messages(self, chat_id: int | str) -> list[dict[str, Any]]:
        """The bot's messages in ``chat_id`` as they stand (edits applied), oldest first.

        Each is the Message the fake answered with: ``message_id``, ``text``, and
        ``reply_markup`` (a dict) when it has a keyboard.
        """
        return copy.deepcopy(self._chats.get(chat_key(chat_id), []))

    def sent_texts(self, chat_id: int | str) -> list[str]:
        """The texts the bot sent to ``chat_id``, oldest first."""
        return [message["text"] for message in self.messages(chat_id)]

    def calls_to(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """The calls of ``method`` (any case), optionally only those addressed to ``chat_id``."""
        return [call for call in self.calls if call.method.lower() == method.lower()
                and (chat_id is None or chat_key(call.params.get("chat_id")) == chat_key(chat_id))]

    async def wait_for_messages(self, chat_id: int | str, count: int,
                                timeout: float = 10.0) -> list[dict[str, Any]]:
        """Waits until the bot has sent at least ``count`` messages to ``chat_id``.

        Returns:
            All of that chat's messages (see ``messages``).

        Raises:
            AssertionError: fewer arrived within ``timeout`` seconds; the message lists them.
        """
        key = chat_key(chat_id)
        if not await wait_until(self._changed, lambda: len(self._chats.get(key, [])) >= count,
                                timeout):
            raise AssertionError(f"expected {count} messages to chat {chat_id} within {timeout}s,"
                                 f" got {self.sent_texts(chat_id)!r}")
        return self.messages(chat_id)

    async def wait_for_calls(self, method: str, count: int = 1,
                             timeout: float = 10.0) -> list[Call]:
        """Waits until ``method`` was called ``count`` times (answered or not); returns them.

        Raises:
            AssertionError: fewer calls arrived within ``timeout`` seconds.
        """
        if not await wait_until(self._changed, lambda: len(self.calls_to(method)) >= count,
                                timeout):
            raise AssertionError(f"expected {count} {method} calls within {timeout}s, "
                                 f"got {len(self.calls_to(method))}")
        return self.calls_to(method)

    async def wait_for_poller(self, timeout: float = 10.0) -> None:
        """Waits until a getUpdates long poll is waiting here (calls are logged when answered).

        Raises:
            AssertionError: none was waiting within ``timeout`` seconds.
        """
        if not await wait_until(self._changed, lambda: self._waiting_polls > 0, timeout):
            raise AssertionError(f"no getUpdates long poll within {timeout}s")

    # what tests set up --------------------------------------------------------------------------

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queues ``update`` for getUpdates and wakes a waiting long poll."""
        self._updates.append(update)
        await notify(self._changed)

    def rate_limit_next(self, chat_id: int | str, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` sendMessage calls to ``chat_id`` answer 429 with ``retry_after``."""
        self._rate_limits.setdefault(chat_key(chat_id), []).extend([retry_after] * times)

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot: sending to ``chat_id`` answers 403 until ``unblock``."""
        self._blocked.add(chat_key(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        """The user restarted the bot."""
        self._blocked.discard(chat_key(chat_id))

    def fail_next(self, method: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``status``, as a transient server error."""
        self._faults.setdefault(method.lower(), []).extend([status] * times)

    # the HTTP side ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        name = request.match_info["method"]
        params = await read_params(request)
        try:
            result = await self._call(request.match_info["token"], name, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status = error.status
            body = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
        self.calls.append(Call(name, params, arrived, status))
        await notify(self._changed)
        return web.json_response(body, status=status)

    async def _call(self, token: str, name: str, params: dict[str, Any]) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        method = self._methods.get(name.lower())
        if method is None:
            raise ApiError(404, "Not Found")
        faults = self._faults.get(name.lower())
        if faults:
            status = faults.pop(0)
            raise ApiError(status, "Internal Server Error" if status == 500 else f"Error {status}")
        return await method(params)

    def _check_reachable(self, chat_id: Any) -> None:
        if chat_key(chat_id) in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    # the methods --------------------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(BOT_USER)

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = required(params, "chat_id")
        pending = self._rate_limits.get(chat_key(chat_id))
        if pending:
            retry_after = pending.pop(0)
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                            retry_after=retry_after)
        self._check_reachable(chat_id)
        text = params.get("text")
        # Telegram trims the text first, so whitespace alone is empty too.
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        markup = keyboard(params.get("reply_markup"))
        self._last_message_id += 1
        message: dict[str, Any] = {"message_id": self._last_message_id, "from": dict(BOT_USER),
                                   "chat": chat(chat_key(chat_id)), "date": int(time.time()),
                                   "text": text}
        if markup is not None:
            message["reply_markup"] = markup
        self._chats.setdefault(chat_key(chat_id), []).append(message)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        markup = keyboard(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True         # messages sent via inline mode are not the fake's to track
        chat_id = required(params, "chat_id")
        self._check_reachable(chat_id)
        message_id = required(params, "message_id")
        found = [m for m in self._chats.get(chat_key(chat_id), [])
                 if m["message_id"] == message_id]
        if not found:
            raise ApiError(400, "Bad Request: message to edit not found")
        message = found[0]
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        required(params, "callback_query_id")
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._check_reachable(required(params, "chat_id"))
        required(params, "action")
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if not url:             # the Bot API's way to remove a webhook
            self.webhook = None
            return True
        port = re.match(r"https://[^/:]+(?::(\d+))?", url)
        if port is None:
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                 "webhook")
        if int(port.group(1) or 443) not in WEBHOOK_PORTS:
            raise ApiError(400, "Bad Request: bad webhook: Webhook can be set up only on ports "
                                 "80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = Webhook(url, secret, None if allowed is None else tuple(allowed))
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": self.webhook.url if self.webhook else "",
                                "has_custom_certificate": False,
                                "pending_update_count": len(self._updates)}
        if self.webhook and self.webhook.allowed_updates is not None:
            info["allowed_updates"] = list(self.webhook.allowed_updates)
        return info

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                 "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        if offset:              # confirms every update below the offset
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = min(int(params.get("limit") or 100), 100)
        timeout = min(float(params.get("timeout") or 0), self.poll_timeout_cap)
        # Telegram serves one poller at a time: a newer getUpdates ends the waiting one with 409,
        # which is how two bot instances polling at once show up.
        self._poll_generation += 1
        mine = self._poll_generation
        self._waiting_polls += 1
        await notify(self._changed)
        try:
            await wait_until(self._changed, lambda: bool(self._updates) or self._stopping
                             or self._poll_generation != mine, timeout)
        finally:
            self._waiting_polls -= 1
        if self._poll_generation != mine:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                 "that only one bot instance is running")
        return copy.deepcopy(self._updates[:limit])

"""Telegram through python-telegram-bot 22: webhook (checked secret) or long polling, and replies.

PTB's ``Bot`` does the HTTP and ``Update.de_json`` the parsing; the gateway's own aiohttp app
receives webhooks (PTB's pattern for a custom webhook server is an application without an
updater, fed ``Update.de_json``; the gateway has its own queue, so it feeds that instead).

Traps handled here: Telegram's secret-token header, which Rasa's connector never checks;
callback queries, which must be answered or the client's spinner turns forever; 4096
characters per message, which PTB does not split; ``retry_after`` on 429; private chats only
(in a group, one chat id is many people).
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

import aiohttp
import structlog
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.delivery import FailedDeliveries, Permanent, Transient, deliver_with_retries
from bot.locale import language_of
from bot.messages import BotMessage, Inbound, Kind, split
from bot.settings import TelegramSettings
from bot.telegram_request import AiohttpRequest

log = structlog.get_logger(__name__)

NAME = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# What a message may carry besides text; each gets the same polite "text only" answer.
_MEDIA = ("photo", "voice", "video", "video_note", "audio", "sticker", "document", "animation",
          "location", "venue", "contact", "poll", "dice")
POLL_TIMEOUT_S = 25


class TelegramChannel:
    """Receives Telegram updates and sends the bot's answers."""

    name = NAME

    def __init__(self, settings: TelegramSettings, submit: Any, failures: FailedDeliveries,
                 session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.submit = submit  # Conversations.submit
        self.failures = failures
        # The gateway's one HTTP session (bot.telegram_request says why not PTB's httpx);
        # long polling gets its own request object, as PTB wants for get_updates.
        self.bot = telegram.Bot(settings.token, base_url=f"{settings.api_url}/bot",
                                request=AiohttpRequest(session),
                                get_updates_request=AiohttpRequest(session))
        self._poller: asyncio.Task[None] | None = None
        # The bot's public id: the token's part before the colon.
        self.bot_id = settings.token.partition(":")[0]

    async def start(self) -> None:
        """Initialises the bot (in this event loop: a PTB Bot belongs to its loop), then
        registers the webhook or starts polling."""
        await self.bot.initialize()
        if self.settings.mode == "polling":
            await self.bot.delete_webhook()
            self._poller = asyncio.ensure_future(self._poll_forever())
        elif self.settings.webhook_url:
            await self.bot.set_webhook(self.settings.webhook_url,
                                       secret_token=self.settings.webhook_secret,
                                       allowed_updates=ALLOWED_UPDATES)

    async def stop(self) -> None:
        """Stops polling and closes the bot's connections."""
        if self._poller:
            self._poller.cancel()
        await self.bot.shutdown()


    async def webhook(self, request: web.Request) -> web.Response:
        """Accepts one update if it carries our secret; answers 200 whatever happens next.

        A non-2xx answer makes Telegram deliver the update again, so only an update that
        could not be stored (Redis down) gets one.
        """
        expected = self.settings.webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("telegram.webhook.forged")
            return web.json_response({"error": "forbidden"}, status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.bot) if isinstance(data, dict) else None
        except (ValueError, TelegramError, TypeError, KeyError) as error:
            log.warning("telegram.update.unreadable", error_type=type(error).__name__)
            return web.json_response({"ok": True})
        if update is not None:
            await self.accept(update)
        return web.json_response({"ok": True})

    async def accept(self, update: Update) -> None:
        """Turns an update into an inbound message and queues it (and stops the spinner)."""
        query = update.callback_query
        if query is not None:
            # Answered first and whatever follows: the client shows a spinner until then.
            try:
                await query.answer()
            except TelegramError as error:
                log.warning("telegram.callback.unanswered", error_type=type(error).__name__)
        inbound = self.inbound_of(update)
        if inbound is not None:
            await self.submit(inbound)

    def inbound_of(self, update: Update) -> Inbound | None:
        """The channel-neutral message of an update, or None for what the bot ignores."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or user.is_bot:
            return None
        if chat.type != chat.PRIVATE:
            log.info("telegram.update.not_private")
            return None
        common: dict[str, Any] = {
            # Update ids count per bot: the bot's id keeps two bots on one Redis apart.
            "channel": NAME, "user_id": str(user.id),
            "message_id": f"{self.bot_id}:{update.update_id}",
            "language_hint": language_of(user.language_code)}
        if update.callback_query is not None:
            return Inbound(kind=Kind.CHOICE, value=update.callback_query.data or "", **common)
        message = update.message or update.edited_message
        if message is None:
            return None
        if message.text:
            return Inbound(kind=Kind.TEXT, value=message.text, **common)
        media = next((m for m in _MEDIA if getattr(message, m, None)), "other")
        return Inbound(kind=Kind.UNSUPPORTED, value=media, **common)

    async def deliver(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Sends each message (split to Telegram's length, buttons as an inline keyboard)."""
        chat_id = int(inbound.user_id)
        try:
            for message in messages:
                await self._send(chat_id, message)
        except Permanent as error:
            await self.failures.record(NAME, inbound.subject, error.reason)

    async def push(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Telegram has no reply window: the same as ``deliver``."""
        await self.deliver(inbound, messages)

    async def _send(self, chat_id: int, message: BotMessage) -> None:
        if message.image:
            await deliver_with_retries(NAME, lambda: _call(self.bot.send_photo(
                chat_id, message.image)))
        parts = split(message.text, MessageLimit.MAX_TEXT_LENGTH) if message.text else []
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.title[:64], callback_data=b.token)] for b in message.buttons]
        ) if message.buttons else None
        for index, part in enumerate(parts):
            markup = keyboard if index == len(parts) - 1 else None
            await deliver_with_retries(NAME, lambda part=part, markup=markup: _call(
                self.bot.send_message(chat_id, part, reply_markup=markup)))

    async def _poll_forever(self) -> None:
        """Long polling for development: the same path as a webhook, offsets confirmed."""
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT_S,
                                                     allowed_updates=ALLOWED_UPDATES,
                                                     read_timeout=POLL_TIMEOUT_S + 5)
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
                continue
            except TelegramError as error:
                log.warning("telegram.poll.failed", error_type=type(error).__name__)
                await asyncio.sleep(2)
                continue
            for update in updates:
                try:
                    await self.accept(update)
                except Exception:
                    log.exception("telegram.update.failed")
                offset = update.update_id + 1


async def _call(coroutine: Any) -> Any:
    """Runs one Bot API call, translating PTB's errors into the delivery outcomes."""
    try:
        return await coroutine
    except RetryAfter as error:
        raise Transient("rate_limited", _seconds(error.retry_after)) from error
    except Forbidden as error:
        raise Permanent("forbidden: the user blocked the bot") from error
    except (BadRequest, InvalidToken) as error:
        raise Permanent(f"refused: {error.message[:80]}") from error
    except NetworkError as error:  # includes TimedOut
        raise Transient(type(error).__name__) from error


def _seconds(value: Any) -> float:
    """PTB gives ``retry_after`` as seconds or a timedelta, depending on its settings."""
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)

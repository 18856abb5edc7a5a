"""Sending to a platform without losing a message: retries with backoff, failures recorded.

A channel adapter wraps each platform call in ``deliver_with_retries`` and translates the
platform's errors into ``Transient`` (try again: network, 5xx, rate limited) or ``Permanent``
(never: the user blocked the bot, WeChat's 48-hour window closed).  A message that cannot be
delivered is logged and recorded in Redis (ids and reasons, never texts) and counted, and is
not retried forever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as redis
import structlog
from prometheus_client import Counter

from bot import keys
from cardcare.handoff import HandoffQueue
from cardcare.handoff_log import NOT_DELIVERED, ChatLog, publish

log = structlog.get_logger(__name__)
T = TypeVar("T")

FAILED = Counter("cardcare_gateway_delivery_failures", "Messages that could not be delivered",
                 ["channel", "reason"])
RETRIED = Counter("cardcare_gateway_delivery_retries", "Platform calls tried again",
                  ["channel"])
# The longest a platform may ask us to wait (Telegram's retry_after) before we give up on
# that message rather than hold the conversation's later messages back.
MAX_WAIT_S = 60.0
ATTEMPTS = 5
BACKOFF_S = 0.5
# Records of failed deliveries kept for support (a capped Redis stream).
FAILED_KEEP = 10_000


class Transient(Exception):
    """The platform may accept the same call later (after ``retry_after`` seconds if given)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Permanent(Exception):
    """The platform will never accept this call; ``reason`` is a short code for the record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def deliver_with_retries(channel: str, call: Callable[[], Awaitable[T]],
                               attempts: int = ATTEMPTS) -> T:
    """Runs ``call``, again after a backoff (or the platform's ``retry_after``) when transient.

    Raises:
        Permanent: the platform refused for good, or it still failed after ``attempts``.
    """
    for attempt in range(attempts):
        try:
            return await call()
        except Transient as error:
            wait = error.retry_after if error.retry_after is not None else BACKOFF_S * 2**attempt
            if attempt == attempts - 1 or wait > MAX_WAIT_S:
                raise Permanent(f"gave up: {error.reason}") from error
            RETRIED.labels(channel).inc()
            log.warning("gateway.delivery.retry", channel=channel, reason=error.reason,
                        wait_s=wait, attempt=attempt + 1)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")


class FailedDeliveries:
    """The record of messages that could not be delivered."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.queue = HandoffQueue(client)
        self.chats = ChatLog(client)

    async def record(self, channel: str, subject: str, reason: str) -> None:
        """Logs, counts and keeps one failure (no message text: it may hold personal data)."""
        FAILED.labels(channel, reason.split(":")[0][:40]).inc()
        log.error("gateway.delivery.failed", channel=channel, subject=subject, reason=reason)
        await self.client.xadd(keys.FAILED_DELIVERIES, {
            "channel": channel, "subject": subject, "reason": reason[:200],
            "time": f"{time.time():.3f}"}, maxlen=FAILED_KEEP, approximate=True)
        ticket = await self.queue.open_ticket(subject)
        if ticket is not None:  # a person is on the chat: they must see it did not arrive
            await self.chats.append(ticket.ticket_id, "system",
                                    f"{NOT_DELIVERED}: {reason[:200]}")
            await publish(self.client, {"type": "delivery_failed",
                                        "ticket_id": ticket.ticket_id, "reason": reason[:200]})

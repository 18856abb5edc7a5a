"""The gateway's client of Rasa: one turn over the gateway channel (``cardcare.gateway_input``).

Error tree::

    RasaError
    ├── RasaUnavailable   no answer: refused, timed out, or the turn failed (5xx)
    └── RasaRejected      Rasa refused the request (4xx): a bug or a wrong token

A conversation always goes to the same Rasa instance (by a hash of its subject), so one
conversation is never processed by two Rasa processes at once.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog

from cardcare.conversation import ASKS_SECRET_KEY, LANGUAGE_HINT_KEY
from cardcare.escalation import HANDOFF_KEY

log = structlog.get_logger(__name__)

# Connection refused is retried (Rasa restarting): nothing reached it.  A timeout is not:
# the turn may have run, and running it twice could act twice.
CONNECT_RETRIES = 3
CONNECT_BACKOFF_S = 0.5


class RasaError(Exception):
    """Rasa did not answer the turn."""


class RasaUnavailable(RasaError):
    """Rasa could not be reached, timed out, or failed the turn."""


class RasaRejected(RasaError):
    """Rasa refused the request."""


@dataclass(frozen=True)
class RasaReply:
    """One of Rasa's messages: text, its buttons (title and payload), the language, and
    whether it asks for a verification answer (``cardcare.nlg``)."""

    text: str
    buttons: tuple[tuple[str, str], ...]
    image: str | None
    language: str | None
    asks_secret: bool = False
    handoff: dict[str, Any] | None = None  # an escalation (``cardcare.escalation``), unread


class RasaClient:
    """Sends user messages to Rasa's gateway channel."""

    def __init__(self, session: aiohttp.ClientSession, urls: tuple[str, ...], token: str,
                 timeout_s: float = 30.0) -> None:
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self.session = session
        self.urls = urls
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=5)

    def url_for(self, subject: str) -> str:
        """The Rasa instance that serves ``subject``, always the same one."""
        digest = hashlib.blake2b(subject.encode(), digest_size=8).digest()
        return self.urls[int.from_bytes(digest, "big") % len(self.urls)]

    async def turn(self, subject: str, channel: str, text: str, message_id: str,
                   language_hint: str | None = None) -> list[RasaReply]:
        """Runs one turn of the conversation ``subject`` and returns Rasa's messages.

        Raises:
            RasaUnavailable: no answer (after retrying a refused connection).
            RasaRejected: Rasa answered 4xx.
        """
        body = {"sender": subject, "message": text, "input_channel": channel,
                "message_id": message_id,
                "metadata": {LANGUAGE_HINT_KEY: language_hint} if language_hint else {}}
        url = f"{self.url_for(subject)}/webhooks/gateway/webhook"
        headers = {"Authorization": f"Bearer {self.token}"}
        for attempt in range(CONNECT_RETRIES + 1):
            try:
                async with self.session.post(url, json=body, headers=headers,
                                             timeout=self.timeout) as response:
                    if response.status >= 500:
                        raise RasaUnavailable(f"Rasa failed the turn ({response.status})")
                    if response.status >= 400:
                        raise RasaRejected(f"Rasa refused the request ({response.status})")
                    data = await response.json()
                    return [_reply(m) for m in data if isinstance(m, dict)]
            except aiohttp.ClientConnectorError as error:
                if attempt == CONNECT_RETRIES:
                    raise RasaUnavailable(f"cannot reach Rasa at {url}") from error
                log.warning("rasa.connect.retry", attempt=attempt + 1)
                await asyncio.sleep(CONNECT_BACKOFF_S * 2**attempt)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                raise RasaUnavailable(f"no answer from Rasa: {type(error).__name__}") from error
        raise AssertionError("unreachable")


def _reply(message: dict[str, Any]) -> RasaReply:
    custom = message.get("custom")
    buttons = tuple((str(b.get("title", "")), str(b.get("payload", "")))
                    for b in message.get("buttons") or () if isinstance(b, dict))
    return RasaReply(text=str(message.get("text") or ""), buttons=buttons,
                     image=message.get("image") if isinstance(message.get("image"), str) else None,
                     language=message.get("language"),
                     asks_secret=message.get(ASKS_SECRET_KEY) is True,
                     handoff=custom.get(HANDOFF_KEY) if isinstance(custom, dict) else None)

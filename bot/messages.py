"""The channel-neutral shapes of the gateway: one inbound message, one bot message.

Every channel adapter turns what its platform sends into an ``Inbound`` and renders
``BotMessage``s in its platform's own form; everything between (ordering, routing, Rasa) sees
only these.  Both cross Redis as JSON, so they convert to and from plain dicts.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from cardcare.conversation import subject


class Kind(str, enum.Enum):
    """What the user did."""

    TEXT = "text"  # typed (or spoken, through the platform's recognition)
    CHOICE = "choice"  # tapped a button: ``value`` is its token
    COMMAND = "command"  # the platform did something that maps to a request (menu, subscribe)
    UNSUPPORTED = "unsupported"  # a photo, voice note, sticker ...: ``value`` names it


@dataclass(frozen=True)
class Inbound:
    """One thing a user sent, from any channel.

    Attributes:
        channel: ``telegram``, ``wechat`` or ``web``.
        user_id: the channel's id of the user (and of the private chat).
        kind: what ``value`` is.
        value: the text, the button token, the command payload or the media kind.
        message_id: the channel's id of this delivery, unique per channel: retries of one
            delivery carry the same id, which is how duplicates are recognised.
        language_hint: the user's language as the platform knows it (en, zh-Hans, zh-Hant, vi).
        time: when the gateway received it (seconds since the epoch).
        origin: the gateway instance that received it (where a waiting request is).
    """

    channel: str
    user_id: str
    kind: Kind
    value: str
    message_id: str
    language_hint: str | None = None
    time: float = field(default_factory=time.time)
    origin: str = ""

    @property
    def subject(self) -> str:
        """The chat's identity, ``<channel>:<user id>``: Rasa's sender and the bank's subject."""
        return subject(self.channel, self.user_id)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inbound:
        """The inverse of ``to_dict``."""
        return cls(**{**data, "kind": Kind(data["kind"])})


@dataclass(frozen=True)
class Button:
    """A choice offered under a bot message: its title and the token that stands for it.

    The payload a button sends to Rasa never leaves the gateway: channels carry only the
    token (Telegram's ``callback_data`` is at most 64 bytes; a web page must not be able to
    send Rasa an intent the bot never offered).
    """

    title: str
    token: str


@dataclass(frozen=True)
class BotMessage:
    """One message of the bot's answer, in ``language``; ``asks_secret`` when the user's reply
    will be a verification answer (kept masked whole wherever the gateway keeps it)."""

    text: str
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    language: str | None = None
    asks_secret: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"text": self.text, "buttons": [asdict(b) for b in self.buttons],
                "image": self.image, "language": self.language, "asks_secret": self.asks_secret}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BotMessage:
        """The inverse of ``to_dict``."""
        return cls(text=data.get("text") or "",
                   buttons=tuple(Button(**b) for b in data.get("buttons") or ()),
                   image=data.get("image"), language=data.get("language"),
                   asks_secret=data.get("asks_secret") is True)


def merged(messages: list[BotMessage]) -> list[BotMessage]:
    """Consecutive texts joined into one message, up to and including one with buttons.

    Rasa answers a turn in several responses; a chat platform shows each as a bubble, and
    WeChat counts each against a quota of 5 per user message.
    """
    out: list[BotMessage] = []
    for message in messages:
        last = out[-1] if out else None
        if (last is not None and not last.buttons and not last.image and not message.image
                and last.language == message.language):
            text = f"{last.text}\n\n{message.text}" if last.text and message.text else \
                last.text or message.text
            out[-1] = BotMessage(text, message.buttons, None, message.language,
                                 last.asks_secret or message.asks_secret)
        else:
            out.append(message)
    return out


def split(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """``text`` cut into parts of at most ``limit`` (as ``size`` measures), at line breaks.

    Telegram takes 4096 characters a message, WeChat 2048 bytes; neither library splits.
    A line longer than the limit is cut at a space if it has one, else anywhere.
    """
    if size(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if size(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while size(line) > limit:
            cut = _fit(line, limit, size)
            space = line.rfind(" ", 0, cut)
            cut = space if space > cut // 2 else cut
            parts.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        current = line
    if current:
        parts.append(current)
    return parts


def _fit(line: str, limit: int, size: Callable[[str], int]) -> int:
    """The longest prefix length of ``line`` within ``limit``."""
    low, high = 1, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if size(line[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low

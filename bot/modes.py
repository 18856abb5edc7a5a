"""Who owns a conversation: the bot, or a person at the agent desk.

The gateway routes by this before anything reaches Rasa: while a person owns the chat, the
user's messages go to the agent's inbox and the bot says nothing.  Rasa's own pause is not
enough: a paused conversation still runs slot extraction on every message, and a new session
after the idle expiry silently un-pauses it.  The desk (human handoff) sets the mode; until
it exists, every conversation belongs to the bot.
"""

from __future__ import annotations

import enum
import json

import redis.asyncio as redis

from bot import keys
from bot.messages import Inbound
from cardcare.masking import mask_text

# An agent's conversation is kept a week: a chat waiting for a person must not vanish.
AGENT_INBOX_TTL_S = 7 * 24 * 3600


class Mode(str, enum.Enum):
    """The owner of a conversation."""

    BOT = "bot"
    AGENT = "agent"


class Modes:
    """Reads and sets conversations' modes in Redis (shared by every gateway instance)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def get(self, subject: str) -> Mode:
        """The conversation's owner (the bot unless set otherwise)."""
        return self.parse(await self.client.get(keys.mode(subject)))

    @staticmethod
    def parse(value: bytes | str | None) -> Mode:
        """A stored mode (read by the caller with other keys); absent means the bot."""
        return Mode(value.decode() if isinstance(value, bytes) else value) if value else Mode.BOT

    async def set(self, subject: str, mode: Mode) -> None:
        """Hands the conversation to ``mode``'s owner."""
        if mode is Mode.BOT:
            await self.client.delete(keys.mode(subject))
        else:
            await self.client.set(keys.mode(subject), mode.value)


class AgentInbox:
    """Where the user's messages go while a person owns the conversation."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def forward(self, inbound: Inbound) -> None:
        """Appends the message, masked (card numbers, codes), to the conversation's stream."""
        key = keys.agent_inbox(inbound.subject)
        await self.client.xadd(key, {"message": json.dumps(
            {**inbound.to_dict(), "value": mask_text(inbound.value)}, ensure_ascii=False)})
        await self.client.expire(key, AGENT_INBOX_TTL_S)

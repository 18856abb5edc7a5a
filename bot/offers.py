"""The choices the bot offered a conversation: button tokens and the question still open.

A channel never carries a button's payload: it carries a short token (Telegram's
``callback_data`` holds 64 bytes; a web page must not send Rasa intents the bot never
offered), and the gateway swaps it for the payload.  The last question with choices is kept
too, so a typed answer ("2", "the Visa", "永久") can be matched to it on every channel.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import redis.asyncio as redis

from bot import keys
from bot.choices import Choice
from bot.messages import BotMessage, Button
from bot.rasa import RasaReply

# Old buttons still work for a day (a user may scroll up and tap one); past that, or past this
# many tokens in one conversation, they are forgotten and the user is asked to type instead.
TOKEN_TTL_S = 24 * 3600
MAX_TOKENS = 200


@dataclass(frozen=True)
class Offer:
    """An open question: its text, language and choices (with their tokens)."""

    question: str
    language: str | None
    choices: tuple[Choice, ...]
    tokens: tuple[str, ...]

    def buttons(self, only: tuple[Choice, ...] | None = None) -> tuple[Button, ...]:
        """The offer's buttons again (all, or those of ``only``), with their tokens."""
        return tuple(Button(c.title, t) for c, t in zip(self.choices, self.tokens, strict=True)
                     if only is None or c in only)


# Adds tokens, first forgetting the old ones when there are too many (one round trip).
_ADD_TOKENS = """
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
"""


class Offers:
    """Offers per conversation, in Redis (every instance sees every button)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._add_tokens = client.register_script(_ADD_TOKENS)

    async def record(self, subject: str, replies: list[RasaReply],
               pipe: redis.client.Pipeline) -> list[BotMessage]:
        """Mints a token per button of Rasa's answer; the last question with buttons is open.

        The writes are queued on ``pipe``, which the caller executes (with its own writes).
        An answer without buttons closes the open question: typed text then goes to NLU.
        """
        messages: list[BotMessage] = []
        minted: list[str] = []
        offer: Offer | None = None
        for reply in replies:
            if not (reply.text or reply.buttons or reply.image):
                continue  # data for the gateway (an escalation), nothing to show
            tokens = tuple(secrets.token_urlsafe(6) for _ in reply.buttons)
            for token, (title, payload) in zip(tokens, reply.buttons, strict=True):
                minted += [token, json.dumps({"title": title, "payload": payload},
                                             ensure_ascii=False)]
            if reply.buttons:
                offer = Offer(reply.text, reply.language,
                              tuple(Choice(t, p) for t, p in reply.buttons), tokens)
            buttons = tuple(Button(title, token)
                            for (title, _), token in zip(reply.buttons, tokens, strict=True))
            messages.append(BotMessage(reply.text, buttons, reply.image, reply.language,
                                       reply.asks_secret))
        if minted:
            # Queued on the pipeline (redis-py's script call is a coroutine even there).
            await self._add_tokens(keys=[keys.tokens(subject)],
                                   args=[MAX_TOKENS, TOKEN_TTL_S, *minted], client=pipe)
        if offer is None:
            pipe.delete(keys.choices(subject))
        else:
            pipe.set(keys.choices(subject), json.dumps({
                "question": offer.question, "language": offer.language,
                "choices": [[c.title, c.payload] for c in offer.choices],
                "tokens": list(offer.tokens)}, ensure_ascii=False), ex=TOKEN_TTL_S)
        return messages

    async def resolve(self, subject: str, token: str) -> Choice | None:
        """What a button token stands for, or None for an unknown or forgotten one."""
        if not token or len(token) > 64:
            return None
        value = await self.client.hget(keys.tokens(subject), token)
        if value is None:
            return None
        data = json.loads(value)
        return Choice(data["title"], data["payload"])

    @staticmethod
    def parse(value: bytes | str | None) -> Offer | None:
        """The open question as ``record`` stored it (read by the caller with other keys)."""
        if value is None:
            return None
        data = json.loads(value)
        return Offer(data["question"], data.get("language"),
                     tuple(Choice(t, p) for t, p in data["choices"]), tuple(data["tokens"]))

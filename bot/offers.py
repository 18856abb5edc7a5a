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


class Offers:
    """Offers per conversation, in Redis (every instance sees every button)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def record(self, subject: str, replies: list[RasaReply]) -> list[BotMessage]:
        """Mints a token per button of Rasa's answer; the last question with buttons is open.

        An answer without buttons closes the open question: typed text then goes to NLU.
        """
        messages: list[BotMessage] = []
        minted: dict[str, str] = {}
        offer: Offer | None = None
        for reply in replies:
            tokens = tuple(secrets.token_urlsafe(6) for _ in reply.buttons)
            for token, (title, payload) in zip(tokens, reply.buttons, strict=True):
                minted[token] = json.dumps({"title": title, "payload": payload},
                                           ensure_ascii=False)
            if reply.buttons:
                offer = Offer(reply.text, reply.language,
                              tuple(Choice(t, p) for t, p in reply.buttons), tokens)
            buttons = tuple(Button(title, token)
                            for (title, _), token in zip(reply.buttons, tokens, strict=True))
            messages.append(BotMessage(reply.text, buttons, reply.image, reply.language))
        async with self.client.pipeline(transaction=True) as pipe:
            if minted:
                tokens_key = keys.tokens(subject)
                if await self.client.hlen(tokens_key) > MAX_TOKENS:
                    pipe.delete(tokens_key)
                pipe.hset(tokens_key, mapping=minted)
                pipe.expire(tokens_key, TOKEN_TTL_S)
            if offer is None:
                pipe.delete(keys.choices(subject))
            else:
                pipe.set(keys.choices(subject), json.dumps({
                    "question": offer.question, "language": offer.language,
                    "choices": [[c.title, c.payload] for c in offer.choices],
                    "tokens": list(offer.tokens)}, ensure_ascii=False), ex=TOKEN_TTL_S)
            await pipe.execute()
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

    async def open_question(self, subject: str) -> Offer | None:
        """The question with choices still waiting for an answer, if any."""
        value = await self.client.get(keys.choices(subject))
        if value is None:
            return None
        data = json.loads(value)
        return Offer(data["question"], data.get("language"),
                     tuple(Choice(t, p) for t, p in data["choices"]), tuple(data["tokens"]))

"""What happens to one inbound message, once it is its turn: to Rasa or to a person, and back.

The conversation's mode decides who gets it (``cardcare.handoff.Mode``; ``bot.handoff``).
For the bot: a tapped button's token becomes its payload, a typed answer to an open question
becomes the chosen option's payload (``bot.choices``), anything else is passed to Rasa as
text; Rasa's answer is rendered by the channel it came from.  The gateway answers by itself
only when it must: a flood, a message too long or not text, an outage of Rasa.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis
import structlog

from bot import keys
from bot.choices import Outcome, match_choice
from bot.handoff import GATEWAY_PAYLOAD, Handoffs
from bot.messages import BotMessage, Inbound, Kind, merged
from bot.offers import Offer, Offers
from bot.rasa import RasaClient, RasaError
from bot.texts import text
from cardcare.conversation import DEFAULT_LANGUAGE, MAX_MESSAGE_CHARS
from cardcare.handoff import Mode, mode_key
from cardcare.service_hours import ServiceHours

log = structlog.get_logger(__name__)

# Commands a user may type (nlu/commands.py maps them to intents).  Any other text starting
# with "/" would reach Rasa as an intent with entities of the user's choosing
# ("/credit_limit{...}"), so its slashes are dropped: only offered buttons send payloads.
COMMANDS = frozenset({"start", "help", "language", "lang", "agent", "human"})
_COMMAND = re.compile(r"/([a-z]+)(?:@\w+)?")  # Telegram appends @botname in groups
_LANGUAGE_TTL_S = 30 * 24 * 3600


class Channel(Protocol):
    """A channel adapter: renders the bot's messages in its platform's form and sends them."""

    name: str

    async def deliver(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Sends ``messages`` to the user who sent ``inbound``, in order."""

    async def push(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Sends ``messages`` to that user outside any reply (an agent's message, a queue
        update): never as the answer to a waiting platform request."""


@dataclass(frozen=True)
class _State:
    """The conversation as the router sees it when a message's turn comes."""

    mode: Mode
    count: int  # messages in this rate-limit window, this one included
    offer: Offer | None
    language: str  # for the gateway's own texts: Rasa's last, else the platform's hint
    # What Rasa is told to prefer when a message does not tell its language: Rasa's last (which
    # carries the language into a new Rasa session), else the platform's; None if neither.
    hint: str | None


class Router:
    """Handles one message of a conversation (``bot.ordering`` calls it in order)."""

    def __init__(self, client: redis.Redis, rasa: RasaClient, channels: dict[str, Channel],
                 rate_per_minute: int = 30, max_text_chars: int = MAX_MESSAGE_CHARS,
                 hours: ServiceHours | None = None) -> None:
        self.client = client
        self.rasa = rasa
        self.channels = channels
        self.handoffs = Handoffs(client, self._push, hours or ServiceHours({}))
        self.offers = Offers(client)
        self.rate_per_minute = rate_per_minute
        self.max_text_chars = max_text_chars

    async def handle(self, inbound: Inbound) -> None:
        """Routes ``inbound`` to the bot or the person who owns the conversation."""
        subject = inbound.subject
        state = await self._state(inbound)
        over = state.count - self.rate_per_minute
        if over > 0:
            if over == 1:  # once per window: a flood gets one answer, not one per message
                await self._say(inbound, state, "rate_limited")
            log.info("gateway.message.rate_limited")
            return
        if state.mode is not Mode.BOT and await self.handoffs.from_user(inbound, state.mode,
                                                                         state.language):
            log.info("gateway.message.handoff", mode=state.mode.value)
            await self._deliver(inbound, [])  # a waiting request answers at once
            return
        message = await self._rasa_text(inbound, state)
        if message is None:
            return
        try:
            replies = await self.rasa.turn(subject, inbound.channel, message, inbound.message_id,
                                           state.hint)
        except RasaError as error:
            log.error("gateway.rasa.failed", error=str(error))
            await self._say(inbound, state, "unavailable")
            return
        async with self.client.pipeline(transaction=True) as pipe:
            messages = await self.offers.record(subject, replies, pipe)
            language = next((m.language for m in reversed(messages) if m.language), None)
            if language:
                pipe.set(keys.language(subject), language, ex=_LANGUAGE_TTL_S)
            await pipe.execute()
        log.info("gateway.message.answered", replies=len(messages))
        await self._deliver(inbound, merged(messages))
        escalation = self.handoffs.escalation_in(replies)
        if escalation is not None:
            await self.handoffs.escalate(inbound, escalation)

    async def _state(self, inbound: Inbound) -> _State:
        """What the router needs to know about the conversation, in one round trip to Redis."""
        subject = inbound.subject
        rate = keys.rate(subject, int(time.time() // 60))
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.get(mode_key(subject)).incr(rate).expire(rate, 120)
            pipe.get(keys.choices(subject)).get(keys.language(subject))
            mode, count, _, offer, language = await pipe.execute()
        hint = (language.decode() if isinstance(language, bytes) else language) \
            or inbound.language_hint
        return _State(Mode.parse(mode), int(count), Offers.parse(offer),
                      hint or DEFAULT_LANGUAGE, hint)

    async def _rasa_text(self, inbound: Inbound, state: _State) -> str | None:
        """What to send Rasa for ``inbound``, or None when the gateway answered it itself."""
        if inbound.kind is Kind.UNSUPPORTED:
            await self._say(inbound, state, "unsupported")
            return None
        if inbound.kind is Kind.COMMAND:
            return inbound.value  # made by an adapter from a platform event, not typed
        if inbound.kind is Kind.CHOICE:
            choice = await self.offers.resolve(inbound.subject, inbound.value)
            if choice is None or choice.payload.startswith(GATEWAY_PAYLOAD):
                # Unknown, forgotten, or a handoff button of a wait or rating that is over.
                await self._say(inbound, state, "button_expired")
                return None
            return choice.payload
        typed = inbound.value.strip()
        if len(typed) > self.max_text_chars:
            await self._say(inbound, state, "too_long", limit=self.max_text_chars)
            return None
        command = _COMMAND.fullmatch(typed)
        if command and command.group(1) in COMMANDS:
            return f"/{command.group(1)}"
        typed = typed.lstrip("/").strip()
        if not typed:
            return None
        offer = state.offer
        if offer is None:
            return typed
        match = match_choice(typed, offer.choices)
        if match.outcome is Outcome.CHOSEN and match.choice is not None:
            log.info("gateway.choice.typed")
            return match.choice.payload
        if match.outcome is Outcome.AMBIGUOUS:
            await self._deliver(inbound, [BotMessage(
                text("which_one", offer.language), offer.buttons(match.candidates),
                language=offer.language)])
            return None
        return typed

    async def _say(self, inbound: Inbound, state: _State, name: str, **values: object) -> None:
        """One of the gateway's own texts, in the conversation's language."""
        await self._deliver(inbound, [BotMessage(text(name, state.language, **values),
                                                 language=state.language)])

    async def _push(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        await self.channels[inbound.channel].push(inbound, messages)

    async def _deliver(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        # Even nothing is delivered: a waiting WeChat request answers at once, a web page
        # stops showing "typing".
        await self.channels[inbound.channel].deliver(inbound, messages)

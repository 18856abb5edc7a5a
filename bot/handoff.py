"""The gateway's side of the human handoff: queueing, the silent bot, the way back.

* ``escalate``: Rasa's answer carried an escalation (``cardcare.escalation``): the chat is
  queued (or, outside service hours, the user may leave a message), and the user is told their
  place in line and the expected wait, with a button to cancel.
* ``from_user``: while the chat waits or a person holds it, the user's messages go to the
  chat log for the agent; Rasa never sees them.  "Cancel" while waiting goes back to the bot.
* ``carry_out``: what the desk asks (``cardcare.handoff_log.Outbox``): an agent's reply sent
  on the user's channel, "joined", "transferred", and "closed", which hands the chat back to
  the bot and asks for a 1-5 rating.
* ``watch``: the user is told when their place changes meaningfully; a user silent too long
  while waiting is dropped; the chats of an agent who went away are queued again.

Texts are the gateway's own (``bot/texts.yml``), in the conversation's language.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as redis
import structlog

from bot.choices import Choice
from bot.messages import BotMessage, Inbound, Kind
from bot.offers import Offers
from bot.rasa import RasaReply
from bot.texts import text
from cardcare.conversation import parse_subject
from cardcare.escalation import Escalation, EscalationError
from cardcare.handoff import PREFIX, HandoffQueue, Mode, Ticket
from cardcare.handoff_log import (
    ChatLog,
    HandleTimes,
    LeftMessages,
    Order,
    Outbox,
    Presence,
    Ratings,
    publish,
)
from cardcare.service_hours import ServiceHours

log = structlog.get_logger(__name__)

# Payloads of buttons the gateway handles itself: never sent to Rasa (``bot.router``).
GATEWAY_PAYLOAD = "cardcare:"
CANCEL = f"{GATEWAY_PAYLOAD}cancel-handoff"
RATING = f"{GATEWAY_PAYLOAD}rating:"
# Typed words that cancel the wait (or the message) in the four languages.
CANCEL_WORDS = frozenset({"cancel", "stop", "/cancel", "/bot", "取消", "不用了", "hủy", "huỷ",
                          "huy", "thôi", "thoi"})
# How long the state of an unfinished step lives: a left message, an unanswered rating.
MESSAGE_TTL_S = 3600
SURVEY_TTL_S = 24 * 3600
# A user who writes nothing for this long while waiting has left.
ABANDON_S = 30 * 60
# An agent whose desk has been gone this long (no heartbeat) loses their chats to the queue.
AGENT_AWAY_S = 60
WATCH_LOCK = f"{PREFIX}watch-lock"


def _key(kind: str, subject: str) -> str:
    return f"{PREFIX}{kind}:{subject}"


Send = Callable[[Inbound, list[BotMessage]], Awaitable[None]]


@dataclass(frozen=True)
class Wait:
    """A waiting chat's place and the expected wait (None: no agent online to estimate)."""

    position: int
    minutes: int | None


class Handoffs:
    """The handoff as one gateway instance sees it (all state is in Redis)."""

    def __init__(self, client: redis.Redis, send: Send, hours: ServiceHours,
                 abandon_s: float = ABANDON_S, agent_away_s: float = AGENT_AWAY_S) -> None:
        self.client = client
        self.send = send  # to the user's channel, outside any reply (bot.router)
        self.hours = hours
        self.abandon_s = abandon_s
        self.agent_away_s = agent_away_s
        self.queue = HandoffQueue(client)
        self.chats = ChatLog(client)
        self.offers = Offers(client)
        self.presence = Presence(client)
        self.handle_times = HandleTimes(client)
        self.ratings = Ratings(client)
        self.left = LeftMessages(client)

    # --- From Rasa: the bot hands over --------------------------------------------------------

    @staticmethod
    def escalation_in(replies: list[RasaReply]) -> Escalation | None:
        """The escalation Rasa's answer carries, if any (a malformed one is logged, dropped)."""
        for reply in replies:
            if reply.handoff is not None:
                try:
                    return Escalation.from_dict(reply.handoff)
                except EscalationError as error:
                    log.error("gateway.handoff.malformed", error=str(error))
        return None

    async def escalate(self, inbound: Inbound, escalation: Escalation) -> None:
        """Queues the chat, or offers to leave a message outside service hours."""
        language = escalation.language
        subject = inbound.subject
        if not self.hours.is_open(language):
            await self.client.set(_key("pending-message", subject),
                                  json.dumps(escalation.to_dict(), ensure_ascii=False),
                                  ex=MESSAGE_TTL_S)
            await self.queue.set_mode(subject, Mode.MESSAGE, ttl_s=MESSAGE_TTL_S)
            await self._say(inbound, "outside_hours", language, button=(
                "leave_no_message_button", CANCEL), hours=self.hours.describe(language))
            log.info("gateway.handoff.outside_hours", reason=escalation.reason.value)
            return
        ticket = await self.queue.enqueue(subject, language, escalation.skill,
                                          escalation.priority, escalation.reason.value)
        await self.chats.keep_context(ticket.ticket_id, escalation)
        await self._seen(ticket)
        await publish(self.client, {"type": "queue"})
        wait = await self.wait(ticket)
        if wait is not None:
            await self._tell_wait(inbound, ticket, wait, first=True)
        log.info("gateway.handoff.queued", reason=escalation.reason.value,
                 priority=int(escalation.priority), skill=escalation.skill.value)

    # --- From the user, while not with the bot ------------------------------------------------

    async def from_user(self, inbound: Inbound, mode: Mode, language: str) -> bool:
        """Handles a message while the chat waits, is held, or a message or rating is due.
        False when the bot should answer it after all (a rating not given)."""
        choice = (await self.offers.resolve(inbound.subject, inbound.value)
                  if inbound.kind is Kind.CHOICE else None)
        if mode is Mode.SURVEY:
            return await self._rating(inbound, language, choice)
        cancel = (choice.payload == CANCEL if choice is not None else
                  inbound.kind is Kind.TEXT and inbound.value.strip().casefold() in CANCEL_WORDS)
        if mode is Mode.MESSAGE:
            await self._leave_message(inbound, language, cancel)
            return True
        ticket = await self.queue.open_ticket(inbound.subject)
        if ticket is None:  # ended in between: the bot has the chat again
            await self.queue.set_mode(inbound.subject, Mode.BOT)
            return False
        if cancel and ticket.agent is None:
            if await self.queue.end(ticket):
                await self.chats.append(ticket.ticket_id, "system", "The customer cancelled.")
                await publish(self.client, {"type": "chat_ended", "ticket_id": ticket.ticket_id,
                                            "why": "cancelled by the customer"})
                await publish(self.client, {"type": "queue"})
                await self._say(inbound, "wait_cancelled", ticket.language)
            return True
        said = inbound.value if inbound.kind is Kind.TEXT else f"[{inbound.value}]"
        if choice is not None:
            said = choice.title
        await self.chats.append(ticket.ticket_id, "user", said)
        await self._seen(ticket)
        return True

    async def _leave_message(self, inbound: Inbound, language: str, cancel: bool) -> None:
        raw = await self.client.getdel(_key("pending-message", inbound.subject))
        await self.queue.set_mode(inbound.subject, Mode.BOT)
        if cancel or raw is None or inbound.kind is not Kind.TEXT:
            await self._say(inbound, "message_not_left", language)
            return
        escalation = Escalation.from_dict(json.loads(raw))
        left = await self.left.add(inbound.subject, escalation, inbound.value)
        await self._say(inbound, "message_left", escalation.language, reference=left.reference)
        log.info("gateway.handoff.message_left", reference=left.reference)

    async def _rating(self, inbound: Inbound, language: str, choice: Choice | None) -> bool:
        raw = await self.client.getdel(_key("survey", inbound.subject))
        await self.queue.set_mode(inbound.subject, Mode.BOT)
        score: int | None = None
        if choice is not None and choice.payload.startswith(RATING):
            score = int(choice.payload[len(RATING):])
        elif inbound.kind is Kind.TEXT and inbound.value.strip() in {"1", "2", "3", "4", "5"}:
            score = int(inbound.value.strip())
        if score is None or raw is None:
            return False  # not a rating: the bot answers it
        survey = json.loads(raw)
        await self.ratings.record(survey["ticket_id"], survey["agent"], score,
                                  survey["language"], survey["skill"])
        await publish(self.client, {"type": "rating"})
        await self._say(inbound, "rating_thanks", language)
        return True

    # --- From the desk ------------------------------------------------------------------------

    async def carry_out(self, order: Order) -> None:
        """Does what the desk asked, on the user's channel."""
        if order.kind == "closed":
            await self._closed(order)
            return
        ticket = await self.queue.get(order.ticket_id)
        if ticket is None:
            log.warning("gateway.handoff.order_for_ended_chat", kind=order.kind)
            return
        if order.kind == "reply":
            if ticket.agent != order.agent:  # transferred or requeued since: not theirs
                await self.chats.append(ticket.ticket_id, "system",
                                        "A reply was not sent: the chat is no longer yours.")
                return
            await self.send(_target(ticket), [BotMessage(
                text("agent_says", ticket.language, agent=order.name, text=order.text),
                language=ticket.language)])
        elif order.kind == "claimed" and ticket.agent == order.agent:
            await self._say(_target(ticket), "agent_joined", ticket.language, agent=order.name)
        elif order.kind == "transferred":
            if ticket.agent is None:
                wait = await self.wait(ticket)
                if wait is not None:
                    await self._say(_target(ticket), "agent_requeued", ticket.language,
                                    position=wait.position)
            else:
                await self._say(_target(ticket), "agent_joined", ticket.language,
                                agent=order.name)

    async def _closed(self, order: Order) -> None:
        ticket = Ticket.from_json(order.ticket)
        if ticket.claimed_ms:
            await self.handle_times.record(time.time() - ticket.claimed_ms / 1000)
        await self.client.set(_key("survey", ticket.subject), json.dumps({
            "ticket_id": ticket.ticket_id, "agent": order.agent, "language": ticket.language,
            "skill": ticket.skill.value}), ex=SURVEY_TTL_S)
        await self.queue.set_mode(ticket.subject, Mode.SURVEY, ttl_s=SURVEY_TTL_S)
        buttons = [(str(score), f"{RATING}{score}") for score in range(1, 6)]
        await self._say(_target(ticket), "chat_closed", ticket.language, buttons=buttons,
                        agent=order.name)

    # --- Watching the queue -------------------------------------------------------------------

    async def wait(self, ticket: Ticket) -> Wait | None:
        """The ticket's place and expected wait; None when it no longer waits."""
        position = await self.queue.position(ticket)
        if position is None:
            return None
        seats = sum(a.capacity for a in await self.presence.online() if a.serves(ticket))
        if not seats:
            return Wait(position, None)
        minutes = math.ceil(position * await self.handle_times.mean_s() / seats / 60)
        return Wait(position, max(1, minutes))

    async def watch(self) -> None:
        """One round of the watch, by one gateway instance at a time."""
        if not await self.client.set(WATCH_LOCK, "1", nx=True, px=3000):
            return
        now_ms = time.time() * 1000
        for agent_id in await self.queue.holders():
            if await self.presence.is_online(agent_id):
                continue
            away_since = await self.client.set(_key("away", agent_id), int(now_ms), nx=True,
                                               ex=3600)
            since = now_ms if away_since else float(await self.client.get(_key("away",
                                                                                agent_id)))
            if now_ms - since < self.agent_away_s * 1000:
                continue
            for ticket in await self.queue.requeue_all(agent_id):
                await self.chats.append(ticket.ticket_id, "system",
                                        f"{agent_id} went away; the chat is queued again.")
                await self.carry_out(Order("transferred", ticket.ticket_id, agent_id))
            await self.client.delete(_key("away", agent_id))
            await publish(self.client, {"type": "queue"})
        for ticket in await self.queue.waiting_tickets():
            seen = await self.client.get(_key("seen", ticket.ticket_id))
            if now_ms - float(seen or ticket.asked_ms) > self.abandon_s * 1000:
                if await self.queue.end(ticket):
                    await self.chats.append(ticket.ticket_id, "system",
                                            "The customer left (no message while waiting).")
                    await publish(self.client, {"type": "queue"})
                    await self._say(_target(ticket), "wait_dropped", ticket.language)
                continue
            wait = await self.wait(ticket)
            if wait is not None:
                await self._tell_wait(_target(ticket), ticket, wait, first=False)

    async def _tell_wait(self, inbound: Inbound, ticket: Ticket, wait: Wait,
                         first: bool) -> None:
        """Tells the place and wait, the first time, then only when it changed meaningfully:
        the place fell by a third, or into the last three, or the wait moved by 3 minutes."""
        told_key = _key("told", ticket.ticket_id)
        if not first:
            told = await self.client.hgetall(told_key)
            if not told:
                return
            before = int(told[b"position"])
            before_minutes = int(told[b"minutes"]) if told.get(b"minutes") else None
            moved = wait.position < before and (wait.position <= 3
                                                or wait.position <= before * 2 / 3)
            slower = (wait.minutes is not None and before_minutes is not None
                      and abs(wait.minutes - before_minutes) >= 3)
            if not (moved or slower):
                return
            if wait.minutes is None:
                await self._say(inbound, "queue_update_unknown", ticket.language,
                                position=wait.position)
            else:
                await self._say(inbound, "queue_update", ticket.language,
                                position=wait.position, minutes=wait.minutes)
        elif wait.minutes is None:
            await self._say(inbound, "queue_position_unknown", ticket.language,
                            button=("cancel_wait_button", CANCEL), position=wait.position)
        else:
            await self._say(inbound, "queue_position", ticket.language,
                            button=("cancel_wait_button", CANCEL), position=wait.position,
                            minutes=wait.minutes)
        await self.client.hset(told_key, mapping={"position": wait.position,
                                                  "minutes": wait.minutes or ""})
        await self.client.expire(told_key, SURVEY_TTL_S)

    async def _seen(self, ticket: Ticket) -> None:
        await self.client.set(_key("seen", ticket.ticket_id), int(time.time() * 1000),
                              ex=SURVEY_TTL_S)

    async def _say(self, inbound: Inbound, name: str, language: str,
                   button: tuple[str, str] | None = None,
                   buttons: list[tuple[str, str]] | None = None, **values: object) -> None:
        """One of the gateway's texts, with buttons whose payloads the gateway handles."""
        offered = list(buttons or [])
        if button:
            offered.append((text(button[0], language), button[1]))
        reply = RasaReply(text(name, language, **values), tuple(offered), None, language)
        if not offered:
            await self.send(inbound, [BotMessage(reply.text, language=language)])
            return
        async with self.client.pipeline(transaction=True) as pipe:
            messages = await self.offers.record(inbound.subject, [reply], pipe)
            await pipe.execute()
        await self.send(inbound, messages)


async def relay_forever(handoffs: Handoffs, channels: list[str], consumer: str,
                        stopping: asyncio.Event, block_ms: int = 500) -> None:
    """Carries out the desk's orders for the chats of ``channels`` (those this gateway
    serves), each once across all gateway instances: an order stays pending until done, and
    one whose gateway died is taken over (``Outbox.take``).

    Stops when ``stopping`` is set, within ``block_ms``: cancelling a blocked Redis read can
    be lost on Python 3.10 (async-timeout's race), so the loop is asked, not cancelled.
    """
    outbox = Outbox(handoffs.client)
    await outbox.ensure_groups(channels)
    while not stopping.is_set():
        try:
            for stream, order_id, order in await outbox.take(channels, consumer, block_ms):
                try:
                    await handoffs.carry_out(order)
                except Exception:  # one bad order must not stop the others
                    log.exception("gateway.handoff.order_failed", kind=order.kind)
                await outbox.done(stream, order_id)
        except Exception:
            log.exception("gateway.handoff.relay_failed")
            await _pause(stopping, 1.0)


async def watch_forever(handoffs: Handoffs, stopping: asyncio.Event,
                        interval_s: float = 5.0) -> None:
    """Runs ``Handoffs.watch`` every ``interval_s`` (one instance a round) until ``stopping``."""
    while not stopping.is_set():
        try:
            await handoffs.watch()
        except Exception:
            log.exception("gateway.handoff.watch_failed")
        await _pause(stopping, interval_s)


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


def _target(ticket: Ticket) -> Inbound:
    """The user of ``ticket``, to send to outside a reply (no waiting platform request)."""
    channel, user_id = parse_subject(ticket.subject)
    return Inbound(channel, user_id, Kind.COMMAND, "", f"handoff:{time.time_ns()}",
                   ticket.language)

"""What a handed-over chat leaves in Redis besides its place in the queue (``cardcare.handoff``).

The gateway and the desk share it, several instances of each:

* ``ChatLog``: the escalation's context (summary and bot transcript) and the live chat after it
  (user, agent, internal notes, system lines), one Redis stream per ticket, so the turns keep
  one order whichever process wrote them.  Texts are masked before they are kept.
* ``Outbox``: what the desk asks the gateway to do for a chat (send an agent's reply, tell the
  customer the chat was claimed, transferred or closed).  A stream with a consumer group: an
  entry stays pending until a gateway has done it, so a gateway that dies mid-way loses nothing.
* ``Events``: a pub/sub channel the desk's websockets listen to.  Lost when no desk listens,
  which is fine: the desk reads the state again when an agent connects.
* ``Presence``, ``HandleTimes``, ``Ratings`` (satisfaction), ``LeftMessages`` (outside
  service hours) and ``Audit`` (who did what, when: ids and actions, never texts).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, Final

import redis.asyncio as redis

from cardcare.escalation import Escalation, Skill
from cardcare.handoff import PREFIX, Agent
from cardcare.masking import mask_text

# Kept as long as Rasa keeps the conversation (cardcare.tracker_store's retention).
RETENTION_S: Final = 30 * 24 * 3600
EVENTS: Final = f"{PREFIX}events"
OUTBOX: Final = f"{PREFIX}outbox"
OUTBOX_GROUP: Final = "gateways"
AUDIT: Final = f"{PREFIX}audit"
RATINGS: Final = f"{PREFIX}ratings"
_KEEP: Final = 100_000  # entries of the capped streams (audit, ratings, outbox)
WHO: Final = frozenset({"user", "bot", "agent", "note", "system"})
# How a system line about a failed delivery starts (the desk lists those apart).
NOT_DELIVERED: Final = "Could not be delivered"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _fields(entry: dict[Any, Any]) -> dict[str, str]:
    """A stream entry's fields as text."""
    return {_text(k): _text(v) for k, v in entry.items()}


@dataclass(frozen=True)
class Entry:
    """One line of a handed-over chat."""

    id: str
    who: str  # user, bot, agent, note (seen by agents only), system
    text: str
    time: float
    agent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChatLog:
    """A ticket's context and live transcript."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _context(ticket_id: str) -> str:
        return f"{PREFIX}context:{ticket_id}"

    @staticmethod
    def _chat(ticket_id: str) -> str:
        return f"{PREFIX}chat:{ticket_id}"

    async def keep_context(self, ticket_id: str, escalation: Escalation) -> None:
        await self.client.set(self._context(ticket_id),
                              json.dumps(escalation.to_dict(), ensure_ascii=False),
                              ex=RETENTION_S)

    async def context(self, ticket_id: str) -> Escalation | None:
        raw = await self.client.get(self._context(ticket_id))
        return Escalation.from_dict(json.loads(raw)) if raw else None

    async def append(self, ticket_id: str, who: str, text: str,
                     agent: str | None = None) -> Entry:
        """Adds a line (masked) and tells the desk."""
        if who not in WHO:
            raise ValueError(f"who is one of {sorted(WHO)}")
        now = time.time()
        fields = {"who": who, "text": mask_text(text), "time": f"{now:.3f}",
                  "agent": agent or ""}
        key = self._chat(ticket_id)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.xadd(key, fields).expire(key, RETENTION_S)
            entry_id, _ = await pipe.execute()
        entry = Entry(_text(entry_id), who, fields["text"], now, agent)
        await publish(self.client, {"type": "entry", "ticket_id": ticket_id,
                                    "entry": entry.to_dict()})
        return entry

    async def entries(self, ticket_id: str) -> list[Entry]:
        return [Entry(_text(entry_id), _text(f[b"who"]), _text(f[b"text"]),
                      float(f[b"time"]), _text(f[b"agent"]) or None)
                for entry_id, f in await self.client.xrange(self._chat(ticket_id))]


async def publish(client: redis.Redis, event: dict[str, Any]) -> None:
    """Tells every desk instance (and through them the agents' browsers)."""
    await client.publish(EVENTS, json.dumps(event, ensure_ascii=False))


@dataclass(frozen=True)
class Order:
    """One thing the desk asks the gateway to do for a chat."""

    kind: str  # reply, claimed, transferred, closed
    ticket_id: str
    agent: str  # the agent's id
    name: str = ""  # the agent's name, as the customer sees it
    text: str = ""
    ticket: str = ""  # the ticket's json when the order was made (a closed one is gone)


class Outbox:
    """The desk's orders to the gateways, each done once by one gateway that serves the
    customer's channel: one stream per channel, read by a consumer group."""

    KINDS: Final = frozenset({"reply", "claimed", "transferred", "closed"})

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def stream(channel: str) -> str:
        return f"{OUTBOX}:{channel}"

    async def send(self, channel: str, order: Order) -> None:
        """Queues ``order`` for the gateways of ``channel`` (the customer's)."""
        if order.kind not in self.KINDS:
            raise ValueError(f"unknown order {order.kind!r}")
        await self.client.xadd(self.stream(channel), asdict(order), maxlen=_KEEP,
                               approximate=True)

    async def ensure_groups(self, channels: list[str]) -> None:
        for channel in channels:
            try:
                await self.client.xgroup_create(self.stream(channel), OUTBOX_GROUP, id="0",
                                                mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def take(self, channels: list[str], consumer: str, block_ms: int,
                   stale_ms: int = 30_000) -> list[tuple[str, str, Order]]:
        """Orders for ``consumer`` as (stream, id, order): first any another gateway took more
        than ``stale_ms`` ago and never finished (it died), then new ones (waiting up to
        ``block_ms``, which must stay under the client's socket timeout)."""
        found: list[tuple[Any, Any, Any]] = []
        for channel in channels:
            _, stale, *_ = await self.client.xautoclaim(self.stream(channel), OUTBOX_GROUP,
                                                        consumer, stale_ms, count=50)
            found += [(self.stream(channel), i, f) for i, f in stale if f]
        if not found:
            reply = await self.client.xreadgroup(
                OUTBOX_GROUP, consumer, {self.stream(c): ">" for c in channels}, count=50,
                block=block_ms)
            found = [(stream, i, f) for stream, entries in reply or [] for i, f in entries]
        return [(_text(stream), _text(i), Order(**_fields(f)))
                for stream, i, f in found]

    async def done(self, stream: str, order_id: str) -> None:
        await self.client.xack(stream, OUTBOX_GROUP, order_id)


class Presence:
    """Which agents have the desk open (refreshed by their websocket), with what they serve."""

    TTL_S: Final = 30
    ROSTER: Final = f"{PREFIX}roster"

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _key(agent_id: str) -> str:
        return f"{PREFIX}presence:{agent_id}"

    async def beat(self, agent: Agent) -> None:
        profile = {"languages": list(agent.languages),
                   "skills": [s.value for s in agent.skills], "capacity": agent.capacity}
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._key(agent.agent_id), json.dumps(profile), ex=self.TTL_S)
            pipe.sadd(self.ROSTER, agent.agent_id)
            await pipe.execute()

    async def leave(self, agent_id: str) -> None:
        await self.client.delete(self._key(agent_id))

    async def online(self) -> list[Agent]:
        """Agents whose desk is open now."""
        ids = sorted(_text(a) for a in await self.client.smembers(self.ROSTER))
        profiles = await self.client.mget([self._key(a) for a in ids]) if ids else []
        found: list[Agent] = []
        for agent_id, raw in zip(ids, profiles, strict=True):
            if raw is None:
                continue
            profile = json.loads(raw)
            found.append(Agent(agent_id, tuple(profile["languages"]),
                               tuple(Skill(s) for s in profile["skills"]),
                               int(profile["capacity"])))
        return found

    async def is_online(self, agent_id: str) -> bool:
        return bool(await self.client.exists(self._key(agent_id)))


class HandleTimes:
    """How long agents held recent chats: the basis of the wait the customer is told."""

    KEY: Final = f"{PREFIX}handle-times"
    KEEP: Final = 50
    DEFAULT_S: Final = 300.0

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def record(self, seconds: float) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            await pipe.lpush(self.KEY, f"{max(seconds, 0):.1f}").ltrim(
                self.KEY, 0, self.KEEP - 1).execute()

    async def mean_s(self) -> float:
        values = [float(v) for v in await self.client.lrange(self.KEY, 0, -1)]
        return sum(values) / len(values) if values else self.DEFAULT_S


class Ratings:
    """Satisfaction ratings (1-5) after a chat with a person."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def record(self, ticket_id: str, agent: str, score: int, language: str,
                     skill: str) -> None:
        if not 1 <= score <= 5:
            raise ValueError("a rating is 1 to 5")
        await self.client.xadd(RATINGS, {"ticket": ticket_id, "agent": agent,
                                         "score": str(score), "language": language,
                                         "skill": skill, "time": f"{time.time():.3f}"},
                               maxlen=_KEEP, approximate=True)

    async def all(self) -> list[dict[str, str]]:
        return [_fields(f) for _, f in await self.client.xrange(RATINGS)]


@dataclass(frozen=True)
class LeftMessage:
    """What a customer left outside service hours, for the team to follow up."""

    reference: str
    subject: str
    language: str
    skill: str
    reason: str
    text: str  # masked
    created: float
    context: dict[str, Any]  # the escalation (summary and transcript), masked


class LeftMessages:
    """Messages left outside service hours, until a person marks them handled."""

    INDEX: Final = f"{PREFIX}left-messages"

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _key(reference: str) -> str:
        return f"{PREFIX}left-message:{reference}"

    async def add(self, subject: str, escalation: Escalation, text: str) -> LeftMessage:
        message = LeftMessage(f"M-{secrets.token_hex(4).upper()}", subject,
                              escalation.language, escalation.skill.value,
                              escalation.reason.value, mask_text(text), time.time(),
                              escalation.to_dict())
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._key(message.reference), json.dumps(asdict(message),
                                                              ensure_ascii=False),
                     ex=RETENTION_S)
            pipe.zadd(self.INDEX, {message.reference: message.created})
            await pipe.execute()
        await publish(self.client, {"type": "messages"})
        return message

    async def get(self, reference: str) -> LeftMessage | None:
        raw = await self.client.get(self._key(reference))
        return LeftMessage(**json.loads(raw)) if raw else None

    async def open(self) -> list[LeftMessage]:
        references = [_text(r) for r in await self.client.zrange(self.INDEX, 0, -1)]
        raws = await self.client.mget([self._key(r) for r in references]) if references else []
        return [LeftMessage(**json.loads(raw)) for raw in raws if raw]

    async def done(self, reference: str) -> LeftMessage | None:
        raw = await self.client.get(self._key(reference))
        if raw is None or not await self.client.zrem(self.INDEX, reference):
            return None
        await self.client.delete(self._key(reference))
        return LeftMessage(**json.loads(raw))


class Audit:
    """Who handled which chat, when, and what they did: actors, actions and references only,
    never a message text or a customer's identity."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def record(self, actor: str, action: str, reference: str = "",
                     **detail: str | int) -> None:
        await self.client.xadd(AUDIT, {"time": f"{time.time():.3f}", "actor": actor,
                                       "action": action, "reference": reference,
                                       **{k: str(v) for k, v in detail.items()}},
                               maxlen=_KEEP, approximate=True)

    async def recent(self, count: int = 200) -> list[dict[str, str]]:
        return [_fields(f) for _, f in await self.client.xrevrange(AUDIT, count=count)]

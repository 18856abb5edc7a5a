"""The queue of chats waiting for a person, in Redis: the gateway puts them in, the desk claims.

Both processes load this module (several instances of each, one Redis), so every change of a
chat's place is one Lua script: a chat is never given to two agents, never lost between
"taken off the queue" and "given to an agent", whichever process restarts in between.

* A chat waits in the queue of its language and skill (``waiting:<language>:<skill>``, a
  sorted set).  Its score orders it: priority first (fraud and lost cards before the rest),
  then the time it first asked (the longest-waiting first within a priority; a requeued chat
  keeps its place).
* An agent reads some languages and has some skills, and takes at most ``capacity`` chats at
  once.  ``claim`` gives them the first chat of all the queues they serve, or nothing.
* A chat (a subject) waits at most once: asking again while waiting changes nothing.

Nothing here is personal data: a ticket holds the subject, the language, the skill, the
reason and the times.  The transcript and the summary belong to the desk.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Final

import redis.asyncio as redis

from cardcare.conversation import LANGUAGES

PREFIX: Final = "cardcare:handoff:"
# Scores are priority * this + milliseconds since the epoch: any time sorts inside its priority.
_PRIORITY_SPAN: Final = 10**14


class Priority(enum.IntEnum):
    """Lower is served first."""

    URGENT = 0  # fraud, a lost or stolen card
    NORMAL = 1


class Skill(str, enum.Enum):
    """What an agent is trained for; a chat needs one."""

    CARDS = "cards"
    DISPUTES = "disputes"
    COLLECTIONS = "collections"
    GENERAL = "general"


class HandoffError(ValueError):
    """A ticket or an agent the queue cannot take."""


@dataclass(frozen=True)
class Ticket:
    """One chat waiting for, or held by, a person."""

    ticket_id: str
    subject: str
    language: str
    skill: Skill
    priority: Priority
    reason: str  # why the bot handed over: "human_agent", "report_fraud", "bank_down" ...
    # When the user first asked, in milliseconds since the epoch (an integer: Redis's Lua
    # JSON keeps 14 significant digits, which a float of seconds would lose).
    asked_ms: int
    agent: str | None = None

    @property
    def score(self) -> int:
        """Its place in its queue."""
        return int(self.priority) * _PRIORITY_SPAN + self.asked_ms

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "skill": self.skill.value,
                           "priority": int(self.priority)})

    @classmethod
    def from_json(cls, raw: bytes | str) -> Ticket:
        data = json.loads(raw)
        return cls(**{**data, "skill": Skill(data["skill"]),
                      "priority": Priority(data["priority"])})


@dataclass(frozen=True)
class Agent:
    """A person at the desk: what they read, what they handle, how much at once."""

    agent_id: str
    languages: tuple[str, ...]
    skills: tuple[Skill, ...]
    capacity: int = 3

    def queues(self) -> list[str]:
        return [waiting(language, skill) for language in self.languages for skill in self.skills]


def waiting(language: str, skill: Skill) -> str:
    """The queue of one language and skill."""
    return f"{PREFIX}waiting:{language}:{skill.value}"


def _ticket(ticket_id: str) -> str:
    return f"{PREFIX}ticket:{ticket_id}"


def _open(subject: str) -> str:
    """The subject's open ticket id, while it waits or is held."""
    return f"{PREFIX}open:{subject}"


def _held(agent_id: str) -> str:
    """The ticket ids an agent holds."""
    return f"{PREFIX}held:{agent_id}"


# KEYS: open(subject), ticket(id), queue.  ARGV: id, ticket json, score.
# Returns the id of the subject's open ticket: the new one, or the one it already had.
_ENQUEUE = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return ARGV[1]
"""

# KEYS: held(agent), queue 1..n.  ARGV: capacity, agent id, ticket key prefix.
# Takes the lowest-scored ticket of all the queues, if the agent has room.  Returns its json.
_CLAIM = """
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then return false end
local best, best_score, best_queue = nil, nil, nil
for i = 2, #KEYS do
  local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if first[1] and (best_score == nil or tonumber(first[2]) < best_score) then
    best, best_score, best_queue = first[1], tonumber(first[2]), KEYS[i]
  end
end
if best == nil then return false end
redis.call('ZREM', best_queue, best)
redis.call('SADD', KEYS[1], best)
local key = ARGV[3] .. best
local ticket = cjson.decode(redis.call('GET', key))
ticket['agent'] = ARGV[2]
local encoded = cjson.encode(ticket)
redis.call('SET', key, encoded)
return encoded
"""

# KEYS: ticket(id), queue.  ARGV: id, score, held-key prefix.
# Puts a held ticket back in its queue, at its old place, for another agent.  Its agent is
# read from the stored ticket, so a caller's stale copy cannot leave it held twice.
_REQUEUE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ticket = cjson.decode(raw)
if ticket['agent'] == nil or ticket['agent'] == cjson.null then return 0 end
redis.call('SREM', ARGV[3] .. ticket['agent'], ARGV[1])
ticket['agent'] = cjson.null
redis.call('SET', KEYS[1], cjson.encode(ticket))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: open(subject), ticket(id), queue.  ARGV: id, held-key prefix.
# Ends a ticket wherever it is (waiting, or held).  Returns 1 if it was open.
_END = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local raw = redis.call('GET', KEYS[2])
if raw then
  local ticket = cjson.decode(raw)
  if ticket['agent'] ~= nil and ticket['agent'] ~= cjson.null then
    redis.call('SREM', ARGV[2] .. ticket['agent'], ARGV[1])
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""


class HandoffQueue:
    """The shared queue; every method is one atomic step in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._enqueue = client.register_script(_ENQUEUE)
        self._claim = client.register_script(_CLAIM)
        self._requeue = client.register_script(_REQUEUE)
        self._end = client.register_script(_END)

    async def enqueue(self, subject: str, language: str, skill: Skill, priority: Priority,
                      reason: str, asked_ms: int | None = None) -> Ticket:
        """Puts the chat in its queue, or returns the ticket it already has.

        Raises:
            HandoffError: ``language`` is not one CardCare speaks.
        """
        if language not in LANGUAGES:
            raise HandoffError(f"no queue for language {language!r}")
        ticket = Ticket(uuid.uuid4().hex, subject, language, Skill(skill), Priority(priority),
                        reason, int(time.time() * 1000) if asked_ms is None else asked_ms)
        ticket_id = await self._enqueue(
            keys=[_open(subject), _ticket(ticket.ticket_id), waiting(language, ticket.skill)],
            args=[ticket.ticket_id, ticket.to_json(), ticket.score])
        ticket_id = ticket_id.decode() if isinstance(ticket_id, bytes) else ticket_id
        found = await self.get(ticket_id)
        assert found is not None  # set in the same script, deleted only by ``end``
        return found

    async def get(self, ticket_id: str) -> Ticket | None:
        """The ticket, or None once it has ended."""
        raw = await self.client.get(_ticket(ticket_id))
        return Ticket.from_json(raw) if raw else None

    async def open_ticket(self, subject: str) -> Ticket | None:
        """The chat's ticket while it waits or is held."""
        ticket_id = await self.client.get(_open(subject))
        return await self.get(ticket_id.decode()) if ticket_id else None

    async def position(self, ticket: Ticket) -> int | None:
        """1 for the next chat of its queue; None when it no longer waits."""
        rank = await self.client.zrank(waiting(ticket.language, ticket.skill), ticket.ticket_id)
        return None if rank is None else rank + 1

    async def claim(self, agent: Agent) -> Ticket | None:
        """The first chat of all the queues ``agent`` serves, now theirs; None when none waits
        or the agent is at capacity."""
        raw = await self._claim(keys=[_held(agent.agent_id), *agent.queues()],
                                args=[agent.capacity, agent.agent_id, _ticket("")])
        return Ticket.from_json(raw) if raw else None

    async def held(self, agent_id: str) -> list[Ticket]:
        """The chats an agent holds."""
        ids = sorted(m.decode() for m in await self.client.smembers(_held(agent_id)))
        tickets = [await self.get(ticket_id) for ticket_id in ids]
        return [t for t in tickets if t is not None]

    async def requeue(self, ticket: Ticket) -> bool:
        """Gives a held chat back to its queue at its old place (its agent went away, or
        transferred it).  False when it was not held."""
        return bool(await self._requeue(
            keys=[_ticket(ticket.ticket_id), waiting(ticket.language, ticket.skill)],
            args=[ticket.ticket_id, ticket.score, _held("")]))

    async def requeue_all(self, agent_id: str) -> int:
        """Every chat of an agent who went away, back in the queues; how many."""
        return sum([await self.requeue(t) for t in await self.held(agent_id)])

    async def end(self, ticket: Ticket) -> bool:
        """Ends the ticket: closed by its agent, or the customer cancelled or left.  False when
        it had already ended."""
        return bool(await self._end(
            keys=[_open(ticket.subject), _ticket(ticket.ticket_id),
                  waiting(ticket.language, ticket.skill)],
            args=[ticket.ticket_id, _held("")]))

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
* The chat's ``Mode`` (who answers the user: the bot, nobody yet, an agent) changes in the same
  script as its place, so the gateway never routes by a stale owner.

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
from cardcare.escalation import Priority, Skill

PREFIX: Final = "cardcare:handoff:"
# Scores are priority * this + milliseconds since the epoch: any time sorts inside its priority.
_PRIORITY_SPAN: Final = 10**14


class Mode(str, enum.Enum):
    """Who answers the user's next message (the gateway routes by it)."""

    BOT = "bot"
    WAITING = "waiting"  # queued for a person: messages are kept for them, the bot is silent
    AGENT = "agent"  # a person holds the chat: messages go to them, the bot is silent
    MESSAGE = "message"  # outside service hours: the next message is left for the team
    SURVEY = "survey"  # after a person closed the chat: the next message may be a 1-5 rating

    @classmethod
    def parse(cls, value: bytes | str | None) -> Mode:
        """A stored mode; absent (or unknown) means the bot."""
        raw = value.decode() if isinstance(value, bytes) else value
        try:
            return cls(raw) if raw else cls.BOT
        except ValueError:
            return cls.BOT


def mode_key(subject: str) -> str:
    """The chat's mode; absent while the bot answers."""
    return f"{PREFIX}mode:{subject}"


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
    claimed_ms: int | None = None

    @property
    def score(self) -> int:
        """Its place in its queue."""
        return int(self.priority) * _PRIORITY_SPAN + self.asked_ms

    @property
    def channel(self) -> str:
        """The channel the customer writes on (their subject's)."""
        return self.subject.partition(":")[0]

    @property
    def reference(self) -> str:
        """What the customer and the agent call it."""
        return reference(self.ticket_id)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "skill": self.skill.value,
                           "priority": int(self.priority)})

    @classmethod
    def from_json(cls, raw: bytes | str) -> Ticket:
        data = json.loads(raw)
        fields = {"ticket_id", "subject", "language", "skill", "priority", "reason", "asked_ms",
                  "agent", "claimed_ms"}
        return cls(**{**{k: v for k, v in data.items() if k in fields},
                      "skill": Skill(data["skill"]), "priority": Priority(data["priority"])})


def reference(ticket_id: str) -> str:
    """A short reference for people: ``H-`` and 8 characters of the id."""
    return f"H-{ticket_id[:8].upper()}"


@dataclass(frozen=True)
class Agent:
    """A person at the desk: what they read, what they handle, how much at once."""

    agent_id: str
    languages: tuple[str, ...]
    skills: tuple[Skill, ...]
    capacity: int = 3

    def queues(self) -> list[str]:
        return list(dict.fromkeys(waiting(language, skill) for language in self.languages
                                  for skill in self.skills))

    def serves(self, ticket: Ticket) -> bool:
        return ticket.language in self.languages and ticket.skill in self.skills


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


# Agents holding at least one chat (the sweeper looks for those who went away).
HOLDERS: Final = f"{PREFIX}holders"

# Helpers every script below starts with.  Keys built inside a script are all of this module's
# prefix on one Redis (no cluster), which is what lets one script move a chat and its mode.
_LIB = """
local prefix = ARGV[1]
local function queue_of(t) return prefix .. 'waiting:' .. t['language'] .. ':' .. t['skill'] end
local function score_of(t) return tonumber(t['priority']) * 1e14 + tonumber(t['asked_ms']) end
local function has_agent(t) return t['agent'] ~= nil and t['agent'] ~= cjson.null end
"""

# KEYS: open(subject), ticket(id), queue, mode(subject).  ARGV: prefix, id, json, score.
# Returns the id of the subject's open ticket: the new one, or the one it already had.
_ENQUEUE = _LIB + """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('SET', KEYS[4], 'waiting')
return ARGV[2]
"""

# Gives ticket ``id`` (already off its queue) to agent ARGV[2] at time ARGV[3].
_GIVE = """
local function give(id, agent, now)
  local key = prefix .. 'ticket:' .. id
  local t = cjson.decode(redis.call('GET', key))
  t['agent'] = agent
  t['claimed_ms'] = tonumber(now)
  local encoded = cjson.encode(t)
  redis.call('SET', key, encoded)
  redis.call('SADD', prefix .. 'held:' .. agent, id)
  redis.call('SADD', prefix .. 'holders', agent)
  redis.call('SET', prefix .. 'mode:' .. t['subject'], 'agent')
  return encoded
end
"""

# KEYS: held(agent), queue 1..n.  ARGV: prefix, agent id, now ms, capacity.
# Takes the lowest-scored ticket of all the queues, if the agent has room.  Returns its json.
_CLAIM = _LIB + _GIVE + """
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) then return false end
local best, best_score, best_queue = nil, nil, nil
for i = 2, #KEYS do
  local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if first[1] and (best_score == nil or tonumber(first[2]) < best_score) then
    best, best_score, best_queue = first[1], tonumber(first[2]), KEYS[i]
  end
end
if best == nil then return false end
redis.call('ZREM', best_queue, best)
return give(best, ARGV[2], ARGV[3])
"""

# KEYS: held(agent), ticket(id).  ARGV: prefix, agent id, now ms, capacity, id, queues...
# Takes one chosen ticket if it still waits in one of the agent's queues.  Returns its json, or
# an error code: 'gone', 'taken', 'full', 'not_yours'.
_CLAIM_ONE = _LIB + _GIVE + """
local raw = redis.call('GET', KEYS[2])
if not raw then return {err = 'gone'} end
local t = cjson.decode(raw)
if has_agent(t) then return {err = 'taken'} end
local queue = queue_of(t)
local allowed = false
for i = 6, #ARGV do if ARGV[i] == queue then allowed = true end end
if not allowed then return {err = 'not_yours'} end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {err = 'full'} end
if redis.call('ZREM', queue, ARGV[5]) == 0 then return {err = 'taken'} end
return give(ARGV[5], ARGV[2], ARGV[3])
"""

# KEYS: ticket(id).  ARGV: prefix, id, new skill ('' keeps it), expected agent ('' any).
# Puts a held ticket back in a queue at its old place (its agent went away, or transferred it
# to a skill).  Its agent is read from the stored ticket, so a caller's stale copy cannot
# leave it held twice.  Returns 1, or 0 when it was not held (by that agent).
_REQUEUE = _LIB + """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local t = cjson.decode(raw)
if not has_agent(t) then return 0 end
if ARGV[4] ~= '' and t['agent'] ~= ARGV[4] then return 0 end
redis.call('SREM', prefix .. 'held:' .. t['agent'], ARGV[2])
t['agent'] = cjson.null
t['claimed_ms'] = cjson.null
if ARGV[3] ~= '' then t['skill'] = ARGV[3] end
redis.call('SET', KEYS[1], cjson.encode(t))
redis.call('ZADD', queue_of(t), score_of(t), ARGV[2])
redis.call('SET', prefix .. 'mode:' .. t['subject'], 'waiting')
return 1
"""

# KEYS: ticket(id), held(to).  ARGV: prefix, id, from agent, to agent, to capacity.
# Hands a held chat from one agent to another directly.  Returns 1, or an error code.
_ASSIGN = _LIB + """
local raw = redis.call('GET', KEYS[1])
if not raw then return {err = 'gone'} end
local t = cjson.decode(raw)
if t['agent'] ~= ARGV[3] then return {err = 'not_yours'} end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[5]) then return {err = 'full'} end
redis.call('SREM', prefix .. 'held:' .. ARGV[3], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', prefix .. 'holders', ARGV[4])
t['agent'] = ARGV[4]
redis.call('SET', KEYS[1], cjson.encode(t))
return 1
"""

# KEYS: open(subject), ticket(id).  ARGV: prefix, id, expected agent ('' any).
# Ends a ticket wherever it is (waiting, or held by the expected agent).  Returns its json as
# it was, or false when it had already ended (or another agent holds it).
_END = _LIB + """
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return false end
local raw = redis.call('GET', KEYS[2])
if not raw then return false end
local t = cjson.decode(raw)
if ARGV[3] ~= '' and t['agent'] ~= ARGV[3] then return false end
if has_agent(t) then redis.call('SREM', prefix .. 'held:' .. t['agent'], ARGV[2]) end
redis.call('ZREM', queue_of(t), ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2])
local mode_key = prefix .. 'mode:' .. t['subject']
local mode = redis.call('GET', mode_key)
if mode == 'waiting' or mode == 'agent' then redis.call('DEL', mode_key) end
return raw
"""


class ClaimRefused(HandoffError):
    """A chosen chat the agent cannot take; ``code`` says why (gone, taken, full, not_yours)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _now_ms() -> int:
    return int(time.time() * 1000)


class HandoffQueue:
    """The shared queue; every method that changes it is one atomic step in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._enqueue = client.register_script(_ENQUEUE)
        self._claim = client.register_script(_CLAIM)
        self._claim_one = client.register_script(_CLAIM_ONE)
        self._requeue = client.register_script(_REQUEUE)
        self._assign = client.register_script(_ASSIGN)
        self._end = client.register_script(_END)

    async def enqueue(self, subject: str, language: str, skill: Skill, priority: Priority,
                      reason: str, asked_ms: int | None = None) -> Ticket:
        """Puts the chat in its queue (the bot falls silent), or returns the ticket it has.

        Raises:
            HandoffError: ``language`` is not one CardCare speaks.
        """
        if language not in LANGUAGES:
            raise HandoffError(f"no queue for language {language!r}")
        ticket = Ticket(uuid.uuid4().hex, subject, language, Skill(skill), Priority(priority),
                        reason, _now_ms() if asked_ms is None else asked_ms)
        ticket_id = await self._enqueue(
            keys=[_open(subject), _ticket(ticket.ticket_id), waiting(language, ticket.skill),
                  mode_key(subject)],
            args=[PREFIX, ticket.ticket_id, ticket.to_json(), ticket.score])
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

    async def mode(self, subject: str) -> Mode:
        return Mode.parse(await self.client.get(mode_key(subject)))

    async def set_mode(self, subject: str, mode: Mode, ttl_s: int | None = None) -> None:
        """Sets a mode the gateway owns (message, survey) or gives the chat back to the bot.
        Waiting and agent are set only with the queue's own steps."""
        if mode in (Mode.WAITING, Mode.AGENT):
            raise HandoffError("waiting and agent modes change only with the queue")
        if mode is Mode.BOT:
            await self.client.delete(mode_key(subject))
        else:
            await self.client.set(mode_key(subject), mode.value, ex=ttl_s)

    async def position(self, ticket: Ticket) -> int | None:
        """1 for the next chat of its queue; None when it no longer waits.

        Urgent chats of the same queue count before it; so do, by score, those of other
        queues of the same language that its likely agents also serve: this is the queue's
        own rank, the honest lower bound.
        """
        rank = await self.client.zrank(waiting(ticket.language, ticket.skill), ticket.ticket_id)
        return None if rank is None else rank + 1

    async def waiting_tickets(self, queues: list[str] | None = None) -> list[Ticket]:
        """Every waiting ticket of ``queues`` (all queues when None), in serving order (two
        round trips, however many wait: the desk reads this on every change)."""
        if queues is None:
            queues = [waiting(language, skill) for language in LANGUAGES for skill in Skill]
        async with self.client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.zrange(queue, 0, -1, withscores=True)
            ranges = await pipe.execute()
        scored = sorted((score, member.decode()) for found in ranges for member, score in found)
        if not scored:
            return []
        raws = await self.client.mget([_ticket(ticket_id) for _, ticket_id in scored])
        return [Ticket.from_json(raw) for raw in raws if raw]

    async def claim(self, agent: Agent) -> Ticket | None:
        """The first chat of all the queues ``agent`` serves, now theirs; None when none waits
        or the agent is at capacity."""
        raw = await self._claim(keys=[_held(agent.agent_id), *agent.queues()],
                                args=[PREFIX, agent.agent_id, _now_ms(), agent.capacity])
        return Ticket.from_json(raw) if raw else None

    async def claim_ticket(self, agent: Agent, ticket_id: str) -> Ticket:
        """The chosen chat, now the agent's.

        Raises:
            ClaimRefused: it no longer waits, another agent took it, the agent is at capacity,
                or it is not in a queue the agent serves.
        """
        try:
            raw = await self._claim_one(
                keys=[_held(agent.agent_id), _ticket(ticket_id)],
                args=[PREFIX, agent.agent_id, _now_ms(), agent.capacity, ticket_id,
                      *agent.queues()])
        except redis.ResponseError as error:
            raise ClaimRefused(str(error)) from None
        return Ticket.from_json(raw)

    async def held(self, agent_id: str) -> list[Ticket]:
        """The chats an agent holds, oldest first."""
        ids = [m.decode() for m in await self.client.smembers(_held(agent_id))]
        tickets = [t for t in [await self.get(i) for i in ids] if t is not None]
        return sorted(tickets, key=lambda t: t.asked_ms)

    async def holders(self) -> list[str]:
        """Agents who may hold chats (a superset: cleaned as they are found empty)."""
        return sorted(m.decode() for m in await self.client.smembers(HOLDERS))

    async def forget_holder(self, agent_id: str) -> None:
        """Drops an agent from ``holders`` if they hold nothing."""
        if not await self.client.scard(_held(agent_id)):
            await self.client.srem(HOLDERS, agent_id)

    async def requeue(self, ticket: Ticket, skill: Skill | None = None,
                      by: str | None = None) -> bool:
        """Gives a held chat back to a queue at its old place: its agent went away, or
        transferred it (to ``skill``).  False when it was not held (by ``by``, if given)."""
        return bool(await self._requeue(
            keys=[_ticket(ticket.ticket_id)],
            args=[PREFIX, ticket.ticket_id, skill.value if skill else "", by or ""]))

    async def requeue_all(self, agent_id: str) -> list[Ticket]:
        """Every chat of an agent who went away, back in the queues."""
        back = [t for t in await self.held(agent_id) if await self.requeue(t)]
        await self.forget_holder(agent_id)
        return back

    async def assign(self, ticket: Ticket, from_agent: str, to: Agent) -> None:
        """Hands a held chat to another agent.

        Raises:
            ClaimRefused: not held by ``from_agent``, gone, or ``to`` is at capacity.
        """
        try:
            await self._assign(keys=[_ticket(ticket.ticket_id), _held(to.agent_id)],
                               args=[PREFIX, ticket.ticket_id, from_agent, to.agent_id,
                                     to.capacity])
        except redis.ResponseError as error:
            raise ClaimRefused(str(error)) from None

    async def end(self, ticket: Ticket, by: str | None = None) -> Ticket | None:
        """Ends the ticket: closed by its agent (``by``), or the customer cancelled or left.
        Returns it as it was (with its agent), or None when it had already ended."""
        raw = await self._end(keys=[_open(ticket.subject), _ticket(ticket.ticket_id)],
                              args=[PREFIX, ticket.ticket_id, by or ""])
        return Ticket.from_json(raw) if raw else None

"""One conversation's messages handled one at a time, in order, by any gateway instance.

Rasa 3.6's RedisLockStore is not safe across servers (rasa#9213: 469 of 1,000 tickets were
handed out twice in our measurement) and its waiters poll once a second.  So the gateway
orders conversations itself, in Redis:

* ``submit`` records a delivery once (a retry with the same channel message id is a
  duplicate) and appends it to the conversation's inbox, atomically;
* the one worker holding the conversation's lease takes messages in order and hands each to
  the handler; whoever submits while another instance holds the lease just leaves the message
  there, so nobody polls, and the lease is let go only when the inbox is empty (atomically, so
  no message is stranded between "empty" and "let go");
* a message stays in a "doing" list until handled: if its worker dies, the next worker takes
  it up again (at most ``MAX_ATTEMPTS`` times), and a sweeper on every instance looks for
  conversations whose lease expired with messages waiting.

Many conversations run in parallel; each conversation's messages never do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
import structlog

from bot import keys
from bot.messages import Inbound

log = structlog.get_logger(__name__)

Handler = Callable[[Inbound], Awaitable[None]]

# Telegram redelivers an unacknowledged update for up to 24 hours; WeChat retries for 15 s.
DEDUP_TTL_S = 24 * 3600
# A message whose worker died this often is dropped (logged): it may be what kills workers.
MAX_ATTEMPTS = 2

_SUBMIT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], 'NX', ARGV[2], ARGV[4])
  return 1
end
return 0
"""
# Returns {-1} when the lease is lost, {1, item, resumed} for the next message, {0} when the
# inbox is empty (and then the lease is let go).
_NEXT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local item = redis.call('LINDEX', KEYS[2], 0)
if item then return {1, item, ARGV[4]} end
item = redis.call('LMOVE', KEYS[3], KEYS[2], 'LEFT', 'RIGHT')
if item then return {1, item, '0'} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[4], ARGV[3])
return {0}
"""
_DONE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[2])
return 1
"""
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


class Conversations:
    """Ordered, exactly-once hand-off of inbound messages to ``handler``, across instances."""

    def __init__(self, client: redis.Redis, handler: Handler, lease_s: float = 15.0,
                 sweep_every_s: float = 1.0) -> None:
        self.client = client
        self.handler = handler
        self.lease_ms = int(lease_s * 1000)
        self.sweep_every_s = sweep_every_s
        self._submit = client.register_script(_SUBMIT)
        self._next = client.register_script(_NEXT)
        self._done = client.register_script(_DONE)
        self._renew = client.register_script(_RENEW)
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, inbound: Inbound) -> bool:
        """Queues ``inbound`` behind the conversation's earlier messages and starts a worker.

        Returns:
            False when this delivery was seen before (nothing is queued again).
        """
        subject = inbound.subject
        new = await self._submit(
            keys=[keys.dedup(inbound.channel, inbound.message_id), keys.inbox(subject),
                  keys.PENDING],
            args=[json.dumps(inbound.to_dict(), ensure_ascii=False), time.time(), DEDUP_TTL_S,
                  subject])
        if new:
            self.spawn(self.drain(subject))
        return bool(new)

    def spawn(self, coroutine: Awaitable[None]) -> None:
        """Runs ``coroutine`` in the background, kept until done (``close`` waits for it)."""
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, subject: str) -> None:
        """Handles the conversation's waiting messages if no other worker does."""
        token = secrets.token_hex(8)
        if not await self.client.set(keys.lease(subject), token, nx=True, px=self.lease_ms):
            return  # another worker holds the conversation; it will take this message too
        renewer = asyncio.ensure_future(self._keep_lease(subject, token))
        try:
            while True:
                step = await self._next(
                    keys=[keys.lease(subject), keys.doing(subject), keys.inbox(subject),
                          keys.PENDING],
                    args=[token, self.lease_ms, subject, "1"])
                if step[0] != 1:
                    return
                inbound = Inbound.from_dict(json.loads(step[1]))
                if step[2] in (b"1", "1") and await self._given_up(subject, inbound):
                    await self._done(keys=[keys.lease(subject), keys.doing(subject)],
                                     args=[token])
                    continue
                structlog.contextvars.bind_contextvars(
                    subject=subject, channel=inbound.channel, message_id=inbound.message_id)
                try:
                    await self.handler(inbound)
                except Exception:
                    # The handler answers users itself; this is a bug, not a user's problem.
                    log.exception("gateway.message.failed")
                finally:
                    structlog.contextvars.unbind_contextvars("subject", "channel", "message_id")
                if not await self._done(keys=[keys.lease(subject), keys.doing(subject)],
                                        args=[token]):
                    log.warning("gateway.lease.lost", subject=subject)
                    return
        finally:
            renewer.cancel()

    async def _given_up(self, subject: str, inbound: Inbound) -> bool:
        """Whether a message taken up again after its worker died has been tried enough."""
        key = keys.attempts(subject, inbound.message_id)
        count = int(await self.client.incr(key))
        await self.client.expire(key, 3600)
        if count > MAX_ATTEMPTS:
            log.error("gateway.message.dropped", subject=subject,
                      message_id=inbound.message_id, attempts=count)
            return True
        log.warning("gateway.message.resumed", subject=subject, message_id=inbound.message_id)
        return False

    async def _keep_lease(self, subject: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            if not await self._renew(keys=[keys.lease(subject)], args=[token, self.lease_ms]):
                return

    async def sweep_forever(self) -> None:
        """Takes up conversations left with waiting messages by a worker that went away."""
        while True:
            await asyncio.sleep(self.sweep_every_s)
            try:
                await self.sweep()
            except redis.RedisError as error:
                log.warning("gateway.sweep.failed", error=str(error))

    async def sweep(self) -> None:
        """One look for conversations waiting longer than a lease: a worker died on them."""
        stale = time.time() - self.lease_ms / 1000
        for subject in await self.client.zrangebyscore(keys.PENDING, "-inf", stale):
            name = subject.decode() if isinstance(subject, bytes) else subject
            if not await self.client.exists(keys.lease(name)):
                self.spawn(self.drain(name))

    async def close(self) -> None:
        """Waits for the workers of this instance to finish their current message."""
        tasks = list(self._tasks)
        if tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)

"""Answering inside the platform's request when the answer comes in time, else pushing it.

WeChat drops a passive reply that takes more than 5 seconds and sends the same message again,
up to three times.  So the request waits for the answer up to a budget (about 4 s): in time,
the answer goes back as the HTTP reply; otherwise the request answers ``success`` and the
answer is pushed later through the customer-service API.  The request and the worker that
produces the answer may be on different instances, and either may die; exactly one of them
delivers, decided atomically in Redis:

* the worker stores the answer; if the request already gave up, the worker pushes it;
* the request takes the answer if it is there and nobody took it; when its budget runs out
  it claims the push instead;
* if the request's instance died, the worker claims the push after the window has passed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
import structlog

from bot import keys
from bot.events import Events
from bot.messages import BotMessage, Inbound

log = structlog.get_logger(__name__)

# Long enough for WeChat's three tries (15 s), short enough not to keep answers around.
RESULT_TTL_S = 120
# After the platform's window, plus a margin, the worker stops waiting for the request.
WINDOW_S = 5.0

_FINISH = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return redis.call('GET', KEYS[2]) == 'push' and 1 or 0
"""
_TAKE = """
local answer = redis.call('GET', KEYS[1])
if answer then
  if redis.call('SET', KEYS[2], 'passive', 'NX', 'EX', ARGV[1]) then return answer end
  return false
end
if ARGV[2] == '1' then redis.call('SET', KEYS[2], 'push', 'NX', 'EX', ARGV[1]) end
return false
"""

Push = Callable[[Inbound, list[BotMessage]], Awaitable[None]]


class PassiveReplies:
    """Coordinates who delivers an answer: the waiting request or a push."""

    def __init__(self, client: redis.Redis, events: Events, push: Push) -> None:
        self.client = client
        self.events = events
        self.push = push
        self._finish = client.register_script(_FINISH)
        self._take = client.register_script(_TAKE)
        self._due: dict[asyncio.Task[None], tuple[Inbound, list[BotMessage]]] = {}

    def expect(self, inbound: Inbound) -> asyncio.Future[None]:
        """Registers interest in the answer to ``inbound``: call before submitting it, so a
        fast answer is not missed."""
        return self.events.expect(self._notice(inbound))

    async def wait(self, inbound: Inbound, expected: asyncio.Future[None],
                   budget_s: float) -> list[BotMessage] | None:
        """The answer to ``inbound`` if it comes within ``budget_s``; None: it will be pushed."""
        try:
            await asyncio.wait_for(asyncio.shield(expected), max(0.0, budget_s))
        except asyncio.TimeoutError:
            pass
        finally:
            expected.cancel()
        return await self.take(inbound, give_up=True)

    async def take(self, inbound: Inbound, give_up: bool) -> list[BotMessage] | None:
        """The answer if it is there and not delivered; with ``give_up``, else claim the push."""
        answer = await self._take(keys=self._keys(inbound), args=[RESULT_TTL_S, int(give_up)])
        if not answer:
            return None
        return [BotMessage.from_dict(m) for m in json.loads(answer)]

    async def offer(self, inbound: Inbound, messages: list[BotMessage]) -> None:
        """Called by the worker with the answer: hands it to the request, or pushes it."""
        payload = json.dumps([m.to_dict() for m in messages], ensure_ascii=False)
        if await self._finish(keys=self._keys(inbound), args=[payload, RESULT_TTL_S]):
            await self.push(inbound, messages)
            return
        await self.events.notify(inbound.origin, self._notice(inbound))
        # The request's instance may have died: once the window has passed, push unless the
        # request took the answer.  In the background: the conversation's next message
        # must not wait for this.
        task = asyncio.ensure_future(self._push_unless_taken(inbound, messages))
        self._due[task] = (inbound, messages)
        task.add_done_callback(lambda done: self._due.pop(done, None))

    async def _push_unless_taken(self, inbound: Inbound, messages: list[BotMessage],
                                 now: bool = False) -> None:
        if not now:
            await asyncio.sleep(max(0.0, inbound.time + WINDOW_S - time.time()))
        try:
            if await self.client.set(keys.passive_claim(inbound.channel, inbound.message_id),
                                     "push", nx=True, ex=RESULT_TTL_S):
                await self.push(inbound, messages)
        except Exception:
            log.exception("gateway.passive.push_failed", message_id=inbound.message_id)

    async def close(self) -> None:
        """Pushes at once what was waiting for its window, unless taken (a shutdown loses
        nothing: this instance's waiting requests are being cancelled anyway)."""
        due = list(self._due.items())
        for task, _ in due:
            task.cancel()
        await asyncio.gather(*(self._push_unless_taken(i, m, now=True) for _, (i, m) in due))

    def _keys(self, inbound: Inbound) -> list[str]:
        return [keys.passive_result(inbound.channel, inbound.message_id),
                keys.passive_claim(inbound.channel, inbound.message_id)]

    @staticmethod
    def _notice(inbound: Inbound) -> str:
        return f"answer:{inbound.channel}:{inbound.message_id}"

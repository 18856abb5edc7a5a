"""Pub/sub between gateway instances: one Redis subscription per instance, fanned out locally.

A message may be handled by another instance than the one whose request waits for its answer
(a WeChat passive reply) or whose web socket shows it.  Each instance listens on its own
channel and on the channels of the web users connected to it, over one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

import redis.asyncio as redis
import structlog

from bot import keys

log = structlog.get_logger(__name__)


class Events:
    """This instance's subscriptions: ``expect`` a notice by id, or ``listen`` to a channel."""

    def __init__(self, client: redis.Redis, instance: str) -> None:
        self.client = client
        self.instance = instance
        self.own = keys.instance_events(instance)
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._expected: dict[str, asyncio.Future[None]] = {}
        self._queues: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribes to this instance's channel and starts reading."""
        await self._pubsub.subscribe(self.own)
        self._reader = asyncio.ensure_future(self._read_forever())

    async def stop(self) -> None:
        """Stops reading and closes the subscription."""
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.close()

    def expect(self, notice: str) -> asyncio.Future[None]:
        """A future done when ``notify(instance, notice)`` reaches this instance."""
        future = asyncio.get_running_loop().create_future()
        self._expected[notice] = future
        future.add_done_callback(lambda _: self._expected.pop(notice, None))
        return future

    async def notify(self, instance: str, notice: str) -> None:
        """Tells ``instance`` that ``notice`` happened (nothing if nobody expects it)."""
        await self.client.publish(keys.instance_events(instance), notice)

    async def listen(self, channel: str) -> asyncio.Queue[str]:
        """A queue receiving every message published on ``channel`` from now on."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        if not self._queues[channel]:
            await self._pubsub.subscribe(channel)
        self._queues[channel].add(queue)
        return queue

    async def unlisten(self, channel: str, queue: asyncio.Queue[str]) -> None:
        """Stops delivering ``channel`` to ``queue``."""
        self._queues[channel].discard(queue)
        if not self._queues[channel]:
            del self._queues[channel]
            await self._pubsub.unsubscribe(channel)

    async def _read_forever(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except redis.RedisError as error:
                log.warning("gateway.events.read_failed", error=str(error))
                await asyncio.sleep(1)
                continue
            if message is None:
                continue
            channel = _text(message["channel"])
            data = _text(message["data"])
            if channel == self.own:
                future = self._expected.get(data)
                if future is not None and not future.done():
                    future.set_result(None)
                continue
            for queue in list(self._queues.get(channel, ())):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(data)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

"""The waking lock stores: Rasa's ticket order, with a waiter going on when the lock is released
rather than on its next poll (the polls are set to an hour here, so only a wake lets it in)."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlparse

import pytest
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from cardcare.lock_store import WakingInMemoryLockStore, WakingRedisLockStore
from tests.conftest import TEST_REDIS_URL

HOUR = 3600.0


def _redis_store() -> WakingRedisLockStore:
    url = urlparse(TEST_REDIS_URL)
    return WakingRedisLockStore(EndpointConfig(url=url.hostname, port=url.port,
                                               db=int(url.path.lstrip("/") or 0),
                                               key_prefix="cardcaretest"))


async def _burst(store, conversation: str, size: int) -> list[int]:
    """``size`` messages at once on one conversation; the order they were served in."""
    served: list[int] = []

    async def message(n: int) -> None:
        async with store.lock(conversation, wait_time_in_seconds=HOUR):
            served.append(n)
            await asyncio.sleep(0.01)

    tasks = []
    for n in range(size):
        tasks.append(asyncio.create_task(message(n)))
        await asyncio.sleep(0)  # each takes its ticket in turn, as requests arriving do
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    return served


@pytest.mark.parametrize("make", [WakingInMemoryLockStore, _redis_store])
async def test_a_burst_is_served_in_order_each_woken_by_the_one_before(make, redis_client):
    store = make()
    store.poll_s = HOUR
    assert await _burst(store, f"burst-{uuid.uuid4().hex}", 5) == [0, 1, 2, 3, 4]


async def test_a_waiter_in_another_process_takes_over_on_its_next_look(redis_client):
    holder, waiter = _redis_store(), _redis_store()  # two Rasa processes on one Redis
    conversation, order = f"two-{uuid.uuid4().hex}", []

    async def hold() -> None:
        async with holder.lock(conversation):
            await asyncio.sleep(0.05)
            order.append("holder")

    first = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    async with waiter.lock(conversation):
        order.append("waiter")
    await first
    assert order == ["holder", "waiter"]
    assert not waiter.red.keys(f"{waiter.key_prefix}{conversation}")


async def test_an_expired_lock_is_an_error_as_in_rasa():
    store = WakingInMemoryLockStore()
    with pytest.raises(LockError):
        await store._acquire_lock("nobody", 1, 1.0)

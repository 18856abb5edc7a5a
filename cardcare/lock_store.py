"""Rasa lock stores whose waiting messages go on as soon as the one before them is done.

Rasa handles one message per conversation at a time, in arrival order (a ticket lock), and a
message that finds its conversation busy sleeps a whole second before looking again: five
messages sent at once by one user were answered a second apart.  These stores keep Rasa's
tickets and order and change only the waiting.  A waiter in the same process is woken the
moment the lock is released; one in another Rasa process (several behind the gateway on one
Redis) looks again every ``CROSS_PROCESS_POLL_S``.

Configured in the endpoints file as ``lock_store: type: cardcare.lock_store.WakingRedisLockStore``
(same arguments as Rasa's ``redis`` store) or ``cardcare.lock_store.WakingInMemoryLockStore``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# How often a waiter looks at a lock another process may release: a Redis GET per waiting
# message, cheap next to a turn, and the most a waiter can lose to a release elsewhere.
CROSS_PROCESS_POLL_S = 0.02


class _Waking(LockStore):
    """Rasa's ``_acquire_lock`` loop, sleeping on a release event instead of a fixed second."""

    poll_s: float

    def __init__(self) -> None:
        super().__init__()
        self._released: dict[str, asyncio.Event] = {}

    async def _acquire_lock(self, conversation_id: str, ticket: int,
                            wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:  # expired while waiting, as in Rasa
                raise LockError(f"Could not acquire lock for conversation_id "
                                f"'{conversation_id}'.")
            if not lock.is_locked(ticket):
                return lock
            released = self._released.setdefault(conversation_id, asyncio.Event())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(released.wait(), min(self.poll_s, wait_time_in_seconds))
            self.update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Releases the ticket, then wakes this process's waiters for the conversation."""
        super().cleanup(conversation_id, ticket_number)
        released = self._released.pop(conversation_id, None)
        if released is not None:
            released.set()


class WakingInMemoryLockStore(_Waking, InMemoryLockStore):
    """Rasa's in-memory lock store (one Rasa process), with waiters woken on release."""

    # Every holder is in this process and wakes its waiters; the poll is only a safety net.
    poll_s = 1.0

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        super().__init__()


class WakingRedisLockStore(_Waking, RedisLockStore):
    """Rasa's Redis lock store (any number of Rasa processes), with waiters woken on release."""

    poll_s = CROSS_PROCESS_POLL_S

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs,
                      **kwargs}
        RedisLockStore.__init__(self, **kwargs)
        self._released = {}

"""Ordering across gateway instances: one conversation at a time and in order, many at once."""

from __future__ import annotations

import asyncio
import json

from bot.messages import Inbound, Kind
from bot.ordering import Conversations


def _inbound(user: str, text: str, message_id: str) -> Inbound:
    return Inbound(channel="web", user_id=user, kind=Kind.TEXT, value=text,
                   message_id=message_id)


async def test_two_instances_keep_each_conversations_order(start_gateway, fake_rasa):
    first = await start_gateway((fake_rasa.url,))
    second = await start_gateway((fake_rasa.url,))
    instances = [first.state.conversations, second.state.conversations]
    sent: dict[str, list[str]] = {"alice": [], "bob": []}
    for n in range(12):
        for user in ("alice", "bob"):
            # Alternate instances and make some turns slow, so they would overtake if allowed.
            text = f"slow 0.05 {user}-{n}" if n % 3 == 0 else f"{user}-{n}"
            sent[user].append(text)
            await instances[(n + (user == "bob")) % 2].submit(
                _inbound(user, text, f"{user}-{n}"))
    for _ in range(200):
        if len(fake_rasa.turns) == 24:
            break
        await asyncio.sleep(0.05)
    assert fake_rasa.texts("web:alice") == sent["alice"]
    assert fake_rasa.texts("web:bob") == sent["bob"]
    assert fake_rasa.overlaps == []
    # Both conversations ran in parallel: some of bob's turns started before alice finished.
    alice = [t for t in fake_rasa.turns if t.sender == "web:alice"]
    bob = [t for t in fake_rasa.turns if t.sender == "web:bob"]
    assert bob[0].started < alice[-1].ended


async def test_a_duplicate_delivery_is_handled_once(start_gateway, fake_rasa):
    first = await start_gateway((fake_rasa.url,))
    second = await start_gateway((fake_rasa.url,))
    message = _inbound("carol", "hello", "wx-123")
    assert await first.state.conversations.submit(message)
    assert not await second.state.conversations.submit(message)
    assert not await first.state.conversations.submit(message)
    await asyncio.sleep(0.3)
    assert fake_rasa.texts("web:carol") == ["hello"]


async def test_a_message_left_by_a_dead_worker_is_taken_up(redis_clean, fake_rasa):
    handled: list[str] = []

    async def handler(inbound: Inbound) -> None:
        handled.append(inbound.value)

    # A worker "died" holding the conversation: its lease is gone, its message is in doing.
    message = _inbound("dave", "where is my card", "m1")
    await redis_clean.rpush("cardcare:gw:doing:web:dave", json.dumps(message.to_dict()))
    await redis_clean.rpush("cardcare:gw:inbox:web:dave",
                            json.dumps(_inbound("dave", "and my balance", "m2").to_dict()))
    await redis_clean.zadd("cardcare:gw:pending", {"web:dave": 0})
    conversations = Conversations(redis_clean, handler, lease_s=0.2)
    await conversations.sweep()
    await conversations.close()
    assert handled == ["where is my card", "and my balance"]
    assert await redis_clean.zscore("cardcare:gw:pending", "web:dave") is None

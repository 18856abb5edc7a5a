"""The queue of chats waiting for a person, on the real Redis: order, routing, capacity, no
chat given twice or lost."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from cardcare.handoff import (
    PREFIX,
    Agent,
    ClaimRefused,
    HandoffError,
    HandoffQueue,
    Mode,
    Priority,
    Skill,
)
from tests.conftest import TEST_REDIS_URL

CARDS, GENERAL = Skill.CARDS, Skill.GENERAL


@pytest.fixture
async def queue(redis_client) -> AsyncIterator[HandoffQueue]:
    client = aioredis.from_url(TEST_REDIS_URL)
    stale = [k async for k in client.scan_iter(f"{PREFIX}*")]
    if stale:
        await client.delete(*stale)
    yield HandoffQueue(client)
    await client.close()


def agent(languages: tuple[str, ...], skills: tuple[Skill, ...] = (CARDS, GENERAL),
          capacity: int = 3) -> Agent:
    return Agent(f"agent-{uuid.uuid4().hex[:6]}", languages, skills, capacity)


async def test_a_vietnamese_fraud_chat_goes_to_a_vietnamese_reader_only(queue):
    ticket = await queue.enqueue("telegram:1", "vi", CARDS, Priority.URGENT, "report_fraud")
    assert await queue.claim(agent(("zh-Hans", "zh-Hant"))) is None
    claimed = await queue.claim(agent(("en", "vi")))
    assert claimed is not None and claimed.ticket_id == ticket.ticket_id
    assert claimed.reason == "report_fraud" and claimed.priority is Priority.URGENT


async def test_urgent_first_then_the_longest_waiting(queue):
    await queue.enqueue("web:late", "en", GENERAL, Priority.NORMAL, "human_agent", asked_ms=3000)
    await queue.enqueue("web:early", "en", GENERAL, Priority.NORMAL, "human_agent", asked_ms=1000)
    await queue.enqueue("web:fraud", "en", CARDS, Priority.URGENT, "report_fraud", asked_ms=9000)
    person = agent(("en",))
    order = [(await queue.claim(person)).subject for _ in range(3)]
    assert order == ["web:fraud", "web:early", "web:late"]


async def test_a_chat_waits_once_and_knows_its_place(queue):
    first = await queue.enqueue("wechat:a", "zh-Hans", GENERAL, Priority.NORMAL, "complaint")
    again = await queue.enqueue("wechat:a", "zh-Hans", GENERAL, Priority.NORMAL, "human_agent")
    second = await queue.enqueue("wechat:b", "zh-Hans", GENERAL, Priority.NORMAL, "human_agent")
    assert again == first  # asking again changes nothing
    assert (await queue.position(first), await queue.position(second)) == (1, 2)
    assert await queue.open_ticket("wechat:a") == first


async def test_an_agent_takes_no_more_than_their_capacity(queue):
    for n in range(3):
        await queue.enqueue(f"web:{n}", "en", GENERAL, Priority.NORMAL, "human_agent")
    person = agent(("en",), capacity=2)
    assert await queue.claim(person) and await queue.claim(person)
    assert await queue.claim(person) is None
    [held, _] = await queue.held(person.agent_id)
    assert await queue.end(held)  # closing one makes room
    assert await queue.claim(person) is not None


async def test_concurrent_claims_never_give_a_chat_twice(queue):
    for n in range(30):
        await queue.enqueue(f"telegram:{n}", "en", GENERAL, Priority.NORMAL, "human_agent")
    people = [agent(("en",), capacity=10) for _ in range(5)]
    claims = await asyncio.gather(*(queue.claim(p) for p in people for _ in range(8)))
    taken = [t.subject for t in claims if t is not None]
    assert len(taken) == len(set(taken)) == 30
    held = [await queue.held(p.agent_id) for p in people]
    assert sorted(t.subject for h in held for t in h) == sorted(taken)


async def test_an_agent_who_goes_away_gives_their_chats_back_at_their_place(queue):
    old = await queue.enqueue("web:old", "en", GENERAL, Priority.NORMAL, "human_agent",
                              asked_ms=1000)
    gone = agent(("en",))
    await queue.claim(gone)
    await queue.enqueue("web:new", "en", GENERAL, Priority.NORMAL, "human_agent", asked_ms=2000)
    assert [t.subject for t in await queue.requeue_all(gone.agent_id)] == ["web:old"]
    assert await queue.held(gone.agent_id) == []
    assert await queue.position(old) == 1  # still ahead of the newer chat
    taken = await queue.claim(agent(("en",)))
    assert taken.subject == "web:old" and taken.agent is not None


async def test_a_cancelled_or_closed_chat_is_gone_and_may_ask_again(queue):
    waiting = await queue.enqueue("web:x", "en", GENERAL, Priority.NORMAL, "human_agent")
    assert await queue.end(waiting) and not await queue.end(waiting)
    assert await queue.open_ticket("web:x") is None and await queue.position(waiting) is None
    assert await queue.claim(agent(("en",))) is None
    anew = await queue.enqueue("web:x", "en", GENERAL, Priority.NORMAL, "human_agent")
    assert anew.ticket_id != waiting.ticket_id


async def test_closing_a_held_chat_frees_the_agent_even_from_a_stale_copy(queue):
    stale = await queue.enqueue("web:y", "en", GENERAL, Priority.NORMAL, "human_agent")
    person = agent(("en",), capacity=1)
    await queue.claim(person)
    assert await queue.end(stale)  # the copy from before the claim names no agent
    assert await queue.held(person.agent_id) == []


async def test_a_language_cardcare_does_not_speak_has_no_queue(queue):
    with pytest.raises(HandoffError):
        await queue.enqueue("web:z", "fr", GENERAL, Priority.NORMAL, "human_agent")


async def test_the_mode_moves_with_the_chat_in_the_same_step(queue):
    ticket = await queue.enqueue("web:m", "en", GENERAL, Priority.NORMAL, "human_agent")
    assert await queue.mode("web:m") is Mode.WAITING
    person = agent(("en",))
    await queue.claim_ticket(person, ticket.ticket_id)
    assert await queue.mode("web:m") is Mode.AGENT
    assert await queue.requeue(ticket, by="someone else") is False  # only its holder's
    assert await queue.requeue(ticket, Skill.DISPUTES, by=person.agent_id)
    assert await queue.mode("web:m") is Mode.WAITING
    moved = await queue.get(ticket.ticket_id)
    assert moved.skill is Skill.DISPUTES and moved.agent is None
    ended = await queue.end(moved)
    assert ended is not None and await queue.mode("web:m") is Mode.BOT


async def test_claiming_a_chosen_chat_says_why_it_cannot(queue):
    ticket = await queue.enqueue("web:c", "vi", CARDS, Priority.URGENT, "report_fraud")
    with pytest.raises(ClaimRefused) as refused:
        await queue.claim_ticket(agent(("zh-Hans",)), ticket.ticket_id)
    assert refused.value.code == "not_yours"
    full = agent(("vi",), capacity=1)
    await queue.enqueue("web:d", "vi", CARDS, Priority.NORMAL, "lost_card")
    await queue.claim(full)  # the urgent one
    with pytest.raises(ClaimRefused) as refused:
        await queue.claim_ticket(full, (await queue.open_ticket("web:d")).ticket_id)
    assert refused.value.code == "full"
    with pytest.raises(ClaimRefused) as refused:
        await queue.claim_ticket(agent(("vi",)), ticket.ticket_id)
    assert refused.value.code == "taken"


async def test_a_held_chat_is_handed_to_another_agent_with_room(queue):
    ticket = await queue.enqueue("web:t", "en", GENERAL, Priority.NORMAL, "human_agent")
    first, second = agent(("en",)), agent(("en",), capacity=1)
    await queue.claim(first)
    await queue.assign(ticket, first.agent_id, second)
    assert [t.ticket_id for t in await queue.held(second.agent_id)] == [ticket.ticket_id]
    assert await queue.held(first.agent_id) == []
    with pytest.raises(ClaimRefused):
        await queue.assign(ticket, first.agent_id, second)  # no longer the first's

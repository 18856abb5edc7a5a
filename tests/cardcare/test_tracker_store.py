"""The masking tracker stores, with Rasa's own tracker and the real Redis."""

from __future__ import annotations

import json
import uuid

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from cardcare.conversation import EARLIER_SLOT
from cardcare.escalation import Digest
from cardcare.tracker_store import (
    KEEP_TURNS,
    MAX_LIVE_TURNS,
    RETENTION_S,
    MaskingInMemoryTrackerStore,
    MaskingRedisTrackerStore,
)
from tests.conftest import ROOT, TEST_REDIS_URL
from tests.stored import strings


def _tracker(sender: str, domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(ActiveLoop("verify_form"))
    tracker.update(SlotSet("requested_slot", "otp_code"))
    tracker.update(UserUttered("482913", {"name": "inform", "confidence": 0.9}))
    tracker.update(ActiveLoop(None))
    tracker.update(SlotSet("requested_slot", None))
    tracker.update(UserUttered("my card is 4111 1111 1111 1111",
                               {"name": "lost_card", "confidence": 0.9}))
    return tracker


def _redis_store(domain: Domain, **kwargs: float) -> MaskingRedisTrackerStore:
    """The store on the tests' Redis database, under its own key prefix."""
    return MaskingRedisTrackerStore(domain, host="127.0.0.1",
                                    db=int(TEST_REDIS_URL.rsplit("/", 1)[1]),
                                    key_prefix="cardcaretest", **kwargs)


async def test_memory_store_keeps_only_masked_messages():
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = MaskingInMemoryTrackerStore(domain)
    await store.save(_tracker("a", domain))
    stored = " ".join(strings(json.loads(store.store["a"])))
    assert "482913" not in stored and "4111 1111" not in stored
    texts = [e.text for e in (await store.retrieve("a")).events if isinstance(e, UserUttered)]
    assert texts == ["••••••", "my card is •••• 1111"]


async def test_redis_store_writes_masked_and_merges_turns(redis_client):
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = _redis_store(domain)
    sender = f"mask-{uuid.uuid4().hex[:8]}"
    tracker = _tracker(sender, domain)
    await store.save(tracker)
    # The next turn starts from what was stored (masked) and adds a message.
    again = await store.retrieve(sender)
    again.update(UserUttered("thanks", {"name": "thank", "confidence": 0.9}))
    await store.save(again)
    raw = redis_client.get(f"cardcaretest:tracker:{sender}").decode()
    assert "482913" not in raw and "4111 1111" not in raw
    texts = [e["text"] for e in json.loads(raw)["events"] if e["event"] == "user"]
    assert texts == ["••••••", "my card is •••• 1111", "thanks"]
    # Kept for the retention period (30 days by default), renewed with each turn.
    assert 29 * 86400 < redis_client.ttl(f"cardcaretest:tracker:{sender}") <= RETENTION_S


async def test_the_retention_is_rasas_record_exp_in_the_endpoints_file(redis_client):
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = _redis_store(domain, record_exp=3600)
    sender = f"keep-{uuid.uuid4().hex[:8]}"
    await store.save(_tracker(sender, domain))
    assert 3500 < redis_client.ttl(f"cardcaretest:tracker:{sender}") <= 3600


# A long conversation, as Rasa's processor leaves it turn after turn: a session start, a
# verification, a flow that waits, a form, and "hello" many times.
def _turn(tracker: DialogueStateTracker, n: int, text: str, intent: str,
          *after: object) -> None:
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME, timestamp=n))
    tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9},
                               [{"entity": "card_last4", "value": "4821"}]
                               if "4821" in text else [], timestamp=n))
    for event in after:
        tracker.update(event)  # type: ignore[arg-type]


def _conversation() -> list[tuple]:
    """The user's messages, intents, and what followed each."""
    steps = [
        ("I lost my card ending 4821", "lost_card",
         SlotSet("needs_verification", True), ActiveLoop("verify_form"),
         SlotSet("requested_slot", "otp_code"), BotUttered("the code we texted?")),
        ("482913", "inform", ActiveLoop(None), SlotSet("requested_slot", None),
         SlotSet("needs_verification", False), SlotSet("verification", "verified"),
         SlotSet("awaiting", "action_lost_card"), BotUttered("block the card ending 4821?")),
    ]
    steps += [("hello", "greet", ActionExecuted("utter_greet"), BotUttered("hi!"))] * 30
    steps += [("I want to complain", "complaint", ActionExecuted("complaint_form"),
               ActiveLoop("complaint_form"), SlotSet("requested_slot", "complaint_details"),
               BotUttered("what happened?"))]
    return steps


async def _talk(store: MaskingInMemoryTrackerStore | MaskingRedisTrackerStore,
                domain: Domain, sender: str) -> DialogueStateTracker:
    """Plays ``_conversation`` through the store; returns the same conversation never stored."""
    whole = DialogueStateTracker(sender, domain.slots)
    start = (ActionExecuted(ACTION_SESSION_START_NAME, timestamp=0), SessionStarted(timestamp=0),
             SlotSet("language", "en", timestamp=0))
    first = DialogueStateTracker(sender, domain.slots)
    for event in start:
        first.update(event)
        whole.update(event)
    await store.save(first)
    for n, (text, intent, *after) in enumerate(_conversation(), start=1):
        tracker = await store.retrieve(sender)
        _turn(tracker, n, text, intent, *after)
        _turn(whole, n, text, intent, *after)
        await store.save(tracker)
    return whole


def _live_users(tracker: DialogueStateTracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def _check_windowed(store: MaskingInMemoryTrackerStore | MaskingRedisTrackerStore,
                          domain: Domain, sender: str) -> None:
    whole = await _talk(store, domain, sender)
    live = await store.retrieve(sender)
    # The live part is bounded, whatever the length of the conversation ...
    assert KEEP_TURNS <= len(_live_users(live)) <= MAX_LIVE_TURNS
    # ... and holds the state the whole conversation left: slots, the form, what rules see.
    assert {n: s.value for n, s in live.slots.items() if n != EARLIER_SLOT} == \
        {n: s.value for n, s in whole.slots.items() if n != EARLIER_SLOT}
    assert live.active_loop_name == "complaint_form" and live.get_slot("language") == "en"
    assert live.past_states(domain)[-8:] == whole.past_states(domain)[-8:]
    assert live.latest_message.text == "I want to complain"
    # Nothing is lost: the archive and the live part replay as the whole conversation, masked.
    full = await store.retrieve_full_tracker(sender)
    assert _live_users(full) == ["I lost my card ending 4821", "••••••",
                                 *["hello"] * 30, "I want to complain"]
    assert [type(e) for e in full.events] == [type(e) for e in whole.events]
    assert full.slots["awaiting"].value == "action_lost_card"
    # A handoff still sees the archived messages: the digest in the ``earlier`` slot.
    digest = Digest.from_dict(live.get_slot(EARLIER_SLOT))
    assert digest.intents[:3] == ("lost_card", "inform", "greet")
    assert digest.entities == {"card_last4": "4821"}
    assert [t.text for t in digest.transcript[:4]] == [
        "I lost my card ending 4821", "the code we texted?", "••••••",
        "block the card ending 4821?"]


async def test_memory_store_keeps_a_long_session_short_and_loses_nothing():
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = MaskingInMemoryTrackerStore(domain)
    await _check_windowed(store, domain, "long")
    assert "482913" not in "".join(store.archive["long"])


async def test_redis_store_keeps_a_long_session_short_and_loses_nothing(redis_client):
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = _redis_store(domain)
    sender = f"long-{uuid.uuid4().hex[:8]}"
    await _check_windowed(store, domain, sender)
    archive = f"cardcaretest:tracker-archive:{sender}"
    assert redis_client.llen(archive) > 0
    assert "482913" not in b"".join(redis_client.lrange(archive, 0, -1)).decode()
    assert 29 * 86400 < redis_client.ttl(archive) <= RETENTION_S
    # keys() lists conversations, not their archives.
    assert all("archive" not in key for key in await store.keys())


async def test_a_new_session_sends_the_old_one_to_the_archive():
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = MaskingInMemoryTrackerStore(domain)
    tracker = DialogueStateTracker("s", domain.slots)
    tracker.update(ActionExecuted(ACTION_SESSION_START_NAME, timestamp=0))
    tracker.update(SessionStarted(timestamp=0))
    _turn(tracker, 1, "my card is 4111 1111 1111 1111", "lost_card", SlotSet("awaiting", "x"))
    await store.save(tracker)
    later = await store.retrieve("s")
    later.update(ActionExecuted(ACTION_SESSION_START_NAME, timestamp=2000))
    later.update(SessionStarted(timestamp=2000))
    _turn(later, 2000, "hello", "greet")
    await store.save(later)
    live = await store.retrieve("s")
    assert _live_users(live) == ["hello"] and live.get_slot("awaiting") is None
    assert len(store.archive["s"]) == 5  # the first session, whole
    assert _live_users(await store.retrieve_full_tracker("s")) == [
        "my card is •••• 1111", "hello"]


async def test_an_answer_to_the_code_question_is_masked_in_the_turn_after_the_question():
    # The question was stored in one save, the answer arrives in the next: only the new events
    # are masked, with the form's state as the store left it.
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = MaskingInMemoryTrackerStore(domain)
    tracker = DialogueStateTracker("c", domain.slots)
    tracker.update(ActiveLoop("verify_form"))
    tracker.update(SlotSet("requested_slot", "otp_code"))
    await store.save(tracker)
    again = await store.retrieve("c")
    again.update(UserUttered("336 741", {"name": "inform", "confidence": 0.9}))
    await store.save(again)
    stored = " ".join(strings(json.loads(store.store["c"])))
    assert "336" not in stored and "741" not in stored

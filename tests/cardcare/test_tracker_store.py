"""The masking tracker stores, with Rasa's own tracker and the real Redis."""

from __future__ import annotations

import json
import uuid

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from cardcare.tracker_store import (
    RETENTION_S,
    MaskingInMemoryTrackerStore,
    MaskingRedisTrackerStore,
)
from tests.conftest import ROOT, TEST_REDIS_URL


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


async def test_memory_store_keeps_only_masked_messages():
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = MaskingInMemoryTrackerStore(domain)
    await store.save(_tracker("a", domain))
    assert "482913" not in store.store["a"] and "4111 1111" not in store.store["a"]
    texts = [e.text for e in (await store.retrieve("a")).events if isinstance(e, UserUttered)]
    assert texts == ["••••••", "my card is •••• 1111"]


async def test_redis_store_writes_masked_and_merges_turns(redis_client):
    domain = Domain.load(str(ROOT / "domain.yml"))
    url = TEST_REDIS_URL.rsplit("/", 1)
    store = MaskingRedisTrackerStore(domain, host="127.0.0.1", db=int(url[1]),
                                     key_prefix="cardcaretest")
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
    url = TEST_REDIS_URL.rsplit("/", 1)
    store = MaskingRedisTrackerStore(domain, host="127.0.0.1", db=int(url[1]),
                                     key_prefix="cardcaretest", record_exp=3600)
    sender = f"keep-{uuid.uuid4().hex[:8]}"
    await store.save(_tracker(sender, domain))
    assert 3500 < redis_client.ttl(f"cardcaretest:tracker:{sender}") <= 3600

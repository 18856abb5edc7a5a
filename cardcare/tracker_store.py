"""Rasa tracker stores that mask secrets before a conversation is stored.

The cardholder types their phone number, birth date and one-time code into the chat, and may
paste a card number anywhere.  Rasa keeps every user message in the tracker, which agents,
analytics and exports read, so these stores rewrite what they persist:

* in every user message, card numbers keep only their last 4 digits and named secrets
  ("CVV 123", "验证码 482913") are hidden (``cardcare.masking.mask_text``);
* a message that answers a verification question (while ``verify_form`` asks for identity
  details or the code) has all its digits masked;
* the verification slots only ever hold a marker.

The message being processed is still whole in memory, which is how the verification action
reads the code; what reaches Redis (or memory between turns) is masked.  Configure in the
endpoints file as ``type: cardcare.tracker_store.MaskingRedisTrackerStore`` (same arguments
as Rasa's ``redis`` store) or ``cardcare.tracker_store.MaskingInMemoryTrackerStore``.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from cardcare import rasa_patches
from cardcare.logs import mask_records
from cardcare.masking import mask_events


def _in_rasa() -> None:
    """What CardCare installs in the Rasa process, once Rasa loads one of these stores (every
    endpoints file names one): masked log lines, and the pinned speed patch."""
    mask_records()
    rasa_patches.apply()


def serialise_masked(tracker: DialogueStateTracker) -> str:
    """The tracker as Rasa's text stores serialise it, with secrets masked."""
    dialogue = tracker.as_dialogue().as_dict()
    mask_events(dialogue["events"])
    return json.dumps(dialogue)


class MaskingInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory store, masking what it keeps between turns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _in_rasa()
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the tracker masked."""
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = serialise_masked(tracker)


# How long a conversation is kept after its last turn, unless the endpoints file sets Rasa's
# ``record_exp`` (seconds): a bank keeps chat records for its own retention period, not forever.
RETENTION_S = 30 * 24 * 3600


class MaskingRedisTrackerStore(RedisTrackerStore):
    """Rasa's Redis store, masking what it writes and expiring it after the retention period."""

    def __init__(self, *args: Any, record_exp: float | None = None, **kwargs: Any) -> None:
        _in_rasa()
        super().__init__(*args, record_exp=record_exp or RETENTION_S, **kwargs)

    @staticmethod
    def serialise_tracker(tracker: DialogueStateTracker) -> str:
        """Called by ``RedisTrackerStore.save`` for what it writes (a static method there too)."""
        return serialise_masked(tracker)

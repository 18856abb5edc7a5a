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
reads the code; what reaches Redis (or memory between turns) is masked.

They also keep a turn's cost flat however long the conversation: Rasa's own stores read,
replay, merge and write back every event ever sent on every turn, and the policies featurise
and the action server receives them all.  These keep one session live, at most
``MAX_LIVE_TURNS`` user turns of it; older events go to an archive (a Redis list beside the
tracker) and the live part starts with a snapshot of the state they left (the slots, the
active loop, a pause) and a digest of their messages for a handoff (``earlier``).  A save
masks and serialises only the events new since the tracker was read.  ``retrieve`` gives the
live part, as Rasa's ``retrieve`` gives the latest session; ``retrieve_full_tracker`` replays
the archive and the live part, as if nothing had been archived.  Configure in the
endpoints file as ``type: cardcare.tracker_store.MaskingRedisTrackerStore`` (same arguments
as Rasa's ``redis`` store) or ``cardcare.tracker_store.MaskingInMemoryTrackerStore``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from rasa.shared.core.constants import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    REQUESTED_SLOT,
)
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker

from cardcare import rasa_patches
from cardcare.conversation import EARLIER_SLOT
from cardcare.escalation import Digest
from cardcare.logs import mask_records
from cardcare.masking import mask_events

# A live session holding more user turns than this is cut back to KEEP_TURNS.  Rules look back
# a few turns at most (MemoizationPolicy: 3), so what is cut changes no prediction; the cut
# happens once every MAX_LIVE_TURNS - KEEP_TURNS turns, so its cost is spread thin.
MAX_LIVE_TURNS = 12
KEEP_TURNS = 6
# The dialogue's key for how many of its first events are a snapshot (not archived again).
_SNAPSHOT = "cardcare_snapshot"
# The attribute a tracker read by these stores carries: what is stored of it.
_STORED = "_cardcare_stored"


def _in_rasa() -> None:
    """What CardCare installs in the Rasa process, once Rasa loads one of these stores (every
    endpoints file names one): masked log lines, and the pinned speed patch."""
    mask_records()
    rasa_patches.apply()


@dataclass
class _Stored:
    """A conversation's live part as stored (masked, serialised), and how many of the events
    of the tracker read from it it covers: a save serialises and masks only the rest."""

    events: list[dict[str, Any]]
    snapshot: int  # the first ``snapshot`` events restate the archived state
    covers: int  # tracker.events[:covers] are in ``events``
    loop: str | None  # the active loop and requested slot after them, for masking what follows
    requested: str | None


@dataclass
class Written:
    """What a save writes: the live part (JSON), and the events it archives (JSON each)."""

    live: str
    archived: list[str]


def _is(event: dict[str, Any], kind: str, name: str | None = None) -> bool:
    return event.get("event") == kind and (name is None or event.get("name") == name)


class WindowedStore(TrackerStore):
    """The part of CardCare's stores that does not depend on where they keep things; a store
    says where with ``_put``, ``_live`` and ``_archived``."""

    def _put(self, sender_id: str, written: Written, timeout: float | None) -> None:
        raise NotImplementedError

    def _live(self, sender_id: str) -> str | bytes | None:
        raise NotImplementedError

    def _archived(self, sender_id: str) -> Iterable[str | bytes]:
        raise NotImplementedError

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Stores the tracker masked, archiving what left the live part."""
        await self.stream_events(tracker)
        self._put(tracker.sender_id, self.write(tracker), timeout)

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool
                        ) -> DialogueStateTracker | None:
        """The live part (one session), or with ``fetch_all_sessions`` the whole conversation."""
        stored = self._live(sender_id)
        if stored is None:
            return None
        if fetch_all_sessions:
            return self.read_full(sender_id, stored, self._archived(sender_id))
        return self.read(sender_id, stored)

    def read(self, sender_id: str, text: str | bytes) -> DialogueStateTracker:
        """The tracker of a stored live part (JSON), remembering what is stored of it."""
        dialogue = json.loads(text)
        events: list[dict[str, Any]] = dialogue.get("events") or []
        snapshot = int(dialogue.get(_SNAPSHOT) or 0)
        # One session is live once saved by this store; an older record may hold several, of
        # which Rasa's retrieve gives the latest (the next save archives the others).
        start = _latest_session(events)
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue(sender_id, deserialise_events(events[start:])))
        setattr(tracker, _STORED, _Stored(events, snapshot, len(events) - start,
                                          tracker.active_loop_name,
                                          tracker.get_slot(REQUESTED_SLOT)))
        return tracker

    def read_full(self, sender_id: str, text: str | bytes,
                  archived: Iterable[str | bytes]) -> DialogueStateTracker:
        """The whole conversation: the archive, then the live part without its snapshot."""
        dialogue = json.loads(text)
        live = (dialogue.get("events") or [])[int(dialogue.get(_SNAPSHOT) or 0):]
        events = [json.loads(event) for event in archived] + live
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue(sender_id, deserialise_events(events)))
        return tracker

    def write(self, tracker: DialogueStateTracker) -> Written:
        """What to store of ``tracker``: the new events masked, the old sessions and turns
        archived.  The tracker then remembers what is stored of it, for its next save."""
        events = tracker.events
        stored: _Stored | None = getattr(tracker, _STORED, None)
        if stored is None or stored.covers > len(events):
            stored = _Stored([], 0, 0, None, None)
        new = [event.as_dict() for event in itertools.islice(events, stored.covers, None)]
        live = stored.events + mask_events(new, stored.loop, stored.requested)
        snapshot, archived = stored.snapshot, []
        start = _latest_session(live)
        if start > 0:  # a new session: the old ones go to the archive whole
            archived += live[snapshot:start]
            live, snapshot = live[start:], 0
        cut = _turn_cut(live)
        if cut is not None:
            state = self.init_tracker(tracker.sender_id)
            state.recreate_from_dialogue(Dialogue(tracker.sender_id,
                                                  deserialise_events(live[:cut])))
            archived += live[snapshot:cut]
            restated = _snapshot(state, live[:cut], snapshot)
            live, snapshot = restated + live[cut:], len(restated)
        setattr(tracker, _STORED, _Stored(live, snapshot, len(events), tracker.active_loop_name,
                                          tracker.get_slot(REQUESTED_SLOT)))
        return Written(json.dumps({"sender_id": tracker.sender_id, "events": live,
                                   _SNAPSHOT: snapshot}),
                       [json.dumps(event) for event in archived])


def _latest_session(events: list[dict[str, Any]]) -> int:
    """Where the latest session starts (its ``action_session_start``), 0 if only one."""
    for i in range(len(events) - 1, 0, -1):
        if _is(events[i], "session_started"):
            before = events[i - 1]
            return i - 1 if _is(before, "action", ACTION_SESSION_START_NAME) else i
    return 0


def _turn_cut(events: list[dict[str, Any]]) -> int | None:
    """Where to cut a session holding more than MAX_LIVE_TURNS user turns: before the listen
    that precedes the KEEP_TURNS-th last user message.  None: keep it whole."""
    users = [i for i, event in enumerate(events) if _is(event, "user")]
    if len(users) <= MAX_LIVE_TURNS:
        return None
    cut = users[-KEEP_TURNS]
    return cut - 1 if _is(events[cut - 1], "action", ACTION_LISTEN_NAME) else cut


def _snapshot(state: DialogueStateTracker, before: list[dict[str, Any]], archived_from: int,
              ) -> list[dict[str, Any]]:
    """Events that leave a new tracker as replaying ``before`` (one session) left ``state``,
    for what rules and actions read: the session's start, every slot set, the active loop, a
    pause; and the digest of the messages archived (``before[archived_from:]``) after the
    earlier digest, for a handoff."""
    timestamp = before[-1]["timestamp"]
    restated: list[Event] = []
    if any(_is(event, "session_started") for event in before):
        restated += [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=timestamp),
                     SessionStarted(timestamp=timestamp)]
    for slot in state.slots.values():
        if slot.name != EARLIER_SLOT and slot.value != slot.initial_value:
            restated.append(SlotSet(slot.name, slot.value, timestamp=timestamp))
    digest = Digest.of(before[archived_from:], state.get_slot(EARLIER_SLOT))
    restated.append(SlotSet(EARLIER_SLOT, digest.to_dict(), timestamp=timestamp))
    if state.active_loop_name:
        restated.append(ActiveLoop(state.active_loop_name, timestamp=timestamp))
    if state.is_paused():
        restated.append(ConversationPaused(timestamp=timestamp))
    return [event.as_dict() for event in restated]


class MaskingInMemoryTrackerStore(WindowedStore, InMemoryTrackerStore):
    """Rasa's in-memory store, masking what it keeps between turns, one session live."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _in_rasa()
        super().__init__(*args, **kwargs)
        self.archive: dict[str, list[str]] = {}

    def _put(self, sender_id: str, written: Written, timeout: float | None) -> None:
        self.store[sender_id] = written.live
        if written.archived:
            self.archive.setdefault(sender_id, []).extend(written.archived)

    def _live(self, sender_id: str) -> str | None:
        return self.store.get(sender_id)

    def _archived(self, sender_id: str) -> list[str]:
        return self.archive.get(sender_id, [])


# How long a conversation is kept after its last turn, unless the endpoints file sets Rasa's
# ``record_exp`` (seconds): a bank keeps chat records for its own retention period, not forever.
RETENTION_S = 30 * 24 * 3600


class MaskingRedisTrackerStore(WindowedStore, RedisTrackerStore):
    """Rasa's Redis store, masking what it writes, one session live and the rest in a list
    beside it (``…tracker-archive:<sender>``), both expiring after the retention period.

    Unlike Rasa's, a save does not read the stored tracker back to merge it: the live part
    this store wrote is all there is to keep, and the conversation's lock makes this process
    its only writer for the turn."""

    def __init__(self, *args: Any, record_exp: float | None = None, **kwargs: Any) -> None:
        _in_rasa()
        super().__init__(*args, record_exp=record_exp or RETENTION_S, **kwargs)

    def archive_key(self, sender_id: str) -> str:
        """Outside ``key_prefix``, so that ``keys()`` lists conversations only."""
        return f"{self.key_prefix.rstrip(':')}-archive:{sender_id}"

    def _put(self, sender_id: str, written: Written, timeout: float | None) -> None:
        """The live part and what left it, in one round trip."""
        expiry = int(timeout or self.record_exp or RETENTION_S)
        pipe = self.red.pipeline(transaction=True)
        pipe.set(self.key_prefix + sender_id, written.live, ex=expiry)
        archive = self.archive_key(sender_id)
        if written.archived:
            pipe.rpush(archive, *written.archived)
        pipe.expire(archive, expiry)
        pipe.execute()

    def _live(self, sender_id: str) -> str | None:
        return self.red.get(self.key_prefix + sender_id)

    def _archived(self, sender_id: str) -> list[str]:
        return self.red.lrange(self.archive_key(sender_id), 0, -1)

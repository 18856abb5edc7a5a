"""Handing the chat to a person: why, and everything the bot learned, as explicit data.

``escalate`` attaches an ``Escalation`` (``cardcare.escalation``) to the turn's answer as a
custom message; the gateway queues the chat from it and the desk shows it to the agent.  The
reason comes from the conversation's state, never from a text: the flow that was waiting (a
lost card, a fraud report, a dispute, a repayment plan), the offer the bot made (after a bank
failure), a complaint just told, else a plain request for a person.  Whatever flow was running
ends here, so the bot resumes clean when the person hands the chat back.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.flow import end_flow
from cardcare.conversation import DEFAULT_LANGUAGE
from cardcare.escalation import (
    HANDOFF_KEY,
    MAX_TEXT_CHARS,
    MAX_TRANSCRIPT,
    Escalation,
    Reason,
    Summary,
    Turn,
)
from cardcare.masking import mask_events, mask_text

# The flow that was waiting when the user asked for a person says what it is about.
_FLOW_REASONS = {
    "action_lost_card": Reason.LOST_CARD,
    "action_report_fraud": Reason.REPORT_FRAUD,
    "action_dispute_charge": Reason.DISPUTE,
    "action_repayment_plan": Reason.REPAYMENT,
}
_PAYLOAD = re.compile(r"/(\w+)(\{.*\})?", re.DOTALL)
# Entities worth an agent's eye (the rest are ids the desk cannot use).
_ENTITIES = ("card_last4", "amount", "months", "merchant", "period", "limit_kind")


def reason_for(tracker: Tracker) -> Reason:
    """Why the user is handed over, from the conversation's state."""
    if tracker.get_slot(slots.COMPLAINT_DETAILS):
        return Reason.COMPLAINT
    flow = _FLOW_REASONS.get(tracker.get_slot(slots.AWAITING) or "")
    if flow:
        return flow
    try:
        return Reason(tracker.get_slot(slots.HANDOFF_REASON))
    except ValueError:
        return Reason.HUMAN_AGENT


def summary_of(tracker: Tracker, session: list[dict[str, Any]],
               pending: list[EventType]) -> Summary:
    """What the agent must not ask again: language, verification, intents, entities, facts
    (with those of ``pending``, the events this action run decided on so far).  ``session``
    is ``masked_session``'s."""
    intents: list[str] = []
    entities: dict[str, str] = {}
    for event in session:
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        if intent and intent not in intents:
            intents.append(intent)
        for entity in parse.get("entities") or []:
            if entity.get("entity") in _ENTITIES and entity.get("value") is not None:
                entities[entity["entity"]] = mask_text(str(entity["value"]))[:200]
    facts = next((e["value"] for e in reversed(pending)
                  if e.get("event") == "slot" and e.get("name") == slots.BOT_DID), None)
    complaint = tracker.get_slot(slots.COMPLAINT_DETAILS)
    return Summary(language=tracker.get_slot(slots.LANGUAGE) or DEFAULT_LANGUAGE,
                   verified=tracker.get_slot(slots.VERIFICATION) == "verified",
                   intents=tuple(intents[-20:]), entities=entities,
                   facts=tuple(facts if facts is not None
                               else tracker.get_slot(slots.BOT_DID) or ()),
                   complaint=mask_text(str(complaint))[:MAX_TEXT_CHARS] if complaint else None)


def readable(text: str) -> str:
    """A tapped button's payload as an agent reads it: ``/lost_card{"card_last4":"4821"}`` →
    ``[button] lost_card (card_last4: 4821)``; typed text as it is."""
    payload = _PAYLOAD.fullmatch(text.strip())
    if payload is None:
        return text
    try:
        values = json.loads(payload.group(2)) if payload.group(2) else {}
    except ValueError:
        values = {}
    shown = ", ".join(f"{k}: {v}" for k, v in values.items()) if isinstance(values, dict) else ""
    return f"[button] {payload.group(1)}" + (f" ({shown})" if shown else "")


def transcript_of(session: list[dict[str, Any]]) -> tuple[Turn, ...]:
    """The session's messages so far (``masked_session``'s events)."""
    turns = [Turn("user" if e["event"] == "user" else "bot",
                  mask_text(readable(e.get("text") or ""))[:MAX_TEXT_CHARS],
                  float(e.get("timestamp") or 0))
             for e in session if e.get("event") in ("user", "bot") and e.get("text")]
    return tuple(turns[-MAX_TRANSCRIPT:])


def masked_session(tracker: Tracker) -> list[dict[str, Any]]:
    """This session's events, masked as the tracker store keeps them (a copy)."""
    events = tracker.events
    start = max((i for i, e in enumerate(events) if e.get("event") == "session_started"),
                default=0)
    return mask_events(copy.deepcopy(list(events[start:])))


def escalate(dispatcher: CollectingDispatcher, tracker: Tracker, reason: Reason,
             pending: list[EventType] | None = None) -> list[EventType]:
    """Says the chat goes to a person and attaches the escalation; ends any flow."""
    session = masked_session(tracker)
    escalation = Escalation(reason, summary_of(tracker, session, pending or []),
                            transcript_of(session))
    dispatcher.utter_message(response="utter_handoff_requested",
                             json_message={HANDOFF_KEY: escalation.to_dict()})
    return end_flow()


class ActionHandoff(Action):
    """The user wants a person (asked, accepted the offer, or told their complaint)."""

    def name(self) -> str:
        """The domain's action name."""
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Escalates for the reason the conversation's state gives (no bank call: a person
        is reachable while the bank is down)."""
        return escalate(dispatcher, tracker, reason_for(tracker))

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

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.flow import end_flow
from cardcare.conversation import DEFAULT_LANGUAGE
from cardcare.escalation import HANDOFF_KEY, MAX_TEXT_CHARS, Digest, Escalation, Reason, Summary
from cardcare.masking import mask_events, mask_text

# The flow that was waiting when the user asked for a person says what it is about.
_FLOW_REASONS = {
    "action_lost_card": Reason.LOST_CARD,
    "action_report_fraud": Reason.REPORT_FRAUD,
    "action_dispute_charge": Reason.DISPUTE,
    "action_repayment_plan": Reason.REPAYMENT,
}


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


def summary_of(tracker: Tracker, digest: Digest, pending: list[EventType]) -> Summary:
    """What the agent must not ask again: language, verification, intents, entities, facts
    (with those of ``pending``, the events this action run decided on so far).  ``digest``
    is ``session_digest``'s."""
    facts = next((e["value"] for e in reversed(pending)
                  if e.get("event") == "slot" and e.get("name") == slots.BOT_DID), None)
    complaint = tracker.get_slot(slots.COMPLAINT_DETAILS)
    return Summary(language=tracker.get_slot(slots.LANGUAGE) or DEFAULT_LANGUAGE,
                   verified=tracker.get_slot(slots.VERIFICATION) == "verified",
                   intents=digest.intents, entities=digest.entities,
                   facts=tuple(facts if facts is not None
                               else tracker.get_slot(slots.BOT_DID) or ()),
                   complaint=mask_text(str(complaint))[:MAX_TEXT_CHARS] if complaint else None)


def session_digest(tracker: Tracker) -> Digest:
    """This session's messages, masked as the tracker store keeps them: what the store
    archived out of a long session (the ``earlier`` slot), then the events still live."""
    events = tracker.events
    start = max((i for i, e in enumerate(events) if e.get("event") == "session_started"),
                default=0)
    live = mask_events(copy.deepcopy(list(events[start:])))
    return Digest.of(live, tracker.get_slot(slots.EARLIER))


def escalate(dispatcher: CollectingDispatcher, tracker: Tracker, reason: Reason,
             pending: list[EventType] | None = None) -> list[EventType]:
    """Says the chat goes to a person and attaches the escalation; ends any flow."""
    digest = session_digest(tracker)
    escalation = Escalation(reason, summary_of(tracker, digest, pending or []),
                            digest.transcript)
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

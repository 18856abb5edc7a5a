"""A new conversation session (after 15 idle minutes) keeps the language and drops account data.

Rasa starts a new session after ``session_expiration_time`` without messages and, with
``carry_over_slots_to_new_session``, copies every slot.  The verified bank session expires
after the same 15 minutes, so what a flow collected about the account (card, transaction,
pending request) is not carried over; the conversation's language is.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots


class ActionSessionStart(Action):
    """Rasa's session start, carrying over only slots that hold nothing about the account."""

    def name(self) -> str:
        """Rasa's name for the session-start action."""
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Starts the session, then re-sets the slots that may outlive a verified session."""
        dropped = set(slots.SENSITIVE) | {slots.VERIFICATION, slots.NEEDS_VERIFICATION,
                                          slots.REQUESTED_SLOT}
        kept: list[dict[str, Any]] = [
            SlotSet(name, value) for name, value in tracker.current_slot_values().items()
            if name not in dropped and value is not None]
        return [SessionStarted(), *kept, ActionExecuted("action_listen")]

"""The conversation's language: follows each message, sticks when a message does not tell.

NLU stores its guess for every message as the ``language`` parse property (see
``nlu/language.py``) with the candidates it could not rule out.  This module decides the
``language`` slot from that guess and the slot's current value, and handles explicit switches
("English please", "說廣東話", "/language").
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.i18n import LANGUAGE_SLOT
from cardcare.conversation import LANGUAGE_HINT_KEY, LANGUAGES


def requested_language(tracker: Tracker) -> str | None:
    """The language the user explicitly asked for in the latest message, if any."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") != "change_language":
        return None
    for entity in message.get("entities") or []:
        if entity.get("entity") == "target_language" and entity.get("value") in LANGUAGES:
            return str(entity["value"])
    return None


def resolve_language(
    guess: dict[str, Any] | None, current: str | None, hint: str | None = None
) -> str | None:
    """Chooses the conversation language after one message.

    Args:
        guess: the message's ``language`` parse property (code, confidence, candidates).
        current: the slot's value before the message.
        hint: a language the channel knows for this user (e.g. Telegram's language_code),
            used only to settle what the message leaves open.

    Returns:
        The language to use from now on.
    """
    if not guess or guess.get("code") not in LANGUAGES:
        return current or (hint if hint in LANGUAGES else None)
    candidates = guess.get("candidates") or (guess["code"],)
    if current in candidates:
        return current  # "ok" in a Vietnamese chat, "你好" in a Traditional one
    if hint in candidates:
        return hint  # "你好" from a user whose app is set to Traditional Chinese
    return str(guess["code"])  # the message rules the conversation's language out


class ValidateSlotMappings(ValidationAction):
    """Fills the custom-mapped ``language`` slot on every user message."""

    def name(self) -> str:
        """Rasa calls the action of this name after each slot extraction."""
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Returns the new value of the ``language`` slot."""
        current = tracker.get_slot(LANGUAGE_SLOT)
        message = tracker.latest_message or {}
        hint = (message.get("metadata") or {}).get(LANGUAGE_HINT_KEY)
        language = requested_language(tracker) or resolve_language(
            message.get("language"), current, hint
        )
        return {LANGUAGE_SLOT: language} if language != current else {}


class ActionChangeLanguage(Action):
    """Confirms a language switch, or offers the languages when none was named."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utters the confirmation in the new language (the slot is already set)."""
        if requested_language(tracker):
            dispatcher.utter_message(response="utter_language_changed")
        else:
            dispatcher.utter_message(response="utter_choose_language")
        return []

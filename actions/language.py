"""Explicit language switches ("English please", "說廣東話", "/language").

The ``language`` slot itself is decided inside Rasa as each message arrives (the ``language``
entity and ``LanguageSlot`` in ``nlu/language.py``, the request's ``target_language`` first,
see ``domain.yml``); this action only confirms a switch or offers the languages.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from cardcare.conversation import LANGUAGES


def requested_language(tracker: Tracker) -> str | None:
    """The language the user explicitly asked for in the latest message, if any."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") != "change_language":
        return None
    for entity in message.get("entities") or []:
        if entity.get("entity") == "target_language" and entity.get("value") in LANGUAGES:
            return str(entity["value"])
    return None


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

"""What the bot does when it is not sure what the user meant.

The first and second time: a "did you mean" with the two most likely intents as buttons,
unless the bot had just asked a question with choices: then the question again, with a hint
on how to answer it (a "did you mean" about unrelated intents would lose the question).
After two misunderstandings in a row: offer a person instead of guessing again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import LANGUAGE_SLOT, response_text

FALLBACK_INTENT = "nlu_fallback"
# Misunderstandings in a row after which a person is offered rather than another guess.
OFFER_HUMAN_AFTER = 2
SUGGESTIONS = 2


def misunderstandings_in_a_row(tracker: Tracker) -> int:
    """Counts the latest consecutive user messages that NLU could not classify."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


def open_question(tracker: Tracker) -> dict[str, Any] | None:
    """The bot's last message before the latest user message, if it offered choices."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return None
        elif event.get("event") == "bot" and users == 1:
            if (event.get("data") or {}).get("buttons"):
                return event
            return None
    return None


def suggestions(tracker: Tracker, domain: DomainDict) -> list[str]:
    """The most likely real intents of the latest message, best first."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    names = [r.get("name") for r in ranking]
    return [
        n for n in names
        if n and n != FALLBACK_INTENT and f"utter_label_{n}" in domain.get("responses", {})
    ][:SUGGESTIONS]


class ActionClarify(Action):
    """Asks "did you mean …" with buttons, or offers a human after repeated failures."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Sends the clarification in the conversation's language."""
        if misunderstandings_in_a_row(tracker) >= OFFER_HUMAN_AFTER:
            dispatcher.utter_message(response="utter_offer_human")
            return []
        question = open_question(tracker)
        if question is not None:
            # The question as the user saw it, already in their language.
            dispatcher.utter_message(response="utter_answer_from_options")
            dispatcher.utter_message(text=question.get("text") or "",
                                     buttons=question["data"]["buttons"])
            return []
        intents = suggestions(tracker, domain)
        if not intents:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        language = tracker.get_slot(LANGUAGE_SLOT)
        buttons = [
            {"title": response_text(domain, f"utter_label_{intent}", language),
             "payload": f"/{intent}"}
            for intent in intents
        ]
        buttons.append(
            {"title": response_text(domain, "utter_label_out_of_scope", language),
             "payload": "/deny"}
        )
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []

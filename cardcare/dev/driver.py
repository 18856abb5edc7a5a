"""Drives CardCare's actions directly, the way Rasa would between them, without a model.

The tests and ``make bench`` use it: ``Chat`` keeps the slots as Rasa would after each action
(SlotSet events applied, ``from_entity`` slots filled from the message), so a script reads like
a conversation while it asserts on response names and events, which hold in every language.
"""

from __future__ import annotations

import uuid
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank import BankClient
from actions.sessions import SessionStore
from cardcare.conversation import subject


class Chat:
    """One conversation: what the user said, the slots, what the bot answered."""

    def __init__(self, domain: dict[str, Any], client: BankClient,
                 sessions: SessionStore, sender: str = "42",
                 language: str = "en") -> None:
        self.domain = domain
        self.client = client
        self.sessions = sessions
        self.sender = sender
        self.slots: dict[str, Any] = {name: None for name in domain["slots"]}
        self.slots["language"] = language
        self.latest: dict[str, Any] = {}
        self.history: list[dict[str, Any]] = []  # the user's messages, as tracker events
        self.active_loop: str | None = None
        self.messages: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    @property
    def subject(self) -> str:
        """The chat identity the actions see: the REST channel's, as in ``user``'s events."""
        return subject("rest", self.sender)

    def user(self, text: str, intent: str = "inform", **entities: str) -> Chat:
        """A user message; entities fill their ``from_entity`` slots as Rasa would."""
        self.latest = {
            "text": text, "message_id": uuid.uuid4().hex, "intent": {"name": intent},
            "entities": [{"entity": k, "value": v} for k, v in entities.items()],
        }
        self.history.append({"event": "user", "text": text, "input_channel": "rest",
                             "parse_data": {"intent": {"name": intent},
                                            "entities": self.latest["entities"]}})
        for name, value in entities.items():
            mappings = (self.domain["slots"].get(name) or {}).get("mappings") or []
            if any(m.get("type") == "from_entity" for m in mappings):
                self.slots[name] = value
        return self

    def tracker(self) -> Tracker:
        return Tracker(
            sender_id=self.sender, slots=dict(self.slots), latest_message=self.latest,
            events=list(self.history),
            paused=False, followup_action=None,
            active_loop={"name": self.active_loop} if self.active_loop else {},
            latest_action_name="action_listen")

    async def run(self, action: Action) -> list[dict[str, Any]]:
        """Runs ``action``, applies its events, returns them; responses land in ``messages``."""
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, self.tracker(), self.domain)
        self.messages.extend(dispatcher.messages)
        self.events.extend(events)
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
            elif event["event"] == "active_loop":
                self.active_loop = event["name"]
        return events

    def said(self) -> list[str]:
        """Names of the responses sent so far, then forgets them."""
        names = [m.get("response") for m in self.messages]
        self.messages.clear()
        return names

    def last(self, response: str) -> dict[str, Any]:
        """The latest message sent with ``response`` (its template variables and buttons)."""
        return next(m for m in reversed(self.messages) if m.get("response") == response)

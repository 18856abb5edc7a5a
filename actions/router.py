"""Yes, no, a bare answer, or a digression: routes them to the banking flow that is waiting.

Without a waiting flow they get the plain answers the foundation gave ("anything else?").
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.flow import REGISTRY, BankAction, Collaborators
from cardcare.conversation import VERIFY_FORM


class RoutingAction(Collaborators, Action, ABC):
    """Finds the waiting flow.  Abstract, so that rasa-sdk does not register it as an action."""

    @abstractmethod
    def name(self) -> str:
        """The domain's action name."""

    def waiting_flow(self, tracker: Tracker) -> BankAction | None:
        """The banking action waiting for an answer, if any."""
        cls = REGISTRY.get(tracker.get_slot(slots.AWAITING) or "")
        return cls(self.client, self.sessions) if cls else None


class _Answer(RoutingAction, ABC):
    """"Yes" or "no" to the waiting flow's question; "anything else?" when none waits."""

    yes: bool

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Answers the waiting flow."""
        flow = self.waiting_flow(tracker)
        if flow is None:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        return await flow.step_with(dispatcher, tracker, domain,
                                    lambda ctx: flow.reply(ctx, self.yes))


class ActionAffirm(_Answer):
    """"Yes": confirms the waiting flow's question."""

    yes = True

    def name(self) -> str:
        """Action name in the domain."""
        return "action_affirm"


class ActionDeny(_Answer):
    """"No" or "cancel": declines the waiting flow's question, which cancels most flows."""

    yes = False

    def name(self) -> str:
        """Action name in the domain."""
        return "action_deny"


class ActionInform(RoutingAction):
    """A bare answer ("12 months", "the one ending 4821") for the waiting flow."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Re-runs the waiting flow's step with the new information."""
        flow = self.waiting_flow(tracker)
        if flow is None:
            dispatcher.utter_message(response="utter_inform_without_context")
            return []
        return await flow.run(dispatcher, tracker, domain)


class ActionResumeFlow(RoutingAction):
    """After a digression is answered, asks the waiting flow's question again."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_resume_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Re-asks; says nothing when no flow waits."""
        if tracker.active_loop_name == VERIFY_FORM:
            requested = tracker.get_slot(slots.REQUESTED_SLOT)
            if requested:
                dispatcher.utter_message(response=f"utter_ask_{requested}")
            return []
        flow = self.waiting_flow(tracker)
        if flow is None:
            return []
        return await flow.step_with(dispatcher, tracker, domain, flow.ask_again)

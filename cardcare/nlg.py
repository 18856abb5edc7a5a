"""Rasa's response generator, telling each bot message which language it was written in.

Responses are chosen by the ``language`` slot; the gateway also writes texts of its own
(an unsupported photo, a flood, an outage) and must write them in the conversation's language,
which only Rasa knows.  Tagging each generated message costs nothing and saves the gateway a
tracker fetch.  A message asking for a verification answer (the phone or birth date, the code)
is also tagged ``asks_secret``: the gateway then keeps the user's reply masked whole.
Configured in the endpoints file as ``nlg: type: cardcare.nlg.LanguageTaggingGenerator``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from cardcare.conversation import ASKS_SECRET_KEY, DEFAULT_LANGUAGE, VERIFICATION_SLOTS

LANGUAGE_SLOT = "language"
_ASKS = frozenset(f"utter_ask_{slot}" for slot in VERIFICATION_SLOTS)


def asks_secret(utter_action: str) -> bool:
    """Whether the user's next message answers a verification question.

    The form's own questions: it asks again after a wrong answer too, so these names are
    enough, and nothing else said while the form is active (the "verified" answer) is tagged.
    """
    return utter_action in _ASKS


class LanguageTaggingGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa's templated generator; each message also carries ``language``."""

    def __init__(self, endpoint_config: EndpointConfig | None = None,
                 domain: Domain | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(self, utter_action: str, tracker: DialogueStateTracker,
                       output_channel: str, **kwargs: Any) -> dict[str, Any] | None:
        """The filled response, tagged with the conversation's language."""
        message = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if message is not None:
            message["language"] = tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANGUAGE
            if asks_secret(utter_action):
                message[ASKS_SECRET_KEY] = True
        return message


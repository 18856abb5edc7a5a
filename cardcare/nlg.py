"""Rasa's response generator, telling each bot message which language it was written in.

Responses are chosen by the ``language`` slot; the gateway also writes texts of its own
(an unsupported photo, a flood, an outage) and must write them in the conversation's language,
which only Rasa knows.  Tagging each generated message costs nothing and saves the gateway a
tracker fetch.  Configured in the endpoints file as
``nlg: type: cardcare.nlg.LanguageTaggingGenerator``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from cardcare.conversation import DEFAULT_LANGUAGE

LANGUAGE_SLOT = "language"


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
        return message


"""Each generated bot message says its language, and whether it asks for a secret answer."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from cardcare.conversation import ASKS_SECRET_KEY
from cardcare.nlg import LanguageTaggingGenerator
from tests.conftest import ROOT


def _tracker(domain: Domain, *events: Event) -> DialogueStateTracker:
    tracker = DialogueStateTracker("rest:nlg", domain.slots)
    tracker.update(SlotSet("language", "zh-Hant"))
    for event in events:
        tracker.update(event)
    return tracker


async def test_messages_carry_their_language_and_questions_for_secrets_say_so():
    domain = Domain.load(str(ROOT / "domain.yml"))
    nlg = LanguageTaggingGenerator(domain=domain)
    plain = await nlg.generate("utter_greet", _tracker(domain), "gateway")
    assert plain["language"] == "zh-Hant" and ASKS_SECRET_KEY not in plain
    asked = await nlg.generate("utter_ask_otp_code", _tracker(domain), "gateway")
    assert asked[ASKS_SECRET_KEY] is True
    # What else is said while the form is active ("verified") asks for nothing.
    waiting = _tracker(domain, ActiveLoop("verify_form"), SlotSet("requested_slot", "otp_code"))
    verified = await nlg.generate("utter_verified", waiting, "gateway", first_name="Emma")
    assert ASKS_SECRET_KEY not in verified

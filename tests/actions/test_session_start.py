"""A new session keeps the conversation's language and nothing about the account."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session_start import ActionSessionStart


async def test_language_is_carried_over_account_data_is_not(domain):
    slots = {name: None for name in domain["slots"]}
    slots.update(language="zh-Hant", card_id="card_chen_visa", awaiting="action_installment",
                 verification="verified", needs_verification=False, card_last4="5512")
    tracker = Tracker("s", slots, {}, [], False, None, {}, "action_listen")
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker, domain)
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried == {"language": "zh-Hant"}

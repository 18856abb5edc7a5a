from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import (
    ActionChangeLanguage,
    requested_language,
)


def tracker(latest: dict, language: str | None = None) -> Tracker:
    return Tracker("test", {"language": language}, latest, [], False, None, {}, "action_listen")


def guess(code: str, confidence: float, *candidates: str) -> dict:
    return {"code": code, "confidence": confidence, "candidates": list(candidates or (code,))}


def test_an_explicit_request_wins():
    latest = {"intent": {"name": "change_language"}, "language": guess("zh-Hans", 0.99),
              "entities": [{"entity": "target_language", "value": "en"}]}
    assert requested_language(tracker(latest)) == "en"


def test_a_language_name_outside_change_language_is_not_a_request():
    latest = {"intent": {"name": "out_of_scope"},
              "entities": [{"entity": "target_language", "value": "en"}]}
    assert requested_language(tracker(latest)) is None


async def test_change_language_without_a_target_offers_the_languages(domain):
    dispatcher = CollectingDispatcher()
    latest = {"intent": {"name": "change_language"}, "entities": []}
    await ActionChangeLanguage().run(dispatcher, tracker(latest, "vi"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_choose_language"]


async def test_change_language_with_a_target_confirms(domain):
    dispatcher = CollectingDispatcher()
    latest = {"intent": {"name": "change_language"},
              "entities": [{"entity": "target_language", "value": "zh-Hant"}]}
    await ActionChangeLanguage().run(dispatcher, tracker(latest, "zh-Hant"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_language_changed"]

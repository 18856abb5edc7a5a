import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import (
    ActionChangeLanguage,
    ValidateSlotMappings,
    requested_language,
    resolve_language,
)


def tracker(latest: dict, language: str | None = None) -> Tracker:
    return Tracker("test", {"language": language}, latest, [], False, None, {}, "action_listen")


def guess(code: str, confidence: float, *candidates: str) -> dict:
    return {"code": code, "confidence": confidence, "candidates": list(candidates or (code,))}


@pytest.mark.parametrize(
    ("message_guess", "current", "expected"),
    [
        (guess("vi", 0.99), None, "vi"),
        (guess("vi", 0.99), "en", "vi"),  # the reply language follows the message
        (guess("en", 1.0, "en", "vi"), "vi", "vi"),  # "ok" keeps a Vietnamese chat Vietnamese
        (guess("zh-Hans", 0.5, "zh-Hans", "zh-Hant"), "zh-Hant", "zh-Hant"),  # "你好" in HK chat
        # Chinese is certain even when the script is not: an English chat turns Chinese.
        (guess("zh-Hans", 0.5, "zh-Hans", "zh-Hant"), "en", "zh-Hans"),
        (guess("en", 0.9, "en", "zh-Hans", "zh-Hant", "vi"), "zh-Hant", "zh-Hant"),  # "ok"
        (guess("en", 0.9, "en", "vi"), "zh-Hant", "en"),  # a whole English sentence
        (guess("zh-Hans", 0.5, "zh-Hans", "zh-Hant"), None, "zh-Hans"),
        (guess("en", 0.0, "en", "zh-Hans", "zh-Hant", "vi"), "vi", "vi"),  # "1234"
        (None, "zh-Hant", "zh-Hant"),  # a button payload carries no language
    ],
)
def test_resolve_language(message_guess, current, expected):
    assert resolve_language(message_guess, current) == expected


def test_a_channel_hint_settles_what_the_message_leaves_open():
    ambiguous = guess("zh-Hans", 0.5, "zh-Hans", "zh-Hant")
    assert resolve_language(ambiguous, None, hint="zh-Hant") == "zh-Hant"
    assert resolve_language(guess("vi", 0.99), None, hint="zh-Hant") == "vi"


def test_an_explicit_request_wins():
    latest = {"intent": {"name": "change_language"}, "language": guess("zh-Hans", 0.99),
              "entities": [{"entity": "target_language", "value": "en"}]}
    assert requested_language(tracker(latest)) == "en"


def test_a_language_name_outside_change_language_is_not_a_request():
    latest = {"intent": {"name": "out_of_scope"},
              "entities": [{"entity": "target_language", "value": "en"}]}
    assert requested_language(tracker(latest)) is None


async def test_validation_action_sets_the_slot(domain):
    latest = {"intent": {"name": "greet"}, "language": guess("vi", 0.99), "entities": []}
    events = await ValidateSlotMappings().run(CollectingDispatcher(), tracker(latest, "en"), domain)
    assert {"event": "slot", "timestamp": None, "name": "language", "value": "vi"} in events


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

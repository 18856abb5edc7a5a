import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from cardcare import conversation
from nlu.language import (
    LANGUAGE_HINT_KEY,
    LANGUAGES,
    LanguageGuess,
    LanguageIdentifier,
    LanguageModels,
    LanguageSlot,
    example_language,
    identify,
    preference,
    train_models,
)
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def models() -> LanguageModels:
    """The tie-breakers trained on the project's own training data, as `rasa train` does."""
    data = load_data(str(ROOT / "data" / "nlu"))
    return train_models([(m.get("text"), lang) for m in data.training_examples
                         if (lang := example_language(m))])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的信用卡被盗刷了", "zh-Hans"),
        ("我想 check 一下余额", "zh-Hans"),
        ("我張卡俾人盜刷咗", "zh-Hant"),
        ("想問下幾時找數", "zh-Hant"),
        ("請問帳單怎麼繳", "zh-Hant"),
        ("double charge咗 Foodpanda", "zh-Hant"),
        # Cantonese written only in characters both scripts share is still Hong Kong's.
        ("好喇 唔使喇", "zh-Hant"),
        ("咁我聽日再搵你", "zh-Hant"),
        ("早晨 想查下張卡", "zh-Hant"),
        ("收咗我300蚊", "zh-Hant"),
        ("多謝晒", "zh-Hant"),
        ("我走先 拜拜", "zh-Hant"),
        # ...while Mandarin's 晒 ("show off") is not Cantonese.
        ("看到有人晒这张卡的权益", "zh-Hans"),
        ("thẻ visa bị khóa", "vi"),
        ("12 tháng", "vi"),
    ],
)
def test_rules_settle_clear_cases_without_a_model(text, expected):
    guess = identify(text)
    assert (guess.code, guess.candidates) == (expected, (expected,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how much do I owe", "en"),
        ("Netflix charged me twice", "en"),
        ("my card was declined at 全聯", "en"),
        ("bye", "en"),
        ("toi muon khoa the", "vi"),
        ("the cua minh bi khoa roi", "vi"),
        ("ko dc", "vi"),
        ("shopee tru tien 2 lan", "vi"),
        ("cam on", "vi"),
        ("co a", "vi"),
        ("hey ad", "vi"),
    ],
)
def test_learned_tie_breaker_for_latin_script(models, text, expected):
    assert identify(text, models).code == expected


def test_shared_han_characters_leave_the_variant_open(models):
    guess = identify("你好", models)
    assert set(guess.candidates) == {"zh-Hans", "zh-Hant"}
    assert guess.confidence < 0.7


@pytest.mark.parametrize("text", ["ok", "thx", "Starbucks", "NT$2,500", "HK$1,200"])
def test_a_word_or_two_of_latin_script_rules_no_language_out(models, text):
    assert set(identify(text, models).candidates) == set(LANGUAGES)


def test_longer_latin_messages_leave_only_english_and_vietnamese_open(models):
    assert set(identify("my card got blocked", models).candidates) <= {"en", "vi"}


@pytest.mark.parametrize("text", ["hi", "hello", "hey", "ok", "Visa"])
def test_a_message_that_tells_nothing_starts_a_chat_in_english(models, text):
    guess = identify(text, models)
    assert preference(guess)[0] == "en"
    assert preference(guess, hint="vi")[0] == "vi"  # unless the channel hints otherwise


def test_no_letters_is_undetermined():
    assert identify("1234").confidence == 0.0


def test_example_language_reads_intent_or_example_metadata():
    by_intent = Message({"text": "hi", "metadata": {"intent": {"language": "vi"}}})
    by_example = Message({"text": "hi", "metadata": {"example": {"language": "en"}}})
    assert example_language(by_intent) == "vi"
    assert example_language(by_example) == "en"
    assert example_language(Message({"text": "hi"})) is None


def test_the_languages_are_the_ones_every_process_uses():
    assert LANGUAGES == conversation.LANGUAGES
    assert LANGUAGE_HINT_KEY == conversation.LANGUAGE_HINT_KEY


def _slot(current: str | None) -> LanguageSlot:
    slot = LanguageSlot("language", mappings=[], influence_conversation=False)
    slot.value = current
    return slot


ALL = tuple(LANGUAGES)


@pytest.mark.parametrize(
    ("guess", "current", "expected"),
    [
        (LanguageGuess("vi", 0.99, ("vi",)), None, "vi"),
        (LanguageGuess("vi", 0.99, ("vi",)), "en", "vi"),  # the reply language follows
        (LanguageGuess("en", 1.0, ("en", "vi")), "vi", "vi"),  # "ok" keeps Vietnamese
        (LanguageGuess("zh-Hans", 0.5, ("zh-Hans", "zh-Hant")), "zh-Hant", "zh-Hant"),  # "你好"
        # Chinese is certain even when the script is not: an English chat turns Chinese.
        (LanguageGuess("zh-Hans", 0.5, ("zh-Hans", "zh-Hant")), "en", "zh-Hans"),
        (LanguageGuess("en", 0.9, ALL), "zh-Hant", "zh-Hant"),  # "ok"
        (LanguageGuess("en", 0.9, ("en", "vi")), "zh-Hant", "en"),  # a whole English sentence
        (LanguageGuess("zh-Hant", 0.5, ("zh-Hans", "zh-Hant")), None, "zh-Hant"),
        (LanguageGuess("en", 0.0, ALL), "vi", "vi"),  # "1234"
    ],
)
def test_the_slot_keeps_the_conversations_language_when_the_message_allows_it(
        guess, current, expected):
    slot = _slot(current)
    slot.value = preference(guess)
    assert slot.value == expected


def test_a_channel_hint_settles_what_the_message_leaves_open():
    ambiguous = LanguageGuess("zh-Hans", 0.5, ("zh-Hans", "zh-Hant"))
    assert preference(ambiguous, hint="zh-Hant") == ["zh-Hant", "zh-Hans"]
    assert preference(LanguageGuess("vi", 0.99, ("vi",)), hint="zh-Hant") == ["vi"]
    slot = _slot("zh-Hans")  # the conversation's own language still comes first
    slot.value = preference(ambiguous, hint="zh-Hant")
    assert slot.value == "zh-Hans"


@pytest.mark.parametrize("hint", ["xx", "", "zh-hant", "zh-Hant" * 1000, 7, ["zh-Hant"],
                                  {"zh-Hant": 1}])
def test_a_forged_or_malformed_hint_is_ignored(hint):
    ambiguous = LanguageGuess("zh-Hans", 0.5, ("zh-Hans", "zh-Hant"))
    assert preference(ambiguous, hint=hint) == ["zh-Hans", "zh-Hant"]  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["fr", [], ["klingon"], "zh-hant"])
def test_what_is_not_a_language_leaves_the_slot_alone(value):
    slot = _slot("vi")
    slot.value = value
    assert slot.value == "vi"


def test_an_explicit_request_is_one_code_and_wins():
    slot = _slot("zh-Hans")
    slot.value = "en"
    assert slot.value == "en"
    slot.reset()
    assert slot.value is None and not slot.has_been_set


def test_rasa_replays_a_stored_conversation_to_the_same_language():
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [SlotSet("language", ["zh-Hant", "zh-Hans"]),
              SlotSet("language", ["zh-Hans", "zh-Hant"]),
              SlotSet("language", ["en", "vi"]), SlotSet("language", ["vi", "en"])]
    tracker = DialogueStateTracker.from_events("replayed", events, slots=[_slot(None)])
    assert tracker.get_slot("language") == "en"
    again = DialogueStateTracker.from_dict("replayed", [e.as_dict() for e in events],
                                           slots=[_slot(None)])
    assert again.get_slot("language") == "en"


def test_every_message_carries_its_possible_languages_as_an_entity(models):
    identifier = LanguageIdentifier(None, None, models)
    message = Message({"text": "你好", "metadata": {LANGUAGE_HINT_KEY: "zh-Hant"}})
    identifier.process([message])
    [entity] = [e for e in message.get("entities") if e["entity"] == "language"]
    assert entity["value"] == ["zh-Hant", "zh-Hans"]

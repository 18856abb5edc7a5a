import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from cardcare import conversation
from nlu.language import LANGUAGES, LanguageModels, example_language, identify, train_models
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
